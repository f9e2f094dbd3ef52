// The simulated device's books for the energy model: boot by boot, how long it was awake, what
// it read, programmed and erased on flash, whether it brought the radio up, how many samples it
// took, and how long it slept. The HTTP client and the network port count their own phases
// (requests, bytes, connections, joins).

import type { PhaseCounts } from "./phase-counts.js";

/** Per-wake figures of a sleep-mode run, for people: the run summary's `sleep` object. */
export interface SleepFigures {
  /** Boots that were a deep sleep's timer wake. */
  wakes: number;
  /** Boots that asked for the radio (upload wakes). */
  radioWakes: number;
  /** Flash bytes read from boot to sleep, per boot: mean and most. */
  flashReadPerWake: { mean: number; max: number };
  /** Flash bytes programmed and 4 KB sectors erased from boot to sleep, per boot: mean and most. */
  flashProgrammedPerWake: { mean: number; max: number };
  sectorsErasedPerWake: { mean: number; max: number };
  /** Device time from boot to sleep, per boot, ms: mean and most (virtual time stands still on the wire). */
  awakeMsPerWake: { mean: number; max: number };
  /** Real time the host took from boot to sleep, per boot, ms: the agent's own work, measured. */
  hostMsPerWake: { mean: number; max: number };
}

/** A flash's running counters (NorFlash keeps them), read at each boot's start and end. */
export interface FlashCounters {
  bytesRead: number;
  bytesWritten: number;
  pagePrograms: number;
  erases: number;
}

const NO_FLASH: FlashCounters = { bytesRead: 0, bytesWritten: 0, pagePrograms: 0, erases: 0 };

/** The mean (to 0.1) and the most of some per-wake figures. */
export function meanAndMax(values: readonly number[]): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (const v of values) {
    sum += v;
    if (v > max) max = v;
  }
  return { mean: values.length === 0 ? 0 : Math.round((sum / values.length) * 10) / 10, max };
}

export class PhaseMeter {
  boots = 0;
  wakes = 0;
  samples = 0;
  sleepMs = 0;
  readonly awakeMs: number[] = [];
  readonly flashBytesRead: number[] = [];
  readonly flashBytesProgrammed: number[] = [];
  readonly flashPagePrograms: number[] = [];
  readonly flashSectorsErased: number[] = [];
  readonly radio: boolean[] = [];
  private readonly hostMs: number[] = [];
  private hostAtBoot = 0;
  /** The boot under way: the flash's counters and the radio's joins when it began, and its sensors' sample calls. */
  private flashAtBoot = NO_FLASH;
  private joinsAtBoot = 0;
  private open = false;
  private readonly calls = new Map<string, number>();

  /** A boot begins; `flash` and `joins` are the flash's counters and the radio's joins so far. */
  bootStarted(timerWake: boolean, flash: FlashCounters | undefined, joins: number): void {
    this.boots++;
    if (timerWake) this.wakes++;
    this.flashAtBoot = { ...(flash ?? NO_FLASH) };
    this.joinsAtBoot = joins;
    this.hostAtBoot = performance.now();
    this.calls.clear();
    this.open = true;
  }

  /** A sensor was read in this boot. */
  sampled(sensor: string): void {
    this.calls.set(sensor, (this.calls.get(sensor) ?? 0) + 1);
  }

  /** The boot ends (a sleep, a power cut, a reboot or the run's end) after `awakeMs` of device time. */
  bootEnded(awakeMs: number, flash: FlashCounters | undefined, joins: number): void {
    if (!this.open) return;
    this.open = false;
    const now = flash ?? NO_FLASH;
    const was = this.flashAtBoot;
    this.awakeMs.push(awakeMs);
    this.flashBytesRead.push(now.bytesRead - was.bytesRead);
    this.flashBytesProgrammed.push(now.bytesWritten - was.bytesWritten);
    this.flashPagePrograms.push(now.pagePrograms - was.pagePrograms);
    this.flashSectorsErased.push(now.erases - was.erases);
    this.radio.push(joins > this.joinsAtBoot);
    this.hostMs.push(performance.now() - this.hostAtBoot);
    // A sample reads every sensor once: the most-read sensor counts them.
    let most = 0;
    for (const n of this.calls.values()) most = Math.max(most, n);
    this.samples += most;
  }

  sleepFigures(radioWakes: number): SleepFigures {
    const host = meanAndMax(this.hostMs);
    return {
      wakes: this.wakes,
      radioWakes,
      flashReadPerWake: meanAndMax(this.flashBytesRead),
      flashProgrammedPerWake: meanAndMax(this.flashBytesProgrammed),
      sectorsErasedPerWake: meanAndMax(this.flashSectorsErased),
      awakeMsPerWake: meanAndMax(this.awakeMs),
      hostMsPerWake: { mean: host.mean, max: Math.round(host.max * 10) / 10 },
    };
  }

  counts(run: {
    mode: PhaseCounts["mode"];
    deviceMs: number;
    variables: number;
    wifiJoins: number;
    tlsHandshakes: number;
    requests: number;
    bytesSent: number;
    bytesReceived: number;
  }): PhaseCounts {
    const sleepMs = Math.min(this.sleepMs, run.deviceMs);
    return {
      mode: run.mode,
      deviceMs: run.deviceMs,
      boots: this.boots,
      wakes: this.wakes,
      awakeMs: this.awakeMs.slice(),
      samples: this.samples,
      readings: this.samples * run.variables,
      wifiJoins: run.wifiJoins,
      tlsHandshakes: run.tlsHandshakes,
      requests: run.requests,
      bytesSent: run.bytesSent,
      bytesReceived: run.bytesReceived,
      sleepMs,
      idleMs: run.mode === "always-on" ? run.deviceMs : 0,
      flashBytesRead: this.flashBytesRead.slice(),
      flashBytesProgrammed: this.flashBytesProgrammed.slice(),
      flashPagePrograms: this.flashPagePrograms.slice(),
      flashSectorsErased: this.flashSectorsErased.slice(),
      radio: this.radio.slice(),
    };
  }
}
