// The reporting filters across reboots: with a flash journal each variable's delta, throttle and
// heartbeat resume from its newest value on flash, and a window a reboot left open is closed at
// the boot with what it held; without one, the first sample after a boot always goes on.

import { describe, expect, it } from "vitest";
import { Agent, type Snapshot } from "../../firmware/core/agent.js";
import { validateConfig } from "../../firmware/core/config.js";
import { FakeTago, type StoredReading } from "../../firmware/fakes/fake-tago.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { TOKEN } from "../support/fixtures.js";

const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 26);

/** A thermometer that reads `level()` and a contact that reads `open()`. */
interface World {
  level: number;
  open: boolean;
}

const VARIABLES = [
  { name: "temperature", unit: "°C", sensor: "probe", field: "t", delta: 0.5, heartbeatMs: 30 * MINUTE },
  { name: "door", sensor: "probe", field: "open", heartbeatMs: 60 * MINUTE },
];

/** What a boot runs: its variables, and the probe's sample at a world minute. */
interface Device {
  variables: Array<Record<string, unknown>>;
  sample(minute: number): Record<string, unknown>;
  /** A live change of the variables' filters, this long after boot. */
  retune?: { atMs: number; variables: Array<Record<string, unknown>> };
}

/** One boot of the agent on `flash` (none: no journal), `minutes` long, from world minute `at`; returns what it stored. */
async function boot(world: World, flash: NorFlash | undefined, at: number, minutes: number, device?: Device): Promise<{ stored: StoredReading[]; last: Snapshot }> {
  flash?.powerOn();
  const clock = new VirtualClock({ wallStartMs: START + at * MINUTE, trusted: true });
  const tago = new FakeTago(clock);
  const sample = device === undefined ? () => ({ t: world.level, open: world.open }) : () => device.sample(Math.round((clock.wallMs() - START) / MINUTE));
  const agent = Agent.create(
    { token: TOKEN, variables: device?.variables ?? VARIABLES, sampleIntervalMs: MINUTE, uploadIntervalMs: MINUTE, maxStringLength: 16, telemetryIntervalMs: 0 },
    {
      clock,
      timers: clock,
      http: tago.http,
      sensors: [{ name: "probe", sample }],
      network: { online: () => true },
      logger: new MemoryLogger(),
      random: new SeededRandom(3),
      ...(flash === undefined ? {} : { flash }),
    },
  );
  agent.start();
  const retune = device?.retune;
  if (retune !== undefined) {
    const checked = validateConfig({ token: TOKEN, variables: retune.variables, sampleIntervalMs: MINUTE, uploadIntervalMs: MINUTE });
    if (!checked.ok) throw new Error(checked.problems.join("; "));
    const next = checked.config;
    clock.set(() => agent.retune(next), retune.atMs);
  }
  while (clock.runNext(minutes * MINUTE - 1)) await new Promise<void>((resolve) => setImmediate(resolve));
  agent.flush();
  while (clock.runNext(minutes * MINUTE - 1)) await new Promise<void>((resolve) => setImmediate(resolve));
  const last = agent.snapshot();
  agent.stop();
  return { stored: tago.stored, last };
}

const values = (stored: readonly StoredReading[], variable: string): unknown[] => stored.filter((r) => r.variable === variable).map((r) => r.value);

describe("reporting filters across reboots", () => {
  it("with a journal, a reboot sends nothing for values that did not move, and what moved goes on at once", async () => {
    const flash = new NorFlash({ sectorCount: 16, sectorSize: 4096 });
    const world: World = { level: 20, open: false };
    const first = await boot(world, flash, 0, 10);
    expect(values(first.stored, "temperature")).toEqual([20]);
    expect(values(first.stored, "door")).toEqual([false]);
    expect(first.last.filtered).toBe(18);

    // Rebooted: unchanged, nothing goes on until the heartbeat (30 minutes from the boot).
    const second = await boot(world, flash, 11, 10);
    expect(second.stored).toEqual([]);
    expect(second.last.sampled).toBe(second.last.filtered);

    // Rebooted with the temperature 0.4 higher (under the delta) and the door open.
    world.level = 20.4;
    world.open = true;
    const third = await boot(world, flash, 22, 35);
    expect(values(third.stored, "door")).toEqual([true]);
    // Held back until the heartbeat, 30 minutes after the boot.
    expect(values(third.stored, "temperature")).toEqual([20.4]);
    expect(third.stored.find((r) => r.variable === "temperature")?.time).toBe(new Date(START + (22 + 30) * MINUTE).toISOString());
  });

  it("without a journal, the first sample of each variable goes on at every boot", async () => {
    const world: World = { level: 20, open: false };
    await boot(world, undefined, 0, 10);
    const second = await boot(world, undefined, 11, 10);
    expect(values(second.stored, "temperature")).toEqual([20]);
    expect(values(second.stored, "door")).toEqual([false]);
  });

  it("resumes by name and unit: a variable whose unit changed starts afresh", async () => {
    const flash = new NorFlash({ sectorCount: 16, sectorSize: 4096 });
    const world: World = { level: 20, open: false };
    await boot(world, flash, 0, 5);
    VARIABLES[0].unit = "K";
    try {
      const second = await boot(world, flash, 6, 5);
      expect(values(second.stored, "temperature")).toEqual([20]);
      expect(values(second.stored, "door")).toEqual([]);
    } finally {
      VARIABLES[0].unit = "°C";
    }
  });

  describe("a window a reboot left open", () => {
    const iso = (minute: number): string => new Date(START + minute * MINUTE).toISOString();
    // t is the world minute; h a median's input with an outlier.
    const device = (variables: Array<Record<string, unknown>>): Device => ({ variables, sample: (m) => ({ t: m, h: m % 5 === 3 ? 90 : 40 + m / 10 }) });
    const WINDOWED = [
      { name: "temperature", unit: "°C", sensor: "probe", field: "t", window: { samples: 10, aggregate: "mean" } },
      { name: "humidity", unit: "%", sensor: "probe", field: "h", window: { samples: 5, aggregate: "median" }, decimals: 1 },
    ];
    const accounted = (s: Snapshot): boolean => s.sampled === s.delivered + s.droppedTotal + s.buffered + s.filtered;

    // With 256-byte sectors a window's entries span several sectors.
    it.each([
      [16, 4096],
      [64, 256],
    ])("is closed at the boot with what it held, stamped with its last sample's time, and never closed twice (%i sectors of %i bytes)", async (sectorCount, sectorSize) => {
      const flash = new NorFlash({ sectorCount, sectorSize });
      const world: World = { level: 0, open: false };
      // Minutes 0 to 24: temperature windows close at 9 and 19, 20-24 stay open; humidity's at 4, 9, ..., 24.
      const first = await boot(world, flash, 0, 25, device(WINDOWED));
      expect(first.stored.filter((r) => r.variable === "temperature").map((r) => [r.value, r.time])).toEqual([
        [4.5, iso(9)],
        [14.5, iso(19)],
      ]);
      expect(values(first.stored, "humidity")).toEqual([40.2, 40.7, 41.2, 41.7, 42.2]);
      expect(accounted(first.last)).toBe(true);

      // Off for five minutes; the second boot closes the open window first: the mean of 20-24.
      const second = await boot(world, flash, 30, 7, device(WINDOWED));
      expect(second.stored[0]).toMatchObject({ variable: "temperature", value: 22, time: iso(24) });
      expect(second.stored.filter((r) => r.variable === "temperature").map((r) => r.value)).toEqual([22]);
      // Humidity's window closed at 24, so none was open; 30-34 closes at 34, 35-36 stay open.
      expect(second.stored.filter((r) => r.variable === "humidity").map((r) => [r.value, r.time])).toEqual([[43.2, iso(34)]]);
      expect(second.last.sampled).toBe(7 * 2 + 1);
      expect(accounted(second.last)).toBe(true);

      // The third boot closes only what the second left open: temperature 30-36, humidity 35-36.
      const third = await boot(world, flash, 40, 1, device(WINDOWED));
      expect(third.stored.slice(0, 2).map((r) => [r.variable, r.value, r.time])).toEqual([
        ["temperature", 33, iso(36)],
        ["humidity", 43.6, iso(36)],
      ]);
      expect(third.stored.filter((r) => r.time === iso(24))).toEqual([]);
    });

    it("is closed by the mean when its variable has no window any more, and without a journal it is gone", async () => {
      const flash = new NorFlash({ sectorCount: 16, sectorSize: 4096 });
      const world: World = { level: 0, open: false };
      await boot(world, flash, 0, 3, device(WINDOWED));
      const plain = WINDOWED.map(({ window: _window, decimals: _decimals, ...rest }) => rest);
      const second = await boot(world, flash, 5, 1, device(plain));
      // Temperature held 0, 1, 2; humidity 40, 40.1, 40.2: each goes on as its mean, then minute 5's sample.
      expect(second.stored.map((r) => [r.variable, r.value, r.time])).toEqual([
        ["temperature", 1, iso(2)],
        ["humidity", 40.1, iso(2)],
        ["temperature", 5, iso(5)],
        ["humidity", 40.5, iso(5)],
      ]);

      await boot(world, undefined, 0, 3, device(WINDOWED));
      const unjournaled = await boot(world, undefined, 5, 1, device(WINDOWED));
      expect(unjournaled.stored).toEqual([]);
      expect(unjournaled.last.filtered).toBe(2);
    });

    it("goes on at once with what it held when a live change replaces the filters, and is not closed again at the next boot", async () => {
      const flash = new NorFlash({ sectorCount: 16, sectorSize: 4096 });
      const world: World = { level: 0, open: false };
      const shorter = [{ ...WINDOWED[0], window: { samples: 3, aggregate: "mean" } }, WINDOWED[1]];
      // Just after minute 12's sample: temperature held 10-12, humidity 10-12 (41, 41.1, 41.2).
      const atMs = 12 * MINUTE + 1;
      const first = await boot(world, flash, 0, 15, { ...device(WINDOWED), retune: { atMs, variables: shorter } });
      const retuned = new Date(START + atMs).toISOString();
      expect(first.stored.filter((r) => r.time === retuned).map((r) => [r.variable, r.value])).toEqual([
        ["temperature", 11],
        ["humidity", 41.1],
      ]);
      expect(accounted(first.last)).toBe(true);
      // After the change, minutes 13 and 14 (sampled 1 ms past each) stay open to the reboot.
      const second = await boot(world, flash, 20, 1, device(WINDOWED));
      const lastSample = new Date(START + 14 * MINUTE + 1).toISOString();
      expect(second.stored.filter((r) => r.time === lastSample).map((r) => [r.variable, r.value])).toEqual([
        ["temperature", 13.5],
        ["humidity", 65.7],
      ]);
      expect(second.stored.filter((r) => r.time === retuned)).toEqual([]);
    });
  });
});
