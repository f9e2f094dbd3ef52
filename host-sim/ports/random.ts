// The random port for the host: seeded (replays exactly) in virtual runs, Math.random otherwise.

import type { Random } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";

export function hostRandom(seed?: number): Random {
  return seed === undefined ? { next: () => Math.random() } : new SeededRandom(seed);
}
