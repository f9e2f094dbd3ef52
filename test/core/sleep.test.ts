// The sleep mode end to end on the portable harness (test/xs/sleep-scenario.ts): the real agent
// core, one boot per wake on the NOR-flash emulator, nothing carried between boots but the flash.
// What must hold: nothing taken is lost or stored twice, across power cuts at any flash
// operation of a wake (a sample being journaled, a release after an upload, the state being
// saved); the invariant counts across boots; the radio comes up only when an upload is due; a
// wake reads its state and what is new, not the journal.

import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { validateConfig } from "../../firmware/core/config.js";
import { reply } from "../../firmware/fakes/scripted-http.js";
import { runSleepScenario, type SleepScenarioSpec } from "../xs/sleep-scenario.js";
import { BOARD_VARIABLES, TOKEN } from "../support/fixtures.js";
import { expectNothingLost } from "../support/sleep-checks.js";

const MINUTE = 60_000;
/** What a boot read of a 256 KB journal before the sleep mode: every sector, whole. */
const FULL_RECOVERY_BYTES = 259_968;

function spec(more: Partial<SleepScenarioSpec> & { config?: Record<string, unknown> } = {}): SleepScenarioSpec {
  return {
    flash: { sectorCount: 64, sectorSize: 4096, seed: 3 },
    wallStartMs: Date.UTC(2026, 0, 1),
    boots: 100,
    ...more,
    config: { token: TOKEN, variables: BOARD_VARIABLES, mode: "sleep", sampleIntervalMs: MINUTE, telemetryIntervalMs: 0, ...more.config },
  };
}

describe("sleep mode", () => {
  it("wakes once a minute for a day, uploads hourly over one connection, and loses nothing", async () => {
    const r = await runSleepScenario(spec({ boots: 1441, drainFrom: 1440, config: { uploadEvery: 60 } }));
    expectNothingLost(r);
    // Each sleep ends when the next sample is due, on the grid whatever the wake took.
    expect(r.wakes.every((w) => w.endedBy === "sleep" && w.awakeMs + w.sleepMs === MINUTE)).toBe(true);
    // The first boot (power-on) checks in; then every 60th wake, the last one the drain's too.
    const radio = r.wakes.flatMap((w, i) => (w.radio ? [i] : []));
    expect(radio.slice(0, 4)).toEqual([0, 60, 120, 180]);
    expect(radio.length).toBe(25);
    expect(r.wakes.filter((w) => !w.radio).every((w) => w.requests === 0)).toBe(true);
    // One POST an upload wake: no landing check, since each wake resumed from a clean sleep.
    expect(r.wakes.filter((w) => w.radio).every((w) => w.requests === 1)).toBe(true);
    expect(r.wakes.slice(1).every((w) => w.resumed)).toBe(true);
    expect(r.taken.length).toBe(1441 * 3);
    // A wake that only samples reads its state and two sector headers, not the journal.
    const sampling = r.wakes.filter((w, i) => i > 0 && !w.radio).map((w) => w.flashRead);
    expect(Math.max(...sampling)).toBeLessThan(1_200);
    expect(Math.max(...r.wakes.map((w) => w.flashRead))).toBeLessThan(FULL_RECOVERY_BYTES / 20);
  });

  it("wakes every half hour for a month and loses nothing", async () => {
    const r = await runSleepScenario(spec({ boots: 30 * 48 + 1, drainFrom: 30 * 48, config: { sampleIntervalMs: 30 * MINUTE, uploadEvery: 8 } }));
    expectNothingLost(r);
    expect(r.wakes[r.wakes.length - 1].atMs).toBe(30 * 24 * 60 * MINUTE);
    // The power-on, then every 8th wake (the last one the drain's too).
    expect(r.wakes.filter((w) => w.radio).length).toBe(1 + 30 * 6);
  });

  it("survives power cuts at random flash operations of random wakes: mid-journal-write, mid-upload, mid-state-write", async () => {
    const random = new SeededRandom(11);
    const boots = 400;
    const cuts = [];
    for (let boot = 2; boot < boots - 20; boot += 1 + random.below(6)) cuts.push({ boot, afterOps: random.below(3), atByte: random.below(600) });
    const r = await runSleepScenario(spec({ boots, drainFrom: boots - 10, cuts, config: { uploadEvery: 5 } }));
    expectNothingLost(r);
    const cutWakes = r.wakes.filter((w) => w.endedBy === "cut");
    expect(cutWakes.length).toBeGreaterThan(40);
    // Cut during an upload wake (its releases or state), and during sampling wakes.
    expect(cutWakes.filter((w) => w.radio).length).toBeGreaterThan(5);
    expect(cutWakes.filter((w) => !w.radio).length).toBeGreaterThan(5);
    // The wake after a cut is a power-on: it recovers the journal in full (the snapshot is stale or gone).
    r.wakes.forEach((w, i) => {
      if (i > 0 && r.wakes[i - 1].endedBy === "cut") expect(w.reason).toBe("power-on");
    });
    expect(r.takenAtCut.length).toBeGreaterThan(0);
  });

  it("backs off across wakes while uploads fail, radio off in between, then delivers everything", async () => {
    const failing = 300;
    const r = await runSleepScenario(
      spec({
        boots: 400,
        drainFrom: 399,
        rule: (_, boot) => (boot < failing ? reply(500, { status: false, message: "down" }) : "store"),
        config: { uploadEvery: 1, backoffCapMs: 3_600_000 },
      }),
    );
    expectNothingLost(r);
    const radioWhileFailing = r.wakes.slice(0, failing).filter((w) => w.radio).length;
    // Every wake was due; full-jitter backoff on the failed wakes in a row spaces the tries out.
    expect(radioWhileFailing).toBeGreaterThan(3);
    expect(radioWhileFailing).toBeLessThan(40);
    expect(r.wakes.slice(0, failing).every((w) => w.requests <= 1)).toBe(true);
  });

  it("uploads at once when a reading crosses its alarm threshold", async () => {
    const variables = BOARD_VARIABLES.map((v, i) => (i === 0 ? { ...v, alarmAbove: -100 } : v));
    const r = await runSleepScenario(spec({ boots: 30, drainFrom: 29, config: { uploadEvery: 1000, variables } }));
    expectNothingLost(r);
    expect(r.wakes.every((w) => w.radio && w.requests === 1)).toBe(true);
    expect(r.logs.some((l) => l.includes("crossed its alarm threshold"))).toBe(true);
  });

  it("uploads when the journal fills to uploadFillPercent, whatever uploadEvery says", async () => {
    // 8 sectors: 5 for the journal (4 to fill, one spare), 3 for the state.
    const r = await runSleepScenario(spec({ boots: 600, drainFrom: 599, flash: { sectorCount: 8, sectorSize: 1024, seed: 2 }, config: { uploadEvery: 100_000, uploadFillPercent: 40, maxStringLength: 100 } }));
    expectNothingLost(r);
    expect(r.wakes.slice(1, 599).filter((w) => w.radio).length).toBeGreaterThan(5);
  });

  it("is refused, each problem named, where it cannot work", () => {
    const base = { token: TOKEN, variables: BOARD_VARIABLES };
    const problems = (raw: Record<string, unknown>): string[] => {
      const r = validateConfig({ ...base, ...raw });
      return r.ok ? [] : r.problems;
    };
    expect(problems({ mode: "deep" })).toEqual(['mode: "deep" must be "always-on" or "sleep"']);
    expect(problems({ mode: "sleep", journal: false })).toEqual(["mode: sleep keeps readings on flash between wakes; it needs journal=true"]);
    expect(problems({ mode: "sleep", uploadEvery: 0 })).toEqual(["uploadEvery: 0 is out of range (1 to 100000)"]);
    expect(problems({ mode: "sleep", uploadFillPercent: "half" })).toEqual(['uploadFillPercent: "half" is not a whole number']);
    const windowed = [{ ...BOARD_VARIABLES[0], window: { samples: 5 } }];
    expect(problems({ mode: "sleep", variables: windowed })).toEqual([
      "variables[0].window: not in sleep mode (its state is kept in RAM, which a deep sleep loses)",
    ]);
    const alarmed = [{ ...BOARD_VARIABLES[0], alarmAbove: "hot", alarmBelow: 5 }, { ...BOARD_VARIABLES[1], alarmAbove: 10, alarmBelow: 20 }];
    expect(problems({ variables: alarmed })).toEqual(['variables[0].alarmAbove: "hot" is not a finite number', "variables[1].alarmBelow: 20 must be below alarmAbove (10)"]);
    const ok = validateConfig({ ...base, mode: "sleep", uploadEvery: "12", variables: [{ ...BOARD_VARIABLES[0], alarmBelow: "-5" }] });
    expect(ok.ok && [ok.config.mode, ok.config.uploadEvery, ok.config.variables[0].alarmBelow]).toEqual(["sleep", 12, -5]);
  });
});
