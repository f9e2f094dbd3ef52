// The conformance scenarios of the sleep mode, as data. Portable: bundled into the XS worker and
// run by Node from the same bundle.

import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import type { SleepScenarioSpec } from "./sleep-scenario.js";
import { TOKEN, WALL_START_MS } from "./scenarios.js";

const BASE = { token: TOKEN, variables: BOARD_VARIABLES, mode: "sleep", sampleIntervalMs: 60_000, telemetryIntervalMs: 0 };
const FLASH = { sectorCount: 16, sectorSize: 4096, seed: 5 };

export const SLEEP_SCENARIOS: Record<string, SleepScenarioSpec> = {
  /** Two and a half hours of wakes a minute apart, an upload every 30. */
  "sleep-wakes": { config: { ...BASE, uploadEvery: 30 }, flash: FLASH, wallStartMs: WALL_START_MS, boots: 151, drainFrom: 150 },
  /** Power cuts at the first or second flash operation of wakes (a sample journaled, the state saved, a release), some of them upload wakes. */
  "sleep-power-cuts": {
    config: { ...BASE, uploadEvery: 4 },
    flash: FLASH,
    wallStartMs: WALL_START_MS,
    boots: 80,
    drainFrom: 78,
    cuts: [
      { boot: 3, afterOps: 0, atByte: 5 },
      // The power-on after a cut recovers, checks and uploads: cut at its release after the acknowledgement, then at its state.
      { boot: 4, afterOps: 5, atByte: 2 },
      { boot: 5, afterOps: 6, atByte: 30 },
      { boot: 9, afterOps: 1, atByte: 40 },
      { boot: 16, afterOps: 1, atByte: 3 },
      { boot: 24, afterOps: 1, atByte: 0 },
      { boot: 31, afterOps: 0, atByte: 200 },
      { boot: 45, afterOps: 0, atByte: 17 },
      { boot: 60, afterOps: 1, atByte: 9 },
    ],
  },
};
