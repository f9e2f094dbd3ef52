// The agent with a flash journal, on virtual devices that reboot: outages longer than the RAM ring
// lose nothing, a reboot mid-outage loses nothing journaled, a previous boot's uptime readings go
// out without a time, power cuts at random flash operations lose at most the sample being written,
// a full journal drops the oldest, counted, and readings that rot on flash are counted as corrupt.
// sampled = delivered + dropped + buffered holds after every event of every boot.

import { describe, expect, it } from "vitest";
import { Agent, ConfigError } from "../../firmware/core/agent.js";
import { validateConfig } from "../../firmware/core/config.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { FakeTago } from "../../firmware/fakes/fake-tago.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { BOARD_VARIABLES, TOKEN } from "../support/fixtures.js";
import { FlashDevice, keyOf, WORLD_START } from "./flash-device.js";

const HOUR = 3_600_000;
const refused = () => ({ ok: false as const, error: "refused" as const, message: "connect ECONNREFUSED", bodySent: false });

/** How many times each reading was stored. */
function storedCounts(device: FlashDevice): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of device.stored()) counts.set(keyOf(r), (counts.get(keyOf(r)) ?? 0) + 1);
  return counts;
}

describe("Agent + journal: outages", () => {
  it("loses nothing in an outage far longer than the RAM ring holds", async () => {
    const device = new FlashDevice({ sectors: 16, config: { bufferCapacity: 64 } });
    device.rule = () => refused();
    device.boot();
    let s = await device.run(3 * HOUR);
    expect(s.delivered).toBe(0);
    // Samples at 0 s, 10 s, ... 3 h.
    expect(s.buffered).toBe((3 * 360 + 1) * 3);
    expect(s.droppedTotal).toBe(0);
    expect(s.journal?.held).toBe(s.buffered);

    device.rule = () => "store";
    s = await device.run(HOUR);
    expect(device.unbalanced).toEqual([]);
    expect(s.droppedTotal).toBe(0);
    const counts = storedCounts(device);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(device.stored().length).toBe(s.delivered);
    // All but the readings of the last upload interval, still buffered.
    expect(s.buffered).toBeLessThan(3 * 6 + 3);
    expect(device.ledger.slice(0, -s.buffered).every((e) => counts.has(keyOf(e)))).toBe(true);
    // In sample order, each with the time it was taken.
    const temperatures = device.stored().filter((r) => r.variable === "temperature");
    temperatures.forEach((r, i) => expect(Date.parse(r.time as string)).toBe(WORLD_START + i * 10_000));

    // The same outage on the RAM ring alone keeps only the newest 64.
    const clock = new VirtualClock({ wallStartMs: WORLD_START, trusted: true });
    const tago = new FakeTago(clock);
    tago.rule = () => refused();
    const ramOnly = Agent.create(
      { token: TOKEN, variables: BOARD_VARIABLES, sampleIntervalMs: 10_000, bufferCapacity: 64, telemetryIntervalMs: 0 },
      { clock, timers: clock, http: tago.http, sensors: simulatedSensors({ clock, seed: 1 }), network: { online: () => true }, logger: new MemoryLogger(), random: new SeededRandom(1) },
    );
    ramOnly.start();
    while (clock.runNext(3 * HOUR)) await new Promise<void>((r) => setImmediate(r));
    expect(ramOnly.snapshot().dropped.bufferFull).toBe((3 * 360 + 1) * 3 - 64);
    expect(ramOnly.snapshot().journal).toBeUndefined();
  });

  it("loses nothing journaled across a reboot in the middle of an outage", async () => {
    const device = new FlashDevice({ sectors: 16, config: { bufferCapacity: 100 } });
    device.rule = () => refused();
    device.boot();
    const before = await device.run(HOUR);
    expect(before.buffered).toBe(1083);
    device.powerCycle(5 * 60_000);
    let s = device.agent.snapshot();
    expect(s.journal).toMatchObject({ recovered: 1083, corruptSkipped: 0, held: 1083 });
    expect(s.sampled).toBe(1083);
    expect(s.buffered).toBe(1083);
    s = await device.run(HOUR);
    device.rule = () => "store";
    s = await device.run(HOUR);
    expect(device.unbalanced).toEqual([]);
    expect(s.droppedTotal).toBe(0);
    const counts = storedCounts(device);
    const missing = device.ledger.filter((e) => counts.get(keyOf(e)) !== 1);
    expect(missing.length).toBeLessThanOrEqual(s.buffered);
    expect(device.ledger.length - device.stored().length).toBe(s.buffered);
    expect(device.logger.text()).toContain("journal: 1083 readings recovered from flash, 0 torn or corrupt frames skipped");
  });

  it("sends readings from a boot that never learnt the time without a time, and never a pre-2024 one", async () => {
    const device = new FlashDevice({ sectors: 8 });
    device.boot(false);
    let s = await device.run(20 * 60_000);
    expect(s.state).toBe("waiting-for-clock");
    expect(s.buffered).toBe(363);
    device.powerCycle(60_000, true);
    s = await device.run(30 * 60_000);
    expect(device.unbalanced).toEqual([]);
    expect(s.droppedTotal).toBe(0);
    const stored = device.stored();
    const fromFirstBoot = new Set(device.ledger.filter((e) => e.boot === 1).map(keyOf));
    const old = stored.filter((r) => fromFirstBoot.has(keyOf(r)));
    expect(old).toHaveLength(363);
    expect(old.every((r) => r.time === undefined)).toBe(true);
    // Still grouped by sample, apart from the new boot's groups.
    expect(new Set(old.map((r) => r.group)).size).toBe(121);
    const fresh = stored.filter((r) => !fromFirstBoot.has(keyOf(r)));
    expect(fresh.length).toBeGreaterThan(500);
    for (const r of fresh) expect(Date.parse(r.time as string)).toBeGreaterThanOrEqual(Date.UTC(2024, 0, 1));
    expect(fresh.some((r) => old.some((o) => o.group === r.group))).toBe(false);
  });
});

describe("Agent + journal: damage on flash", () => {
  /** 1083 readings journaled in an outage (sectors 0 to 2), then `damage` to the flash and a reboot. */
  async function damagedBoot(damage: (bytes: Uint8Array) => void, sectors = 16): Promise<FlashDevice> {
    const device = new FlashDevice({ sectors, config: { bufferCapacity: 100 } });
    device.rule = () => refused();
    device.boot();
    expect((await device.run(HOUR)).buffered).toBe(1083);
    device.flash.powerOn();
    damage(device.flash.bytes);
    device.powerCycle(60_000);
    return device;
  }

  it("recovers every reading when a bit flips in a sector header", async () => {
    for (const byte of [1, 17]) {
      const device = await damagedBoot((b) => (b[4096 + byte] ^= 0x02));
      expect(device.agent.snapshot()).toMatchObject({ sampled: 1083, buffered: 1083, droppedTotal: 0 });
      expect(device.logger.text()).toContain("journal: 1083 readings recovered from flash, 0 torn or corrupt frames skipped");
    }
  });

  it("counts readings lost on flash as dropped (corrupt), at boot and after it, never as bufferFull", async () => {
    const device = await damagedBoot((b) => b.fill(0, 4096 + 30, 8192));
    let s = device.agent.snapshot();
    expect(s).toMatchObject({ sampled: 1083, buffered: 1083 - 363, droppedTotal: 363 });
    expect(s.dropped.corrupt).toBe(363);
    expect(device.logger.text()).toContain("journal: 1083 readings recovered from flash, 1 torn or corrupt frames skipped, 363 readings lost to corruption");
    // A frame that rots after boot, in the third sector, not yet in the RAM ring.
    device.flash.bytes[2 * 4096 + 30 + 33 * 50 + 20] ^= 0x10;
    device.rule = () => "store";
    s = await device.run(HOUR);
    expect(device.unbalanced).toEqual([]);
    expect(s.dropped).toMatchObject({ corrupt: 366, bufferFull: 0 });
    expect(device.stored().length).toBe(s.delivered);
    expect(s.delivered + s.droppedTotal + s.buffered + s.filtered).toBe(s.sampled);
  });

  it("gives every reading 50 random bit flips cost its true reason, and loses none silently", async () => {
    let corrupt = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      // 1083 readings on a 64-sector flash: about 5% full.
      const random = new SeededRandom(seed);
      const device = await damagedBoot((b) => {
        for (let i = 0; i < 50; i++) b[random.below(b.length)] ^= 1 << random.below(8);
      }, 64);
      device.rule = () => "store";
      const s = await device.run(HOUR);
      expect(device.unbalanced, `seed ${seed}`).toEqual([]);
      expect(s.droppedTotal, `seed ${seed}`).toBe(s.dropped.corrupt);
      const counts = storedCounts(device);
      const missing = device.ledger.filter((e) => !counts.has(keyOf(e))).length;
      expect(missing, `seed ${seed}`).toBe(s.dropped.corrupt + s.buffered);
      corrupt += s.dropped.corrupt;
    }
    expect(corrupt).toBeGreaterThan(0);
  });
});

describe("Agent + journal: power cuts", () => {
  it("loses at most the sample being written at each cut, and duplicates only batches whose acknowledgement the cut lost", async () => {
    let cutsInSettle = 0;
    let cuts = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const random = new SeededRandom(seed);
      const device = new FlashDevice({ sectors: 6, seed, config: { bufferCapacity: 32, maxBatchRecords: 40 } });
      device.rule = (e) => (e.index % 7 === 3 ? refused() : "store");
      device.boot();
      for (let round = 0; round < 12; round++) {
        device.flash.armCut(random.below(120), random.below(40));
        device.online = round % 4 !== 1;
        await device.run(20 * 60_000);
      }
      device.flash.disarm();
      device.online = true;
      device.rule = () => "store";
      const s = await device.run(2 * HOUR);
      expect(device.unbalanced).toEqual([]);
      // Only the last upload interval's readings are still buffered.
      expect(s.buffered).toBeLessThanOrEqual(18);
      const pending = new Set(device.ledger.slice(device.ledger.length - s.buffered).map(keyOf));
      cuts += device.ended.filter((e) => e.cut).length;
      cutsInSettle += device.logger.lines.filter((l) => l.message.includes("unexpected: power cut")).length;

      const counts = storedCounts(device);
      const ledgerKeys = new Set(device.ledger.map(keyOf));
      // Nothing the server stored is unknown: no garbage, no misattributed variable.
      for (const key of counts.keys()) expect(ledgerKeys.has(key), key).toBe(true);
      // Every reading journaled before its cut was delivered; only cut samples may be missing.
      const missing = device.ledger.filter((e) => !counts.has(keyOf(e)) && !pending.has(keyOf(e)));
      expect(missing.filter((e) => !e.atCut), `seed ${seed}`).toEqual([]);
      const dropped = device.ended.reduce((n, e) => n + e.snapshot.droppedTotal, 0) + s.droppedTotal;
      expect(dropped).toBe(0);
      // Duplicates only from acknowledgements a cut took away.
      for (const [key, n] of counts) if (n > 1) expect(device.ackLostToCut.has(key), `seed ${seed}: ${key} stored ${n} times`).toBe(true);
    }
    expect(cuts).toBeGreaterThan(40);
    expect(cutsInSettle).toBeGreaterThan(0);
  });
});

describe("Agent + journal: full and configuration", () => {
  it("drops the oldest when the journal is full, counted as bufferFull, and delivers the newest", async () => {
    const device = new FlashDevice({ sectors: 4, config: { bufferCapacity: 50 } });
    device.rule = () => refused();
    device.boot();
    let s = await device.run(4 * HOUR);
    expect(s.dropped.bufferFull).toBeGreaterThan(0);
    expect(s.buffered).toBeLessThan((3 * 4096) / 11);
    device.rule = () => "store";
    s = await device.run(HOUR);
    expect(device.unbalanced).toEqual([]);
    expect(s.delivered + s.dropped.bufferFull + s.buffered).toBe(s.sampled);
    // What survived is the newest: the first stored reading is from the last hour and a half.
    expect(Date.parse(device.stored()[0].time as string)).toBeGreaterThan(WORLD_START + 2.5 * HOUR);
    const counts = storedCounts(device);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it("reads journal as a boolean, on by default, and names it when it is not one", () => {
    const on = validateConfig({ token: TOKEN, variables: BOARD_VARIABLES });
    expect(on.ok && on.config.journal).toBe(true);
    const off = validateConfig({ token: TOKEN, variables: BOARD_VARIABLES, journal: "0" });
    expect(off.ok && off.config.journal).toBe(false);
    const bad = validateConfig({ token: TOKEN, variables: BOARD_VARIABLES, journal: "sometimes" });
    expect(bad.ok ? [] : bad.problems).toEqual(['journal: "sometimes" is not true or false']);
  });

  it("writes nothing to flash with journal=false, and names what keeps a journal from working", () => {
    const flash = new NorFlash({ sectorCount: 8 });
    const clock = new VirtualClock({ wallStartMs: WORLD_START, trusted: true });
    const ports = { clock, timers: clock, http: new FakeTago(clock).http, sensors: simulatedSensors({ clock, seed: 1 }), network: { online: () => true }, logger: new MemoryLogger(), random: new SeededRandom(1) };
    const off = Agent.create({ token: TOKEN, variables: BOARD_VARIABLES, journal: "false" }, { ...ports, flash });
    off.sample();
    expect(flash.bytesWritten + flash.erases).toBe(0);
    expect(off.snapshot().journal).toBeUndefined();

    expect(() => Agent.create({ token: TOKEN, variables: BOARD_VARIABLES }, { ...ports, flash: new NorFlash({ sectorCount: 2 }) })).toThrow(
      /journal: the flash partition has 2 sectors/,
    );
    try {
      Agent.create({ token: TOKEN, variables: BOARD_VARIABLES, maxStringLength: 1500, maxBatchBytes: 32768 }, { ...ports, flash });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([expect.stringMatching(/^maxStringLength: 1500 characters may not fit one journal frame/)]);
    }
  });

  it("keeps string readings durable and within the RAM string budget", async () => {
    const flash = new NorFlash({ sectorCount: 8 });
    const clock = new VirtualClock({ wallStartMs: WORLD_START, trusted: true });
    const tago = new FakeTago(clock);
    tago.rule = () => refused();
    let n = 0;
    const agent = Agent.create(
      { token: TOKEN, variables: [{ name: "status", sensor: "modem", field: "state" }], sampleIntervalMs: 10_000, stringBudget: 40, telemetryIntervalMs: 0 },
      { clock, timers: clock, http: tago.http, sensors: [{ name: "modem", sample: () => ({ state: `state-${n++}` }) }], network: { online: () => true }, logger: new MemoryLogger(), random: new SeededRandom(1) , flash },
    );
    agent.start();
    while (clock.runNext(HOUR)) await new Promise<void>((r) => setImmediate(r));
    let s = agent.snapshot();
    expect(s.droppedTotal).toBe(0);
    expect(s.buffered).toBe(361);
    // The ring holds 40 characters of strings at most, so batches are small: the rest wait in flash.
    tago.rule = () => "store";
    while (clock.runNext(2 * HOUR)) await new Promise<void>((r) => setImmediate(r));
    s = agent.snapshot();
    expect(s.droppedTotal).toBe(0);
    for (const e of tago.exchanges) expect(e.records.reduce((n, r) => n + String(r.value).length, 0)).toBeLessThanOrEqual(40);
    expect(tago.stored.slice(0, 700).map((r) => r.value)).toEqual(Array.from({ length: 700 }, (_, i) => `state-${i}`));
  });

  it("sends readings of three variable lists of 200 under their own names: 600 variables through 256 indexes", async () => {
    const flash = new NorFlash({ sectorCount: 16 });
    const fields = (sample: number) => Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, sample * 1000 + i]));
    let samples = 0;
    const sensor = { name: "bank", sample: () => fields(samples++) };
    const list = (prefix: string) => Array.from({ length: 200 }, (_, i) => ({ name: `${prefix}${i}`, sensor: "bank", field: `f${i}` }));
    const taken: string[] = [];
    let wall = WORLD_START;
    let tago!: FakeTago;
    let agent!: Agent;
    const boot = async (prefix: string, online: boolean, ms = 5 * 60_000) => {
      const clock = new VirtualClock({ wallStartMs: wall, trusted: true });
      tago = new FakeTago(clock);
      tago.rule = () => (online ? "store" : refused());
      const first = samples;
      agent = Agent.create(
        { token: TOKEN, variables: list(prefix), sampleIntervalMs: 60_000, uploadIntervalMs: 60_000, telemetryIntervalMs: 0 },
        { clock, timers: clock, http: tago.http, sensors: [sensor], network: { online: () => true }, logger: new MemoryLogger(), random: new SeededRandom(1), flash },
      );
      agent.start();
      while (clock.runNext(ms)) await new Promise<void>((r) => setImmediate(r));
      clock.advanceTo(ms);
      for (let n = first; n < samples; n++) for (let i = 0; i < 200; i++) taken.push(`${prefix}${i}=${n * 1000 + i}`);
      agent.stop();
      wall += ms + 60_000;
    };
    await boot("a", false);
    await boot("b", false);
    await boot("c", true, 30 * 60_000);
    const s = agent.snapshot();
    expect(s.journal).toMatchObject({ recovered: 2 * 6 * 200, foreign: 2 * 6 * 200 });
    // All delivered but the sample taken as the run ended.
    expect(s).toMatchObject({ droppedTotal: 0, buffered: 200 });
    // The 400 earlier readings needed more indexes than were free: batches waited for the ring to empty.
    expect(tago.stored.map((r) => `${r.variable}=${String(r.value)}`)).toEqual(taken.slice(0, -200));
  });
});
