// A refused token stops uploads while buffering goes on; a fixed token (a new one, or the device
// switched back on) drains the buffer.

import { afterEach, describe, expect, it } from "vitest";
import type { Snapshot } from "../../firmware/core/agent.js";
import { invariantHolds } from "../../host-sim/run-summary.js";
import { comparable, MINUTE, OTHER_TOKEN, startRig, TOKEN, type Rig } from "./harness.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const config = { bufferCapacity: 8192, authRetryMs: 2 * MINUTE };

/** Five more minutes accepted: everything buffered is delivered, once and as sampled. */
async function drained(rig: Rig): Promise<Snapshot> {
  await rig.device.runFor(5 * MINUTE);
  rig.device.stop();
  const s = rig.device.agent.snapshot();
  expect(s.droppedTotal).toBe(0);
  expect(invariantHolds(s)).toBe(true);
  expect(s.buffered).toBeLessThan(3 * 60 + 3);
  // The endpoint's device is TOKEN in both tests, whatever token the device started with.
  const stored = rig.endpoint.records(TOKEN);
  expect(stored.length).toBe(s.delivered);
  expect(stored.map(comparable)).toEqual(rig.expected().slice(0, s.delivered));
  return s;
}

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

  it("an inactive device: refused until switched back on, then the next retry drains the buffer", async () => {
    rig = await startRig({ config });
    rig.endpoint.setDeviceActive(TOKEN, false);
    rig.device.start();
    await rig.device.runFor(10 * MINUTE);
    const s = rig.device.agent.snapshot();
    expect(s.state).toBe("auth-failed");
    expect(s.buffered).toBe(s.sampled);

    rig.endpoint.setDeviceActive(TOKEN, true);
    await drained(rig);
  });
});
