// A refused token stops uploads while buffering goes on; a new token drains the buffer. (A device
// switched off is refused with a 400, not a 401: see refused.test.ts.)

import { afterEach, describe, expect, it } from "vitest";
import { drained, MINUTE, OTHER_TOKEN, startRig, TOKEN, type Rig } from "./harness.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const config = { bufferCapacity: 8192, authRetryMs: 2 * MINUTE };

describe("authentication refused", () => {
  it("an unknown token: buffers without loss, then agent.setToken drains the buffer", async () => {
    rig = await startRig({ token: OTHER_TOKEN, config });
    rig.device.start();
    await rig.device.runFor(10 * MINUTE);
    const s = rig.device.agent.snapshot();
    expect(s.state).toBe("auth-failed");
    expect(s.delivered).toBe(0);
    expect(s.buffered).toBe(s.sampled);
    expect(s.requests).toBeLessThanOrEqual(6);
    expect(rig.endpoint.counts().byStatus).toEqual({ "401": s.requests });
    expect(rig.logs.join("\n")).not.toContain(OTHER_TOKEN);

    rig.device.agent.setToken(TOKEN);
    await drained(rig);
  });
});
