// The agent's own work at each sleep-mode wake, counted in units that do not depend on the host's
// speed: XS computrons (xsnap's meter) and flash operations. The same pattern as the energy
// model's sleep run (runs.ts: the same configuration, board, flash and seeds), wake after wake,
// every wake a new clock and agent on the same NOR flash; the server is the in-memory TagoIO.
// Counted: from the agent's creation at a wake to its sleep call, less the simulated sensors'
// own work (the profile's `sample` phase stands for the sensors) and the server's.
// Portable: bundled and run on xsnap (tools/energy/xs-work.ts); other engines have no meter and
// count 0 computrons, but the same flash figures.

import { Agent } from "../../firmware/core/agent.js";
import { FakeTago } from "../../firmware/fakes/fake-tago.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import type { WakeReason } from "../../firmware/ports.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { TURNS } from "../xs/drive.js";

/** The journal's flash in the sleep run: 64 sectors of 4 KB (256 KB). */
export const SLEEP_FLASH = { sectorCount: 64, sectorSize: 4096 };
/** The seed of the board's sensors at every boot. */
export const SENSOR_SEED = 1;

export interface SleepPattern {
  token: string;
  host: string;
  port: number;
  sampleIntervalMs: number;
  uploadIntervalMs: number;
  /** The device build's own settings (manifests/memory.json). */
  device: Readonly<DeviceSettings>;
}

/** What the firmware builds set beside the core's defaults, for the board's XS heaps. */
export interface DeviceSettings {
  bufferCapacity: number;
  /** Sets the requests an upload takes. */
  maxBatchBytes: number;
  maxCheckPageBytes: number;
}

/** The agent's configuration in the energy model's sleep runs. */
export function sleepConfig(p: SleepPattern): Record<string, unknown> {
  return {
    token: p.token,
    host: p.host,
    port: p.port,
    mode: "sleep",
    sampleIntervalMs: p.sampleIntervalMs,
    uploadEvery: Math.max(1, Math.round(p.uploadIntervalMs / p.sampleIntervalMs)),
    ...p.device,
    telemetryIntervalMs: 0,
    variables: BOARD_VARIABLES,
  };
}

export interface WakeWorkSpec {
  config: Record<string, unknown>;
  /** Wall time at the first boot (a power-on; the rest are timer wakes). */
  wallStartMs: number;
  boots: number;
}

/** One boot's work, from its start to its sleep call. */
export interface WakeWork {
  /** The boot brought the radio up (an upload wake). */
  radio: boolean;
  computrons: number;
  flashBytesRead: number;
  flashBytesProgrammed: number;
  flashPagePrograms: number;
  flashSectorsErased: number;
}

type ResetMeter = (limit: number, index: number) => number;
/** xsnap's meter: gives the crank's computrons so far and starts them again from 0 (limit 0: none). */
const resetMeter = (globalThis as { resetMeter?: ResetMeter }).resetMeter;

/** Computrons of the agent's work: what runs between a `skip` and the next `count` is counted. */
class AgentMeter {
  counted = 0;
  count(): void {
    if (resetMeter !== undefined) this.counted += resetMeter(0, 0);
  }
  skip(): void {
    resetMeter?.(0, 0);
  }
}

/** The longest a wake may stay awake: one that has not slept by then is a failure. */
const MAX_AWAKE_MS = 600_000;

export async function runWakeWork(spec: WakeWorkSpec): Promise<WakeWork[]> {
  const flash = new NorFlash(SLEEP_FLASH);
  const random = new SeededRandom(1);
  const work: WakeWork[] = [];
  let wallMs = spec.wallStartMs;
  for (let boot = 0; boot < spec.boots; boot++) {
    const reason: WakeReason = boot === 0 ? "power-on" : "timer";
    const clock = new VirtualClock({ wallStartMs: wallMs, trusted: true });
    const tago = new FakeTago(clock);
    const meter = new AgentMeter();
    const answer = tago.http.script;
    tago.http.script = (request, index) => {
      meter.count();
      const a = answer(request, index);
      meter.skip();
      return a;
    };
    const sensors = simulatedSensors({ clock, seed: SENSOR_SEED }).map((sensor) => ({
      name: sensor.name,
      sample: () => {
        meter.count();
        const sample = sensor.sample();
        meter.skip();
        return sample;
      },
    }));
    const before = { read: flash.bytesRead, written: flash.bytesWritten, pages: flash.pagePrograms, erases: flash.erases };
    let sleepMs = -1;
    let radio = false;
    meter.skip();
    const agent = Agent.create(spec.config, {
      clock,
      timers: clock,
      http: tago.http,
      sensors,
      network: { online: () => true, up: () => (radio = true) },
      logger: { log: () => undefined },
      random,
      flash,
      sleep: {
        wakeReason: () => reason,
        sleep: (ms) => {
          meter.count();
          sleepMs = ms;
        },
      },
    });
    agent.start();
    while (sleepMs < 0 && clock.runNext(MAX_AWAKE_MS)) {
      for (let i = 0; i < TURNS; i++) await undefined;
    }
    if (sleepMs < 0) throw new Error(`wake ${boot} did not sleep within ${MAX_AWAKE_MS} ms`);
    // The server here keeps nothing from boot to boot: a landing check would need it.
    if (tago.checks.length > 0) throw new Error(`wake ${boot} made a landing check, which this run cannot answer`);
    work.push({
      radio,
      computrons: meter.counted,
      flashBytesRead: flash.bytesRead - before.read,
      flashBytesProgrammed: flash.bytesWritten - before.written,
      flashPagePrograms: flash.pagePrograms - before.pages,
      flashSectorsErased: flash.erases - before.erases,
    });
    wallMs += clock.monotonicMs() + sleepMs;
  }
  return work;
}
