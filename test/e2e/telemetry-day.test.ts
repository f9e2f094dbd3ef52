// Health telemetry over a virtual day with the defaults (a sample every 10 s, a report every
// 15 minutes, a 256 KB flash journal as `npm start -- --virtual` has), against the local endpoint
// over TLS, with two hours offline in the middle: every report is stored at its interval, late
// ones with their own times, and the last one says what the device's own counters said then.

import { afterEach, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../firmware/core/config.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";
import type { StoredRecord } from "../../host-sim/endpoint/server.js";
import { HOUR, MINUTE, START, startRig, type Rig } from "./harness.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const EVERY = DEFAULTS.telemetryIntervalMs;
/** What every report carries on the host simulator with a journal (no Wi-Fi: no RSSI). */
const ALWAYS = ["uptime", "heap_free", "buffered_ram", "buffered_flash", "dropped", "filtered", "requests", "failures", "journal_fill", "journal_erases"];

describe("health telemetry over a virtual day", () => {
  it("stores every report at its interval, an outage only delays them, and the last matches the device's counters", async () => {
    const flash = new NorFlash({ sectorCount: 64, sectorSize: 4096 });
    rig = await startRig({ config: { sampleIntervalMs: DEFAULTS.sampleIntervalMs, telemetryIntervalMs: DEFAULTS.telemetryIntervalMs }, flash });
    const device = rig.device;
    device.start();
    await device.runUntil(START + 6 * HOUR);
    device.network.set(false);
    await device.runUntil(START + 8 * HOUR);
    device.network.set(true);
    // The day's last report is at 24:00: the counters just before and just after it bound it.
    await device.runUntil(START + 24 * HOUR - 1);
    const before = device.agent.snapshot();
    const wornBefore = Math.max(...flash.eraseCounts);
    await device.runUntil(START + 24 * HOUR);
    const after = device.agent.snapshot();
    await device.runFor(5 * MINUTE);
    device.stop();
    const end = device.agent.snapshot();
    expect(invariantHolds(end)).toBe(true);
    expect(end.droppedTotal).toBe(0);

    const stored = rig.stored();
    expect(stored.length).toBe(end.delivered);
    const of = (name: string): StoredRecord[] => stored.filter((r) => r.variable === "agent_" + name);
    const times = Array.from({ length: 96 }, (_, k) => new Date(START + (k + 1) * EVERY).toISOString());
    for (const name of ALWAYS) expect(of(name).map((r) => r.time), name).toEqual(times);
    expect(of("uptime").map((r) => r.value)).toEqual(times.map((_, k) => (k + 1) * 900));
    expect(of("uptime").map((r) => r.unit)).toEqual(times.map(() => "s"));
    // Once a boot, in its first report.
    expect(of("boots").map((r) => [r.value, r.time])).toEqual([[1, times[0]]]);
    expect(of("reset_reason").map((r) => [r.value, r.time])).toEqual([["power-on", times[0]]]);
    expect(of("rssi")).toEqual([]);
    // The reports made while offline waited in the buffer like any reading, then went.
    const offline = of("uptime").filter((r) => Date.parse(r.time) > START + 6 * HOUR && Date.parse(r.time) <= START + 8 * HOUR);
    expect(offline.length).toBe(8);
    expect(offline.every((r) => Date.parse(r.created_at as string) >= START + 8 * HOUR)).toBe(true);
    expect(Math.max(...of("buffered_ram").map((r) => r.value as number), ...of("buffered_flash").map((r) => r.value as number))).toBeGreaterThan(700);

    // The report's timer was set an interval ago, so it runs first of those due at 24:00 (the
    // sample and the upload): it tells the counters as they stood a millisecond before.
    const last = Object.fromEntries(stored.filter((r) => r.time === times[95] && r.variable.startsWith("agent_")).map((r) => [r.variable.slice(6), r.value]));
    expect(last.uptime).toBe(86_400);
    expect(last.requests).toBe(before.requests);
    expect(after.requests).toBeGreaterThan(before.requests);
    expect((last.buffered_ram as number) + (last.buffered_flash as number)).toBe(before.buffered);
    expect(last.dropped).toBe(before.droppedTotal);
    expect(last.filtered).toBe(before.filtered);
    expect(last.failures).toBe(Object.values(before.failures).reduce((a, b) => a + b, 0));
    // Wear as the flash itself counts it: the most erases of any sector.
    expect(last.journal_erases).toBe(wornBefore);
    expect(last.journal_fill).toBeGreaterThan(0);
    expect(last.journal_fill).toBeLessThanOrEqual(10);
    expect(last.heap_free).toBeGreaterThan(0);
  }, 120_000);
});
