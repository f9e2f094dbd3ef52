// The benchmarked device: one sample a second of three variables with units (an SHT3x and a
// BMP280, simulated and seeded), everything else at the agent's defaults (upload every 60 s, a
// 1024-record ring). The agent and the baseline share it: same sensors, same clock, same values.

import type { Clock, Sensor } from "../firmware/ports.js";
import { BOARD_VARIABLES } from "../firmware/simulated/board.js";
import { simulatedSensors } from "../firmware/simulated/sensors.js";

export const TOKEN = "6a2c1f0e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
export const HOST = "api.tago.io";
export const SAMPLE_INTERVAL_MS = 1_000;
/** 2025-06-01T00:00:00.000Z */
export const WALL_START_MS = 1_748_736_000_000;

/**
 * The agent's raw configuration: only what the device must say, the rest defaults, but no health
 * telemetry: the baseline has none, and the figures are per sensor reading.
 */
export const AGENT_CONFIG = { token: TOKEN, host: HOST, sampleIntervalMs: SAMPLE_INTERVAL_MS, variables: BOARD_VARIABLES, telemetryIntervalMs: 0 };

export function deviceSensors(clock: Clock): Sensor[] {
  return simulatedSensors({ clock, seed: 1 });
}
