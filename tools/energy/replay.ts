// The energy model's arithmetic: a run's phase counts replayed against a power profile. Each
// counted phase costs its profile duration at its profile current; the time those phases take
// comes out of the run's background state (deep sleep first, else idle), since the virtual clock
// a run keeps stands still while a request is on the wire; the rest of the run is charged at the
// background's current. Charges are in mA·ms until the end.

import type { PowerProfile, TimedPhaseName } from "./profile.js";

/**
 * What a virtual run of a device did, counted the same way for every pattern. (C1's sleep mode
 * brings its own run; until its type is merged this is the shape the model replays.)
 */
export interface PhaseCounts {
  /** Device time the run covered. */
  durationMs: number;
  /** Boots: power-on, resets and deep-sleep wakes. */
  boots: number;
  /** Samples taken (every sensor read once). */
  samples: number;
  /** Wi-Fi joins, each with a DHCP lease. */
  wifiJoins: number;
  tlsHandshakes: number;
  requests: number;
  /** Bytes on the wire before TLS: request heads and bodies, answer heads and bodies. */
  bytesSent: number;
  bytesReceived: number;
  /** Device time awake with the radio off, beyond the counted phases. */
  awakeMs: number;
  /** Device time in deep sleep. */
  sleepMs: number;
  /** Device time idle with Wi-Fi associated (always-on between phases). */
  idleMs: number;
}

/** Charge by phase, in mAh over the run. */
export type Breakdown = Record<TimedPhaseName | "awake" | "idle" | "deepSleep", number>;

export interface Energy {
  averageMa: number;
  mAhPerDay: number;
  /** Days on the battery. */
  days: number;
  breakdown: Breakdown;
}

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** The phases a run counts, each with how many times (or KB) it happened. */
function timedCounts(counts: PhaseCounts): Record<TimedPhaseName, number> {
  return {
    boot: counts.boots,
    sample: counts.samples,
    wifiJoin: counts.wifiJoins,
    dhcp: counts.wifiJoins,
    tlsHandshake: counts.tlsHandshakes,
    requestWait: counts.requests,
    sendPerKb: counts.bytesSent / 1024,
    receivePerKb: counts.bytesReceived / 1024,
  };
}

function countsProblems(counts: PhaseCounts): string[] {
  return Object.entries(counts)
    .filter(([, value]) => typeof value !== "number" || !Number.isFinite(value) || value < 0)
    .map(([key, value]) => `${key}: must be a count at least 0 (got ${String(value)})`);
}

/** Replays `counts` against `profile`; `batteryMah` is the usable charge of the battery. */
export function replay(counts: PhaseCounts, profile: PowerProfile, batteryMah: number): Energy {
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
  charge.awake = counts.awakeMs * profile.awake.ma;
  charge.idle = idleMs * profile.idle.ma;
  charge.deepSleep = sleepMs * profile.deepSleep.ma;
  const totalMs = phaseMs + counts.awakeMs + sleepMs + idleMs;
  let total = 0;
  for (const key of Object.keys(charge) as (keyof Breakdown)[]) {
    total += charge[key];
    charge[key] /= MS_PER_HOUR;
  }
  const averageMa = totalMs > 0 ? total / totalMs : 0;
  const mAhPerDay = (averageMa * MS_PER_DAY) / MS_PER_HOUR;
  return { averageMa, mAhPerDay, days: mAhPerDay > 0 ? batteryMah / mAhPerDay : Infinity, breakdown: charge };
}
