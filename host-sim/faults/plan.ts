// What goes wrong in one run of the fault campaign, drawn from a seed so a run replays exactly:
// the device's partition and ring, a timeline of "weather" periods for the link (good, offline,
// refused, resets, timeouts, 5xx, 429, 413, HTML, garbage, truncated or 10 MB answers,
// acknowledgements lost after the server stored the data, 401s, the device deactivated (400)),
// sporadic faults in good weather, power cuts armed at random flash operations, wall-clock jumps,
// and bits that flip on the flash (in sector headers, and anywhere). Every other run is in sleep
// mode: a boot per wake, the radio up only to upload.

import { HEADER_BYTES } from "../../firmware/core/frame.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";

export type TransportFault =
  | "refused"
  | "reset"
  | "timeout"
  | "5xx"
  | "429"
  | "413"
  | "401"
  | "html"
  | "garbage"
  | "truncated"
  | "huge"
  | "ack-lost";

export const TRANSPORT_FAULTS: readonly TransportFault[] = [
  "refused",
  "reset",
  "timeout",
  "5xx",
  "429",
  "413",
  "401",
  "html",
  "garbage",
  "truncated",
  "huge",
  "ack-lost",
];

/** The link's state for a while: good, Wi-Fi gone, the device switched off (TagoCore's 400 "Device is deactivated"), or a transport fault. */
export type Weather = "good" | "offline" | "deactivated" | TransportFault;

export interface Period {
  /** Run time (ms from the run's start) the period begins; it lasts until the next one. */
  at: number;
  weather: Weather;
}

export interface CutPlan {
  at: number;
  /** The cut strikes this many flash operations after `at`, at this byte of that operation. */
  afterOps: number;
  atByte: number;
}

/** A bit of the flash that flips at `at`: bit `bit` of byte `offset` of the partition. */
export interface RotPlan {
  at: number;
  offset: number;
  bit: number;
  /** Aimed at a sector header. */
  header: boolean;
}

export interface RunPlan {
  seed: number;
  mode: "always-on" | "sleep";
  /** Sleep mode: wakes between uploads. */
  uploadEvery: number;
  durationMs: number;
  sectors: number;
  bufferCapacity: number;
  sampleIntervalMs: number;
  periods: Period[];
  /** In good weather, the chance that a request meets a transport fault anyway. */
  sporadic: number;
  cuts: CutPlan[];
  jumps: Array<{ at: number; deltaMs: number }>;
  rot: RotPlan[];
}

const MINUTE = 60_000;

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[random.below(items.length)];
}

export function planRun(seed: number, hours: number): RunPlan {
  const random = new SeededRandom(seed);
  const durationMs = Math.round(hours * 60 * MINUTE);
  const periods: Period[] = [];
  const bad: Weather[] = ["offline", "deactivated", ...TRANSPORT_FAULTS];
  for (let at = 0; at < durationMs; at += (5 + random.below(40)) * MINUTE) {
    periods.push({ at, weather: random.next() < 0.45 ? "good" : pick(random, bad) });
  }
  const cuts: CutPlan[] = [];
  const cutCount = random.below(Math.ceil(hours * 1.5) + 1);
  for (let i = 0; i < cutCount; i++) {
    cuts.push({ at: random.below(durationMs), afterOps: random.below(300), atByte: random.below(random.next() < 0.5 ? 16 : 4096) });
  }
  const jumps: Array<{ at: number; deltaMs: number }> = [];
  const jumpCount = random.below(3);
  for (let i = 0; i < jumpCount; i++) {
    jumps.push({ at: random.below(durationMs), deltaMs: (random.next() < 0.5 ? -1 : 1) * (1000 + random.below(10 * MINUTE)) });
  }
  // Drawn apart, so the rest of a seed's plan stays what it was before bit rot was added.
  const rotRandom = new SeededRandom(seed ^ 0x2f0b);
  const sectors = pick(random, [6, 10, 16, 32]);
  // Drawn apart too, for the same reason: sleep mode in odd seeds' runs, so any two runs cover both.
  const sleepRandom = new SeededRandom(seed ^ 0x51ee9);
  const mode = seed % 2 === 1 ? "sleep" : "always-on";
  const rot: RotPlan[] = [];
  const rotCount = rotRandom.below(Math.ceil(hours * 2) + 1);
  for (let i = 0; i < rotCount; i++) {
    const header = rotRandom.next() < 0.5;
    const sector = rotRandom.below(sectors);
    // The run's flash has 4 KB sectors.
    const offset = sector * 4096 + rotRandom.below(header ? HEADER_BYTES : 4096);
    rot.push({ at: rotRandom.below(durationMs), offset, bit: rotRandom.below(8), header });
  }
  // In the order drawn before sleep mode was added, so an always-on run's plan stays what it was.
  const bufferCapacity = pick(random, [64, 256, 1024]);
  const sampleIntervalMs = pick(random, [5_000, 10_000]);
  return {
    seed,
    mode,
    uploadEvery: pick(sleepRandom, [1, 4, 15]),
    durationMs,
    sectors,
    bufferCapacity,
    // Sleep mode wakes less often: each wake is a boot.
    sampleIntervalMs: mode === "sleep" ? pick(sleepRandom, [30_000, 60_000]) : sampleIntervalMs,
    periods,
    sporadic: 0.05 + random.next() * 0.15,
    cuts: cuts.sort((a, b) => a.at - b.at),
    jumps: jumps.sort((a, b) => a.at - b.at),
    rot: rot.sort((a, b) => a.at - b.at),
  };
}
