// The reporting filters across reboots: with a flash journal each variable's delta, throttle and
// heartbeat resume from its newest value on flash; without one, the first sample after a boot
// always goes on.

import { describe, expect, it } from "vitest";
import { Agent, type Snapshot } from "../../firmware/core/agent.js";
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

/** One boot of the agent on `flash` (none: no journal), `minutes` long, from world minute `at`; returns what it stored. */
async function boot(world: World, flash: NorFlash | undefined, at: number, minutes: number): Promise<{ stored: StoredReading[]; last: Snapshot }> {
  flash?.powerOn();
  const clock = new VirtualClock({ wallStartMs: START + at * MINUTE, trusted: true });
  const tago = new FakeTago(clock);
  const agent = Agent.create(
    { token: TOKEN, variables: VARIABLES, sampleIntervalMs: MINUTE, uploadIntervalMs: MINUTE },
    {
      clock,
      timers: clock,
      http: tago.http,
      sensors: [{ name: "probe", sample: () => ({ t: world.level, open: world.open }) }],
      network: { online: () => true },
      logger: new MemoryLogger(),
      random: new SeededRandom(3),
      ...(flash === undefined ? {} : { flash }),
    },
  );
  agent.start();
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
});
