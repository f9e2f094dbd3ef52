// The device-level conditions TagoCore answers with a 400 (issue 16), as the local endpoint
// emulates them: a mutable device's record limit and an immutable device's retention window,
// each in TagoCore's exact words; nothing from a refused body is stored.

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startEndpoint } from "../../host-sim/endpoint/server.js";
import { call, seededDir, start } from "./helpers.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

describe("a mutable device with a record limit", () => {
  it("stores until it holds the limit, then refuses every body with TagoCore's message", async () => {
    const token = randomUUID();
    const { endpoint } = await start({ now: () => NOW, devices: [{ token, dataLimit: 3 }] });
    const post = (body: unknown) => call(endpoint, "POST", "/data", { token, body });
    expect((await post([{ variable: "a", value: 1 }, { variable: "a", value: 2 }])).status).toBe(200);
    // Checked before the insert, like TagoCore: a body that crosses the limit is still taken.
    expect((await post([{ variable: "a", value: 3 }, { variable: "a", value: 4 }])).status).toBe(200);
    const full = await post({ variable: "a", value: 5 });
    expect(full.status).toBe(400);
    expect(full.json).toEqual({ status: false, message: "The device has reached the limit of 3 data registers" });
    expect(endpoint.count(token)).toBe(4);
    expect((await call(endpoint, "GET", "/info", { token })).json.result.type).toBe("mutable");
  });
});

describe("an immutable device with a retention window", () => {
  it("takes times from the start of the day the window opens to the end of tomorrow, and none outside", async () => {
    const token = randomUUID();
    const { endpoint } = await start({ now: () => NOW, devices: [{ token, retentionDays: 1 }] });
    const post = (time?: string) => call(endpoint, "POST", "/data", { token, body: [{ variable: "ok", value: 0 }, { variable: "t", value: 1, time }] });
    for (const time of ["2026-11-27T00:00:00.000Z", "2026-11-29T23:59:59.999Z", undefined]) {
      expect((await post(time)).status, String(time)).toBe(200);
    }
    for (const time of ["2026-11-26T23:59:59.999Z", "2026-11-30T00:00:00.000Z", "2025-01-01T00:00:00.000Z"]) {
      const refused = await post(time);
      expect(refused.status).toBe(400);
      expect(refused.json).toEqual({ status: false, message: "Time must be between 2026-11-27 and 2026-11-29" });
    }
    expect(endpoint.count(token)).toBe(6);
    expect((await call(endpoint, "GET", "/info", { token })).json.result.type).toBe("immutable");
  });
});

describe("device options", () => {
  it.each([
    [{ dataLimit: 0 }, /dataLimit must be a whole number/],
    [{ retentionDays: 1.5 }, /retentionDays must be a whole number/],
    [{ dataLimit: 10, retentionDays: 1 }, /mutable \(dataLimit\) or immutable \(retentionDays\), not both/],
  ])("refuses %j", async (profile, message) => {
    await expect(startEndpoint({ dataDir: await seededDir(), devices: [{ token: randomUUID(), ...profile }] })).rejects.toThrow(message);
  });
});
