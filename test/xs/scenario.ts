// One conformance scenario: the real agent core with portable fake ports (virtual clock, scripted
// transport, simulated or scripted sensors), driven from boot to a fixed virtual end time.
// Portable, so the very same code runs on XS and on Node; everything it records is plain data
// the two runs can compare byte for byte.

import { Agent, type Snapshot } from "../../firmware/core/agent.js";
import type { Clock, HttpRequest, Sensor } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { bodyText, ScriptedHttp, type Answer } from "../../firmware/fakes/scripted-http.js";
import { checkAnswer } from "./results-portable.js";
import { runUntil } from "../../tools/xs/drive.js";

export interface ScenarioSpec {
  /** Raw agent configuration, as a host would hand it over. */
  config: Record<string, unknown>;
  durationMs: number;
  /** Wall clock at boot. Trusted from boot unless `sync` is given. */
  wallStartMs: number;
  /** SNTP answers at `atMs` (monotonic), setting the wall clock to `wallMs`. */
  sync?: { atMs: number; wallMs: number };
  /** The device's sensors; the simulated SHT3x and BMP280 when absent. */
  sensors?(clock: Clock): Sensor[];
  /** The scripted server: `nowMs` is the monotonic time the request was made. */
  answer(request: HttpRequest, index: number, nowMs: number): Answer;
}

export interface Exchange {
  /** Monotonic time the request was made. */
  atMs: number;
  headers: Array<[string, string]>;
  body: string;
  /** The HTTP status, or the transport error kind. */
  outcome: number | string;
  /** A landing check's answer, when it was a 2xx. */
  answer?: string;
}

export interface ScenarioResult {
  snapshot: Snapshot;
  exchanges: Exchange[];
  logs: string[];
}

const SENSOR_SEED = 42;
const RANDOM_SEED = 7;

export async function runScenario(spec: ScenarioSpec): Promise<ScenarioResult> {
  const clock = new VirtualClock({ wallStartMs: spec.wallStartMs, trusted: spec.sync === undefined });
  const sync = spec.sync;
  if (sync !== undefined) clock.set(() => clock.sync(sync.wallMs), sync.atMs);
  const times: number[] = [];
  const http = new ScriptedHttp(clock, (request, index) => {
    times.push(clock.monotonicMs());
    return spec.answer(request, index, clock.monotonicMs());
  });
  const logs: string[] = [];
  const agent = Agent.create(spec.config, {
    clock,
    timers: clock,
    http,
    sensors: spec.sensors ? spec.sensors(clock) : simulatedSensors({ clock, seed: SENSOR_SEED }),
    network: { online: () => true },
    logger: { log: (level, message) => logs.push(`${clock.monotonicMs()} ${level} ${message}`) },
    random: new SeededRandom(RANDOM_SEED),
  });
  agent.start();
  await runUntil(clock, spec.durationMs);
  const exchanges = http.log.map((entry, i): Exchange => {
    const result = entry.result;
    return {
      atMs: times[i],
      headers: entry.request.headers.map(([name, value]): [string, string] => [name, value]),
      body: bodyText(entry.request),
      outcome: result === undefined ? "pending" : result.ok ? result.response.status : result.error,
      ...checkAnswer(entry.request, result),
    };
  });
  return { snapshot: agent.snapshot(), exchanges, logs };
}
