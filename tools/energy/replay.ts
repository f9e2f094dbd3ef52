// The energy model's arithmetic: a run's phase counts replayed against a power profile. Each
// counted phase costs its profile duration at its profile current; the time those phases take
// comes out of the run's background state (deep sleep first, else idle), since the virtual clock
// a run keeps stands still while a request is on the wire; the rest of the run is charged at the
// background's current. Charges are in mA·ms until the end.

import type { PhaseCounts } from "../../host-sim/device/phase-counts.js";
import type { PowerProfile, TimedPhaseName } from "./profile.js";
import type { WakeWork } from "./wake-work.js";

/** The phase counts the replay reads, beside the per-boot ones. */
const COUNTED = ["deviceMs", "boots", "samples", "wifiJoins", "tlsHandshakes", "requests", "bytesSent", "bytesReceived", "sleepMs", "idleMs", "xsComputrons"] as const;
const PER_BOOT = ["awakeMs", "flashPagePrograms", "flashSectorsErased"] as const;

/**
 * What the replay needs of a run's phase counts (host-sim/device/phase-counts.ts, which the host
 * simulator's runs give whole): the baseline's run, which no agent makes, gives just these. Beside
 * them, `xsComputrons`: the agent's XS work over the run, measured on xsnap (0: not measured).
 */
export type RunCounts = Pick<PhaseCounts, Exclude<(typeof COUNTED)[number], "xsComputrons"> | (typeof PER_BOOT)[number]> & {
  xsComputrons: number;
  /** The sleep run's work at each boot, for people: not replayed (the counts above are). */
  wakeWork?: WakeWork[];
};

/** Charge by phase, in mAh over the run. */
export type Breakdown = Record<TimedPhaseName | "awake" | "idle" | "deepSleep", number>;

export interface Energy {
  averageMa: number;
  mAhPerDay: number;
  /** Days on the battery. */
  days: number;
  breakdown: Breakdown;
  /** Device time charged as awake: awake, not idle, beyond the counted phases. */
  awakeMs: number;
}

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/** The phases a run counts, each with how many times (or KB) it happened. */
function timedCounts(counts: RunCounts): Record<TimedPhaseName, number> {
  return {
    boot: counts.boots,
    sample: counts.samples,
    wifiJoin: counts.wifiJoins,
    dhcp: counts.wifiJoins,
    tlsHandshake: counts.tlsHandshakes,
    requestWait: counts.requests,
    sendPerKb: counts.bytesSent / 1024,
    receivePerKb: counts.bytesReceived / 1024,
    flashErase: sum(counts.flashSectorsErased),
    flashProgram: sum(counts.flashPagePrograms),
    xsPerMillionComputrons: counts.xsComputrons / 1_000_000,
  };
}

/** The counts the replay uses that are not counts (a run's other figures are not its to judge). */
function countsProblems(counts: RunCounts): string[] {
  const fields: Array<[string, number]> = [
    ...COUNTED.map((key): [string, number] => [key, counts[key]]),
    ...PER_BOOT.flatMap((key) => counts[key].map((n, i): [string, number] => [`${key}[${i}]`, n])),
  ];
  return fields
    .filter(([, value]) => typeof value !== "number" || !Number.isFinite(value) || value < 0)
    .map(([key, value]) => `${key}: must be a count at least 0 (got ${String(value)})`);
}

/** Replays `counts` against `profile`; `batteryMah` is the usable charge of the battery. */
export function replay(counts: RunCounts, profile: PowerProfile, batteryMah: number): Energy {
  const problems = countsProblems(counts);
  if (problems.length > 0) throw new RangeError(`phase counts: ${problems.join("; ")}`);
  const phases = timedCounts(counts);
  const charge = {} as Breakdown;
  let phaseMs = 0;
  for (const [name, times] of Object.entries(phases) as [TimedPhaseName, number][]) {
    const phase = profile[name];
    charge[name] = times * phase.ms * phase.ma;
    phaseMs += times * phase.ms;
  }
  // The phases' time is taken from the background they interrupt: deep sleep, then idle.
  const fromSleep = Math.min(counts.sleepMs, phaseMs);
  const sleepMs = counts.sleepMs - fromSleep;
  const idleMs = Math.max(0, counts.idleMs - (phaseMs - fromSleep));
  // Time awake that was not idle (always-on counts its whole run as both).
  const awakeMs = Math.max(0, sum(counts.awakeMs) - counts.idleMs);
  charge.awake = awakeMs * profile.awake.ma;
  charge.idle = idleMs * profile.idle.ma;
  charge.deepSleep = sleepMs * profile.deepSleep.ma;
  const totalMs = phaseMs + awakeMs + sleepMs + idleMs;
  let total = 0;
  for (const key of Object.keys(charge) as (keyof Breakdown)[]) {
    total += charge[key];
    charge[key] /= MS_PER_HOUR;
  }
  const averageMa = totalMs > 0 ? total / totalMs : 0;
  const mAhPerDay = (averageMa * MS_PER_DAY) / MS_PER_HOUR;
  return { averageMa, mAhPerDay, days: mAhPerDay > 0 ? batteryMah / mAhPerDay : Infinity, breakdown: charge, awakeMs };
}
