// A simulated device on the virtual clock against the real local endpoint over TLS: everything
// sampled arrives, in order, with the right values and the sample's wall time (trust rule).

import { afterEach, describe, expect, it } from "vitest";
import { EARLIEST_TRUSTED_MS } from "../../firmware/core/timebase.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { comparable, drained, HOUR, MINUTE, START, startRig, type Rig } from "./harness.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe("simulated device against the local endpoint", () => {
  it("stores 2 virtual hours at 1 Hz of three variables exactly as sampled", async () => {
    rig = await startRig();
    rig.device.start();
    await rig.device.runFor(2 * HOUR);
    rig.device.stop();
    const s = rig.device.agent.snapshot();
    expect(s.sampled).toBe((2 * 3600 + 1) * 3);
    expect(s.droppedTotal).toBe(0);
    expect(invariantHolds(s)).toBe(true);
    expect(s.buffered).toBeLessThan(3 * 60 + 3);

    const stored = rig.stored();
    expect(stored.length).toBe(s.delivered);
    expect(stored.map(comparable)).toEqual(rig.expected().slice(0, s.delivered));
    expect(rig.endpoint.counts().byStatus).toEqual({ "200": s.requests });
    expect(rig.logs.filter((l) => l.startsWith("warn") || l.startsWith("error"))).toEqual([]);
  });

  it("sleep mode: a day of wakes, each a boot, stores every reading once with its sample's time", async () => {
    rig = await startRig({ config: { mode: "sleep", sampleIntervalMs: 10 * MINUTE, uploadEvery: 6 }, flash: new NorFlash({ sectorCount: 16 }) });
    rig.device.start();
    await rig.device.runFor(24 * HOUR);
    const s = await drained(rig);
    expect(rig.device.boots).toBe(24 * 6 + 1);
    expect(s.delivered).toBeGreaterThan(24 * 6 * 3 - 3 * 6);
    // One request an upload wake: the power-on, then every sixth wake.
    expect(rig.endpoint.counts().byStatus).toEqual({ "200": 1 + 24 });
  });

  it("rebases readings taken before a late clock sync to their true times; nothing before 2024", async () => {
    rig = await startRig({ syncAfterMs: 10 * MINUTE, config: { bufferCapacity: 4096 } });
    rig.device.start();
    await rig.device.runFor(10 * MINUTE - 1);
    expect(rig.device.agent.snapshot().state).toBe("waiting-for-clock");
    expect(rig.stored()).toEqual([]);
    await rig.device.runFor(20 * MINUTE);
    rig.device.stop();
    const s = rig.device.agent.snapshot();
    expect(s.droppedTotal).toBe(0);
    expect(invariantHolds(s)).toBe(true);

    const stored = rig.stored();
    expect(stored.length).toBe(s.delivered);
    expect(stored.map(comparable)).toEqual(rig.expected().slice(0, s.delivered));
    // The first 10 minutes were sampled on an untrusted clock and still carry their true times.
    expect(Date.parse(stored[0].time)).toBeLessThan(START + 10 * MINUTE);
    expect(stored.every((r) => Date.parse(r.time) >= EARLIEST_TRUSTED_MS)).toBe(true);
    expect(stored.every((r) => Date.parse(r.created_at) >= START + 10 * MINUTE)).toBe(true);
  });

  it("keeps buffering while the network is down and delivers everything once it is back", async () => {
    rig = await startRig({ config: { bufferCapacity: 4096 } });
    rig.device.network.set(false);
    rig.device.start();
    await rig.device.runFor(10 * MINUTE);
    let s = rig.device.agent.snapshot();
    expect(s.state).toBe("offline");
    expect(s.requests).toBe(0);
    expect(s.buffered).toBe(s.sampled);

    rig.device.network.set(true);
    await rig.device.runFor(5 * MINUTE);
    rig.device.stop();
    s = rig.device.agent.snapshot();
    expect(s.droppedTotal).toBe(0);
    expect(s.buffered).toBeLessThan(3 * 60 + 3);
    expect(rig.stored().map(comparable)).toEqual(rig.expected().slice(0, s.delivered));
  });
});
