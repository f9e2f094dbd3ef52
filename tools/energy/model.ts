// The energy model: the three device patterns run on the virtual clock against one local endpoint
// (a device token each), their phase counts replayed against the power profile, and the goal
// judged: sleep mode lasts at least 20 times the baseline, and at least a year.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEndpoint } from "../../host-sim/endpoint/server.js";
import type { PowerProfile } from "./profile.js";
import { replay, type Energy, type RunCounts } from "./replay.js";
import { alwaysOnRun, baselineRun, sleepRun, type DeviceRun } from "./runs.js";
import { wakeFigures } from "./wake-figures.js";

export const PATTERNS = ["sleep", "alwaysOn", "baseline"] as const;
export type Pattern = (typeof PATTERNS)[number];

export interface ModelOptions {
  profile: PowerProfile;
  batteryMah: number;
  durationMs: number;
  sampleIntervalMs: number;
  uploadIntervalMs: number;
  /** The runs, by pattern; a pattern without one is not run (its figures null). Default: all three real runs. */
  runs?: Partial<Record<Pattern, DeviceRun>>;
}

export interface Figures {
  averageMa: number;
  mAhPerDay: number;
  days: number;
}

export interface PatternResult {
  counts: RunCounts;
  energy: Energy;
}

export interface ModelResult {
  results: Partial<Record<Pattern, PatternResult>>;
  /** The last line's object: each pattern's figures (null when not run) and the goal. */
  summary: Record<string, unknown>;
}

/** 2026-01-01T00:00:00Z: the runs' start, fixed so that a run is the same each time. */
const START_WALL_MS = Date.UTC(2026, 0, 1);
const GOAL_RATIO = 20;
const GOAL_DAYS = 365;

const DEFAULT_RUNS: Partial<Record<Pattern, DeviceRun>> = { sleep: sleepRun, alwaysOn: alwaysOnRun, baseline: baselineRun };

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function figures(energy: Energy): Figures {
  return { averageMa: round(energy.averageMa, 4), mAhPerDay: round(energy.mAhPerDay, 3), days: round(energy.days, 1) };
}

export async function runModel(options: ModelOptions): Promise<ModelResult> {
  const runs = options.runs ?? DEFAULT_RUNS;
  const tokens: Record<Pattern, string> = {
    sleep: "5e0f3c1a-2b4d-4c6e-8f70-9a1b2c3d4e01",
    alwaysOn: "5e0f3c1a-2b4d-4c6e-8f70-9a1b2c3d4e02",
    baseline: "5e0f3c1a-2b4d-4c6e-8f70-9a1b2c3d4e03",
  };
  const dataDir = mkdtempSync(join(tmpdir(), "energy-"));
  let now: () => number = Date.now;
  const endpoint = await startEndpoint({ dataDir, devices: PATTERNS.map((p) => ({ token: tokens[p] })), now: () => now() });
  const results: Partial<Record<Pattern, PatternResult>> = {};
  try {
    for (const pattern of PATTERNS) {
      const run = runs[pattern];
      if (run === undefined) continue;
      const counts = await run({
        durationMs: options.durationMs,
        startWallMs: START_WALL_MS,
        sampleIntervalMs: options.sampleIntervalMs,
        uploadIntervalMs: options.uploadIntervalMs,
        port: endpoint.port,
        token: tokens[pattern],
        ca: endpoint.caPem,
        caName: endpoint.caPemPath,
        useClock: (clock) => (now = clock),
      });
      results[pattern] = { counts, energy: replay(counts, options.profile, options.batteryMah) };
    }
  } finally {
    await endpoint.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { results, summary: summarize(results, options) };
}

/** The XS rate the profile assumes, and the sleep mode's days at half and at double that rate. */
function xsRate(counts: RunCounts, options: ModelOptions): Record<string, number> {
  const xs = options.profile.xsPerMillionComputrons;
  const daysAt = (ms: number): number => round(replay(counts, { ...options.profile, xsPerMillionComputrons: { ...xs, ms } }, options.batteryMah).days, 1);
  return { computronsPerSecond: xs.ms > 0 ? round(1e9 / xs.ms, 0) : Infinity, daysAtHalfRate: daysAt(xs.ms * 2), daysAtDoubleRate: daysAt(xs.ms / 2) };
}

function summarize(results: Partial<Record<Pattern, PatternResult>>, options: ModelOptions): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    profile: options.profile.name,
    batteryMah: options.batteryMah,
    runMs: options.durationMs,
    sampleIntervalMs: options.sampleIntervalMs,
    uploadIntervalMs: options.uploadIntervalMs,
  };
  for (const pattern of PATTERNS) {
    const result = results[pattern];
    summary[pattern] = result === undefined ? null : figures(result.energy);
  }
  const sleepCounts = results.sleep?.counts;
  if (sleepCounts?.wakeWork !== undefined) {
    summary.wakes = wakeFigures(sleepCounts.wakeWork, options.profile);
    summary.xsRate = xsRate(sleepCounts, options);
  }
  const sleep = results.sleep?.energy;
  const baseline = results.baseline?.energy;
  if (sleep === undefined || baseline === undefined) {
    summary.goal = { met: null, notRun: "the goal needs the sleep and baseline runs" };
  } else {
    const ratio = sleep.days / baseline.days;
    summary.goal = { sleepVsBaseline: round(ratio, 1), atLeast: GOAL_RATIO, sleepDays: round(sleep.days, 1), atLeastDays: GOAL_DAYS, met: ratio >= GOAL_RATIO && sleep.days >= GOAL_DAYS };
  }
  return summary;
}
