// A conformance scenario of the sleep mode: the real agent core, wake after wake, on the portable
// NOR-flash emulator. Every boot is a power cycle: a new virtual clock (uptime from 0, the wall
// clock running on as an RTC's would), a new transport and a new agent, nothing carried over but
// the flash. A boot ends when the agent asks for its deep sleep (the next boot is then a timer
// wake that much later), or where an armed power cut strikes (the next boot is a power-on).
// The server is the in-memory TagoIO, its store kept across boots. Portable, like
// journal-scenario.ts: the same code runs on XS and on Node, and what it records is plain data.

import { Agent } from "../../firmware/core/agent.js";
import type { WakeReason } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { FakeTago, type Decision, type Exchange, type StoredReading } from "../../firmware/fakes/fake-tago.js";
import { NorFlash, PowerCut } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { TURNS } from "../../tools/xs/drive.js";

export interface SleepScenarioSpec {
  config: Record<string, unknown>;
  flash: { sectorCount: number; sectorSize: number; seed: number };
  wallStartMs: number;
  boots: number;
  /** Power cuts: in boot `boot` (from 0), the flash operation `afterOps` from its start is cut at byte `atByte`. */
  cuts?: Array<{ boot: number; afterOps: number; atByte: number }>;
  /** The server's decision for each POST (default: store and acknowledge). */
  rule?: (exchange: Exchange, boot: number) => Decision;
  /** The network is down in these boots. */
  offline?: (boot: number) => boolean;
  /** The power stays off this long after a cut. */
  offMs?: number;
  /** From this boot on, every wake uploads (uploadEvery 1): what is left goes out. */
  drainFrom?: number;
}

/** The longest a boot may stay awake here: a wake that does not sleep by then is a failure. */
const MAX_AWAKE_MS = 600_000;
const SENSOR_SEED = 42;
const RANDOM_SEED = 7;

export interface WakeRecord {
  reason: WakeReason;
  endedBy: "sleep" | "cut" | "stuck";
  /** World time it began, its awake time (uptime at its end) and the sleep it asked for. */
  atMs: number;
  awakeMs: number;
  sleepMs: number;
  flashRead: number;
  requests: number;
  radio: boolean;
  resumed: boolean;
  /** The agent's counts when it ended (across boots in sleep mode). */
  sampled: number;
  delivered: number;
  dropped: number;
  buffered: number;
  filtered: number;
}

export interface SleepScenarioResult {
  wakes: WakeRecord[];
  /** Readings the sensors gave, as "variable@wallMs", and those taken in a boot a cut ended. */
  taken: string[];
  takenAtCut: string[];
  stored: StoredReading[];
  /** Stored readings that repeat an earlier one (same variable, value, time and group). */
  duplicates: number;
  logs: string[];
}

/** The variables the simulated board's samples give, by sensor, as the configuration names them. */
function fieldsOf(config: Record<string, unknown>): Array<{ name: string; sensor: string; path: string[] }> {
  const variables = (config.variables ?? []) as Array<{ name: string; sensor: string; field: string }>;
  return variables.map((v) => ({ name: v.name, sensor: v.sensor, path: v.field.split(".") }));
}

export async function runSleepScenario(spec: SleepScenarioSpec): Promise<SleepScenarioResult> {
  const flash = new NorFlash(spec.flash);
  const wakes: WakeRecord[] = [];
  const taken: string[] = [];
  const takenAtCut: string[] = [];
  const logs: string[] = [];
  const stored: StoredReading[] = [];
  const fields = fieldsOf(spec.config);
  let worldMs = 0;
  let reason: WakeReason = "power-on";
  let duplicates = 0;

  for (let boot = 0; boot < spec.boots; boot++) {
    flash.powerOn();
    const readAtStart = flash.bytesRead;
    const clock = new VirtualClock({ wallStartMs: spec.wallStartMs + worldMs, trusted: true });
    const tago = new FakeTago(clock);
    tago.stored.push(...stored);
    const rule = spec.rule;
    if (rule !== undefined) tago.rule = (exchange) => rule(exchange, boot);
    let sleepMs = -1;
    let radio = false;
    const cut = spec.cuts?.find((c) => c.boot === boot);
    if (cut !== undefined) flash.armCut(cut.afterOps, cut.atByte);
    const mine: string[] = [];
    let endedBy: WakeRecord["endedBy"] = "stuck";
    let agent: Agent | undefined;
    const thisReason = reason;
    try {
      const drain = spec.drainFrom !== undefined && boot >= spec.drainFrom;
      agent = Agent.create(drain ? { ...spec.config, uploadEvery: 1 } : spec.config, {
        clock,
        timers: clock,
        http: tago.http,
        sensors: simulatedSensors({ clock, seed: SENSOR_SEED + boot }).map((sensor) => ({
          name: sensor.name,
          sample: () => {
            const sample = sensor.sample() as Record<string, Record<string, unknown>>;
            for (const f of fields) if (f.sensor === sensor.name) mine.push(`${f.name}@${clock.wallMs()}`);
            return sample;
          },
        })),
        network: { online: () => spec.offline?.(boot) !== true, up: () => (radio = true) },
        logger: { log: (level, message) => logs.push(`${boot} ${clock.monotonicMs()} ${level} ${message}`) },
        random: new SeededRandom(RANDOM_SEED + boot),
        flash,
        sleep: { wakeReason: () => thisReason, sleep: (ms) => (sleepMs = ms) },
      });
      agent.start();
      while (sleepMs < 0 && !flash.poweredOff && clock.runNext(MAX_AWAKE_MS)) {
        for (let i = 0; i < TURNS; i++) await undefined;
      }
      endedBy = flash.poweredOff ? "cut" : sleepMs >= 0 ? "sleep" : "stuck";
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      endedBy = "cut";
    }
    flash.disarm();
    const s = agent?.snapshot();
    (endedBy === "cut" ? takenAtCut : taken).push(...mine);
    stored.length = 0;
    stored.push(...tago.stored);
    duplicates = tago.duplicates();
    wakes.push({
      reason: thisReason,
      endedBy,
      atMs: worldMs,
      awakeMs: clock.monotonicMs(),
      sleepMs,
      flashRead: flash.bytesRead - readAtStart,
      requests: tago.http.log.length,
      radio,
      resumed: s?.journal?.resumed === true,
      sampled: s?.sampled ?? 0,
      delivered: s?.delivered ?? 0,
      dropped: s?.droppedTotal ?? 0,
      buffered: s?.buffered ?? 0,
      filtered: s?.filtered ?? 0,
    });
    if (endedBy === "stuck") break;
    worldMs += clock.monotonicMs() + (endedBy === "sleep" ? sleepMs : (spec.offMs ?? 1000));
    reason = endedBy === "sleep" ? "timer" : "power-on";
  }
  return { wakes, taken, takenAtCut, stored, duplicates, logs };
}
