// `npm run energy` end to end: the always-on agent and the baseline run on the virtual clock
// against the local endpoint over TLS, and the last line is the JSON the issue asks for, with the
// sleep mode's work per wake measured on xsnap; over a day the default profile meets the ratio to
// the baseline but, with the agent's own work charged, not the year. A bad profile is refused
// before anything runs, naming the field.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runModel } from "../../tools/energy/model.js";
import { DEFAULT_PROFILE } from "../../tools/energy/profile.js";
import type { RunCounts } from "../../tools/energy/replay.js";
import { alwaysOnRun, baselineRun, DEVICE_SETTINGS } from "../../tools/energy/runs.js";
import type { PhaseCounts } from "../../host-sim/device/phase-counts.js";
import { cli, scriptCommand } from "../e2e/cli-process.js";

const HOUR = 3_600_000;

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

describe("npm run energy", () => {
  it("prints the three patterns' figures as its last line", async () => {
    const out = await cli(["--duration", "2h"], undefined, scriptCommand("energy"));
    expect(out.code, out.stderr).toBe(0);
    const summary = lastJson(out.stdout);
    expect(summary).toMatchObject({ profile: DEFAULT_PROFILE.name, batteryMah: 2500, runMs: 2 * HOUR, sampleIntervalMs: 60_000, uploadIntervalMs: HOUR });
    for (const pattern of ["sleep", "alwaysOn", "baseline"]) {
      expect(summary[pattern]).toEqual({ averageMa: expect.any(Number), mAhPerDay: expect.any(Number), days: expect.any(Number) });
    }
    const alwaysOn = summary.alwaysOn as { averageMa: number; days: number };
    const baseline = summary.baseline as { averageMa: number; days: number };
    // Always-on idles associated at 31 mA; the baseline sleeps between its wakes.
    expect(alwaysOn.averageMa).toBeGreaterThan(DEFAULT_PROFILE.idle.ma);
    expect(baseline.days).toBeGreaterThan(alwaysOn.days);
    // Sleep mode: the host simulator's power cycles, well over 20 times the baseline's days.
    const sleep = summary.sleep as { days: number };
    const goal = summary.goal as { sleepVsBaseline: number; sleepDays: number; met: boolean };
    expect(goal.sleepVsBaseline).toBeGreaterThanOrEqual(20);
    expect(goal.sleepDays).toBe(sleep.days);
    expect(goal.met).toBe(goal.sleepVsBaseline >= 20 && goal.sleepDays >= 365);
  });

  it("over the day the README reports: 20 times the baseline, and the wake's own work measured and charged", async () => {
    const out = await cli([], undefined, scriptCommand("energy"));
    expect(out.code, out.stderr).toBe(0);
    const summary = lastJson(out.stdout);
    const goal = summary.goal as { sleepVsBaseline: number; sleepDays: number; met: boolean };
    expect(goal.sleepVsBaseline).toBeGreaterThanOrEqual(20);
    expect(goal.met).toBe(goal.sleepDays >= 365);
    type Wakes = Record<"sampleOnly" | "upload", { wakes: number; computrons: { mean: number; max: number }; flashBytesRead: { max: number }; agentMs: { mean: number } }>;
    const wakes = summary.wakes as Wakes;
    // 1,440 timer wakes: one an hour uploads (the power-on boot is left out of these figures).
    expect(wakes.upload.wakes).toBe(24);
    expect(wakes.sampleOnly.wakes).toBe(1416);
    expect(wakes.sampleOnly.computrons.mean).toBeGreaterThan(10_000);
    expect(wakes.upload.computrons.mean).toBeGreaterThan(wakes.sampleOnly.computrons.max);
    expect(wakes.sampleOnly.flashBytesRead.max).toBeLessThan(1_000);
    expect(wakes.sampleOnly.agentMs.mean).toBeGreaterThan(0);
    const rate = summary.xsRate as { computronsPerSecond: number; daysAtHalfRate: number; daysAtDoubleRate: number };
    expect(rate.computronsPerSecond).toBe(1e9 / DEFAULT_PROFILE.xsPerMillionComputrons.ms);
    expect(rate.daysAtHalfRate).toBeLessThan(goal.sleepDays);
    expect(rate.daysAtDoubleRate).toBeGreaterThan(goal.sleepDays);
    expect(out.stdout).toMatch(/^sample-only +1416 /m);
  });

  it("refuses a bad profile before running, naming each field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "energy-profile-"));
    try {
      const file = join(dir, "profile.json");
      writeFileSync(file, JSON.stringify({ deepSleep: { ma: "ten" }, tls: { ma: 50, ms: 1500 } }));
      const out = await cli(["--profile", file], undefined, scriptCommand("energy"));
      expect(out.code).toBe(2);
      expect(out.stderr).toContain(`--profile ${file}: tls: not a phase or state of the profile`);
      expect(out.stderr).toContain(`--profile ${file}: deepSleep.ma: must be a number at least 0 (got "ten")`);
      expect(out.stdout).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the runs", () => {
  it("count the baseline's phases wake by wake, and the agent's always-on", async () => {
    const { results } = await runModel({ profile: DEFAULT_PROFILE, batteryMah: 2500, durationMs: HOUR, sampleIntervalMs: 60_000, uploadIntervalMs: HOUR, runs: { alwaysOn: alwaysOnRun, baseline: baselineRun } });
    const baseline = results.baseline?.counts as RunCounts;
    // A wake a minute: a boot, a join, a sample of three readings, each posted on its own connection.
    expect(baseline).toMatchObject({ deviceMs: HOUR, boots: 60, wifiJoins: 60, samples: 60, requests: 180, tlsHandshakes: 180, idleMs: 0 });
    expect(baseline.awakeMs).toHaveLength(60);
    expect(baseline.sleepMs + baseline.awakeMs.reduce((sum, ms) => sum + ms, 0)).toBe(HOUR);
    expect(baseline.bytesReceived).toBeGreaterThan(0);
    const alwaysOn = results.alwaysOn?.counts as RunCounts;
    // Samples at start and every minute; the first upload an hour in, its 183 readings in one of
    // the device's 20 KB batches (manifests/memory.json): one request.
    expect(DEVICE_SETTINGS.maxBatchBytes).toBe(20_480);
    expect(alwaysOn).toMatchObject({ boots: 1, wifiJoins: 1, samples: 61, requests: 1, tlsHandshakes: 1, awakeMs: [HOUR], sleepMs: 0, idleMs: HOUR });
    expect(alwaysOn.bytesSent).toBeGreaterThan(60 * 3 * 50);
  });

  it("judge the goal once the sleep mode's run is there", async () => {
    // As the host simulator's sleep-mode run gives them (host-sim/device/phase-counts.ts), whole.
    const sleep: PhaseCounts = {
      mode: "sleep",
      deviceMs: HOUR,
      boots: 60,
      wakes: 59,
      awakeMs: Array.from({ length: 60 }, () => 50),
      samples: 60,
      readings: 180,
      wifiJoins: 1,
      tlsHandshakes: 1,
      requests: 1,
      bytesSent: 20_000,
      bytesReceived: 300,
      sleepMs: HOUR - 60 * 50,
      idleMs: 0,
      flashBytesRead: Array.from({ length: 60 }, () => 832),
      flashBytesProgrammed: Array.from({ length: 60 }, () => 540),
      flashPagePrograms: Array.from({ length: 60 }, () => 4),
      flashSectorsErased: Array.from({ length: 60 }, (_, i) => (i % 10 === 0 ? 1 : 0)),
      radio: Array.from({ length: 60 }, (_, i) => i === 0),
    };
    const run = () => Promise.resolve({ ...sleep, xsComputrons: 60 * 100_000 });
    const { summary } = await runModel({ profile: DEFAULT_PROFILE, batteryMah: 2500, durationMs: HOUR, sampleIntervalMs: 60_000, uploadIntervalMs: HOUR, runs: { sleep: run, baseline: baselineRun } });
    const goal = summary.goal as { sleepVsBaseline: number; met: boolean; sleepDays: number };
    const days = (summary.sleep as { days: number }).days;
    expect(goal.sleepDays).toBeCloseTo(days, 0);
    expect(goal.sleepVsBaseline).toBeCloseTo(days / (summary.baseline as { days: number }).days, 0);
    expect(goal.met).toBe(goal.sleepVsBaseline >= 20 && goal.sleepDays >= 365);
    expect(summary.alwaysOn).toBeNull();
  });
});
