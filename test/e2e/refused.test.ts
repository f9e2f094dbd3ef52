// Issue 16 end to end: a device the server refuses with a 400 (deactivated, record limit reached)
// is not a bad record. Against the real local endpoint over TLS, in virtual time, nothing is
// dropped while it is refused; activating it delivers everything. Only readings dated outside an
// immutable device's retention window are dropped, under their own reason.

import { afterEach, describe, expect, it } from "vitest";
import { invariantHolds, summarize } from "../../host-sim/device/run-summary.js";
import { call } from "../endpoint/helpers.js";
import { comparable, drained, HOUR, MINUTE, START, startRig, TOKEN, type Rig } from "./harness.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const DAY = 24 * HOUR;

describe("a deactivated device (tago-local --deactivated)", () => {
  it("a virtual hour buffers every reading, drops none, in a handful of requests; activating it delivers everything", async () => {
    rig = await startRig({ endpoint: { devices: [{ token: TOKEN, active: false }] }, config: { bufferCapacity: 16_384 } });
    rig.device.start();
    await rig.device.runFor(HOUR);
    const s = rig.device.agent.snapshot();
    const summary = summarize(s, { mode: "virtual", deviceMs: HOUR, wallMs: 0 });
    expect(summary).toMatchObject({ state: "refused", lastError: "refused: Device is deactivated", dropped: 0, delivered: 0, invariantHolds: true });
    expect(summary.undelivered).toBe(
      `nothing delivered, ${s.sampled} readings waiting: the server refused the device (nothing dropped; it retries every refusedRetryMs) after refused: Device is deactivated`,
    );
    expect(s.sampled).toBe((3600 + 1) * 3);
    expect(s.buffered).toBe(s.sampled);
    expect(s.requests).toBe(4);
    expect(rig.endpoint.counts().byStatus).toEqual({ "400": 4 });
    expect(rig.logs.filter((l) => l.startsWith("error"))).toHaveLength(1);

    // Activated while the device waits, as a person would: the endpoint's own route.
    const activated = await call(rig.endpoint, "PUT", "/_local/device", { token: TOKEN, body: { active: true } });
    expect(activated.json).toEqual({ status: true, result: "Device activated" });
    const after = await drained(rig, 20 * MINUTE);
    expect(after.delivered).toBeGreaterThan(s.sampled);
  });
});

describe("a mutable device at its record limit", () => {
  it("is refused once full, dropping nothing", async () => {
    rig = await startRig({ endpoint: { devices: [{ token: TOKEN, dataLimit: 1000 }] }, config: { bufferCapacity: 16_384, refusedRetryMs: 5 * MINUTE } });
    rig.device.start();
    await rig.device.runFor(30 * MINUTE);
    const s = rig.device.agent.snapshot();
    expect(s.state).toBe("refused");
    expect(s.lastError).toBe("refused: The device has reached the limit of 1000 data registers");
    expect(s.droppedTotal).toBe(0);
    expect(invariantHolds(s)).toBe(true);
    const stored = rig.stored();
    expect(stored.length).toBeGreaterThanOrEqual(1000);
    expect(stored.length).toBe(s.delivered);
    expect(stored.map(comparable)).toEqual(rig.expected().slice(0, s.delivered));
  });
});

describe("an immutable device with a one-day retention window", () => {
  it("after a three-day outage drops only the readings older than the window, as outsideRetention", async () => {
    rig = await startRig({
      endpoint: { devices: [{ token: TOKEN, retentionDays: 1 }] },
      config: { sampleIntervalMs: 60_000, bufferCapacity: 16_384 },
    });
    rig.device.network.set(false);
    rig.device.start();
    await rig.device.runFor(3 * DAY);
    rig.device.network.set(true);
    await rig.device.runFor(10 * MINUTE);
    rig.device.stop();
    const s = rig.device.agent.snapshot();
    // The server's today is day 3: the window opens at the start of day 2.
    const opens = START + 2 * DAY;
    const expected = rig.expected();
    const tooOld = expected.filter((r) => Date.parse(r.time) < opens).length;
    expect(tooOld).toBe(2 * 1440 * 3);
    expect(s.dropped.outsideRetention).toBe(tooOld);
    expect(s.droppedTotal).toBe(tooOld);
    expect(invariantHolds(s)).toBe(true);
    expect(s.buffered).toBeLessThan(3 * 10 + 3);
    expect(rig.stored().map(comparable)).toEqual(expected.slice(tooOld, tooOld + s.delivered));
  });
});
