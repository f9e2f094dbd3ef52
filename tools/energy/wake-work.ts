// The agent's own work at each sleep-mode wake, counted in units that do not depend on the host's
// speed: XS computrons (xsnap's meter) and flash operations. The same pattern as the energy
// model's sleep run (runs.ts: the same configuration, board, flash and seeds), wake after wake,
// every wake a new clock and agent on the same NOR flash; the server is the in-memory TagoIO.
// Counted: from the agent's creation at a wake to its sleep call, less what is not XS work on a
// device: the simulated sensors' own work (the profile's `sample` phase stands for the sensors),
// the server's, and the emulated NOR flash's (a device's flash driver is native code; the
// profile's `flashProgram` and `flashErase` phases charge its time). The agent's own bytecodes
// that call these ports stay counted.
// Portable: bundled and run on xsnap (tools/energy/xs-work.ts); other engines have no meter and
// count 0 computrons, but the same flash figures.

import { Agent } from "../../firmware/core/agent.js";
import { FakeTago } from "../../firmware/fakes/fake-tago.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import type { Flash, WakeReason } from "../../firmware/ports.js";
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
  /** Counts the emulated flash's own work as the agent's, as the model did before (the test of what is left out compares). */
  flashCounted?: boolean;
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

/** One boot's work as measured here: the agent's, and beside it the emulated flash's own computrons, left out of it. */
export interface MeasuredWake extends WakeWork {
  flashComputrons: number;
  /** The agent's calls to the flash port (reads, writes, erases). */
  flashCalls: number;
}

type ResetMeter = (limit: number, index: number) => number;
/** xsnap's meter: gives the crank's computrons so far and starts them again from 0 (limit 0: none). */
const resetMeter = (globalThis as { resetMeter?: ResetMeter }).resetMeter;

/** Computrons of the agent's work: what runs between a `take` and the next `count`; the ports' own work is taken apart. */
class AgentMeter {
  counted = 0;
  /** Ends a stretch of the agent's work (and starts the next from 0). */
  count(): void {
    this.counted += this.take();
  }
  /** The computrons since the last count or take, left out of the agent's (and started again from 0). */
  take(): number {
    return resetMeter === undefined ? 0 : resetMeter(0, 0);
  }
  /** `work`'s result, its computrons left out of the agent's. */
  outside<T>(work: () => T): T {
    this.count();
    const result = work();
    this.take();
    return result;
  }
}

/**
 * The flash port, the emulator's own work (copies on read, a JavaScript AND per programmed byte)
 * left out of the agent's computrons and kept in `computrons`. Each method counts first, so the
 * agent is charged its call and no more of the metering than the call to `count`.
 */
class MeteredFlash implements Flash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  computrons = 0;
  private readonly flash: NorFlash;
  private readonly meter: AgentMeter;

  constructor(flash: NorFlash, meter: AgentMeter) {
    this.flash = flash;
    this.meter = meter;
    this.sectorSize = flash.sectorSize;
    this.sectorCount = flash.sectorCount;
  }

  read(offset: number, length: number): Uint8Array {
    this.meter.count();
    const data = this.flash.read(offset, length);
    this.computrons += this.meter.take();
    return data;
  }

  write(offset: number, data: Uint8Array): void {
    this.meter.count();
    this.flash.write(offset, data);
    this.computrons += this.meter.take();
  }

  erase(sector: number): void {
    this.meter.count();
    this.flash.erase(sector);
    this.computrons += this.meter.take();
  }
}

/** The longest a wake may stay awake: one that has not slept by then is a failure. */
const MAX_AWAKE_MS = 600_000;

export async function runWakeWork(spec: WakeWorkSpec): Promise<MeasuredWake[]> {
  const flash = new NorFlash(SLEEP_FLASH);
  const random = new SeededRandom(1);
  const work: MeasuredWake[] = [];
  let wallMs = spec.wallStartMs;
  for (let boot = 0; boot < spec.boots; boot++) {
    const reason: WakeReason = boot === 0 ? "power-on" : "timer";
    const clock = new VirtualClock({ wallStartMs: wallMs, trusted: true });
    const tago = new FakeTago(clock);
    const meter = new AgentMeter();
    const answer = tago.http.script;
    tago.http.script = (request, index) => meter.outside(() => answer(request, index));
    const sensors = simulatedSensors({ clock, seed: SENSOR_SEED }).map((sensor) => ({
      name: sensor.name,
      sample: () => meter.outside(() => sensor.sample()),
    }));
    const before = { read: flash.bytesRead, written: flash.bytesWritten, pages: flash.pagePrograms, erases: flash.erases, calls: flash.reads + flash.operations };
    const metered = spec.flashCounted === true ? undefined : new MeteredFlash(flash, meter);
    let sleepMs = -1;
    let radio = false;
    meter.take();
    const agent = Agent.create(spec.config, {
      clock,
      timers: clock,
      http: tago.http,
      sensors,
      network: { online: () => true, up: () => (radio = true) },
      logger: { log: () => undefined },
      random,
      flash: metered ?? flash,
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
      flashComputrons: metered?.computrons ?? 0,
      flashCalls: flash.reads + flash.operations - before.calls,
      flashBytesRead: flash.bytesRead - before.read,
      flashBytesProgrammed: flash.bytesWritten - before.written,
      flashPagePrograms: flash.pagePrograms - before.pages,
      flashSectorsErased: flash.erases - before.erases,
    });
    wallMs += clock.monotonicMs() + sleepMs;
  }
  return work;
}
