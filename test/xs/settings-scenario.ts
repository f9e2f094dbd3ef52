// Settings on the board and remote configuration, portable: the real agent core, its settings
// layers and the preference adapter over the NVS fake, the in-memory TagoIO with parameters, on
// the virtual clock; a boot that takes the parameters, then a reboot on the same NVS. Everything
// it records is plain data, so the XS and Node runs can be compared whole.

import { Agent, type Snapshot } from "../../firmware/core/agent.js";
import { agentKeys, checkCore, SettingsLayers } from "../../firmware/core/settings-layers.js";
import { FakeTago, type StoredReading } from "../../firmware/fakes/fake-tago.js";
import { NvsPreference } from "../../firmware/fakes/nvs-preference.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { PreferenceSettings, SETTINGS_DOMAIN } from "../../firmware/moddable/preference-settings.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { runUntil } from "../../tools/xs/drive.js";

export const TOKEN = "6a2c1f0e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
const WALL_START_MS = 1_748_736_000_000;
const MINUTE = 60_000;
export const PARAMS_MS = 2 * MINUTE;
/** Built in: a sample a second, uploads every 20 s. */
const DEFAULTS = { token: TOKEN, variables: BOARD_VARIABLES, sampleIntervalMs: "1000", uploadIntervalMs: "20000", telemetryIntervalMs: "0", paramsIntervalMs: String(PARAMS_MS) };

export interface SettingsSpec {
  /** Parameters set on TagoIO at boot, and those set `atMs` later. */
  params: Array<{ key: string; value: string; atMs?: number }>;
  durationMs: number;
}

export interface BootRun {
  snapshot: Snapshot;
  /** The distinct sample times of the boot (its own uptime). */
  sampleTimes: number[];
  logs: string[];
}

export interface SettingsRun {
  boots: BootRun[];
  nvs: Record<string, string>;
  nvsWrites: number;
  params: Array<{ key: string; value: string; sent: boolean }>;
  paramRequests: string[];
  stored: StoredReading[];
}

export const SETTINGS_SCENARIOS: Readonly<Record<string, SettingsSpec>> = {
  /** Valid, invalid, board-only, unknown and filter parameters at boot, a new interval later. */
  remote: {
    params: [
      { key: "sampleIntervalMs", value: "5000" },
      { key: "uploadIntervalMs", value: "abc" },
      { key: "token", value: TOKEN },
      { key: "parser_offset", value: "3" },
      { key: "temperature.delta", value: "0.5" },
      { key: "bufferCapacity", value: "2048" },
      { key: "sampleIntervalMs", value: "2000", atMs: 3 * MINUTE },
    ],
    durationMs: 8 * MINUTE,
  },
};

export async function runSettingsScenario(spec: SettingsSpec): Promise<SettingsRun> {
  const nvs = new NvsPreference();
  const clock = new VirtualClock({ wallStartMs: WALL_START_MS, trusted: true });
  const tago = new FakeTago(clock);
  for (const p of spec.params) {
    if (p.atMs === undefined) tago.setParam(p.key, p.value);
    else clock.set(() => tago.setParam(p.key, p.value), p.atMs);
  }
  const boots: BootRun[] = [];
  for (const durationMs of [spec.durationMs, MINUTE]) {
    const bootClock = boots.length === 0 ? clock : new VirtualClock({ wallStartMs: clock.wallMs(), trusted: true });
    const logs: string[] = [];
    const sampleTimes: number[] = [];
    const sensors = simulatedSensors({ clock: bootClock, seed: 3 }).map((sensor) => ({
      name: sensor.name,
      sample: () => {
        const now = bootClock.monotonicMs();
        if (sampleTimes[sampleTimes.length - 1] !== now) sampleTimes.push(now);
        return sensor.sample();
      },
    }));
    const layers = new SettingsLayers(DEFAULTS, new PreferenceSettings(nvs), checkCore);
    const http = boots.length === 0 ? tago.http : new FakeTago(bootClock).http;
    const agent = Agent.create(
      agentKeys(layers.merged()),
      {
        clock: bootClock,
        timers: bootClock,
        http,
        sensors,
        network: { online: () => true },
        logger: { log: (level, message) => logs.push(`${bootClock.monotonicMs()} ${level} ${message}`) },
        random: new SeededRandom(5),
      },
      layers,
    );
    agent.start();
    await runUntil(bootClock, durationMs);
    agent.stop();
    boots.push({ snapshot: agent.snapshot(), sampleTimes, logs });
  }
  const stored: Record<string, string> = {};
  for (const key of nvs.keys(SETTINGS_DOMAIN)) stored[key] = String(nvs.get(SETTINGS_DOMAIN, key));
  return {
    boots,
    nvs: stored,
    nvsWrites: nvs.writes,
    params: tago.params.map(({ key, value, sent }) => ({ key, value, sent })),
    paramRequests: tago.paramRequests,
    stored: tago.stored,
  };
}
