// What the set-up form does when the store refuses a value (NVS's limits, a full partition): the
// refusal is shown beside its field and what that submission had already changed is put back.
// The form's other cases run on XS and Node in test/xs/setup-conformance.test.ts.

import { describe, expect, it } from "vitest";
import { applySetup } from "../../firmware/core/setup-form.js";
import { MemorySettings } from "../../firmware/fakes/memory-settings.js";
import { TOKEN } from "../support/fixtures.js";

/** A store whose partition has no room for `key`. */
class RefusingSettings extends MemorySettings {
  constructor(
    initial: Record<string, string>,
    private readonly refused: string,
  ) {
    super(initial);
  }

  override set(key: string, value: string): void {
    if (key === this.refused) throw new RangeError(`settings: no room for "${key}"`);
    super.set(key, value);
  }
}

describe("applySetup with a store that refuses a value", () => {
  it("names the field, and leaves the store as it was", () => {
    const before = { ssid: "old", password: "old-password", region: "us-e1" };
    const store = new RefusingSettings(before, "token");
    const outcome = applySetup(new URLSearchParams({ ssid: "greenhouse", password: "s3cret-pass", token: TOKEN, region: "eu-w1" }).toString(), store);
    expect(outcome).toEqual({
      ok: false,
      entry: { ssid: "greenhouse", region: "eu-w1", host: "" },
      problems: { token: ['token: not stored (settings: no room for "token")'] },
    });
    expect(store.toObject()).toEqual(before);
  });
});
