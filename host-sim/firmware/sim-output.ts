// What the Moddable Linux simulator prints, read back: the agent's trace (its periodic `status:`
// line above all), the XS debug build's `instruments:` samples (printed once a second when no
// xsbug is connected: heap and stack figures) and exception reports. And the verdict of a run:
// every reading the device sampled is delivered, dropped with a reason, still buffered or held
// back by a reporting filter, and
// every delivered one is in the endpoint's store exactly once.

import type { AgentState } from "../../firmware/core/agent.js";
import { EMULATED_SLEEP } from "../../firmware/moddable/emulated-sleep.js";

export interface DeviceStatus {
  state: AgentState;
  sampled: number;
  buffered: number;
  delivered: number;
  dropped: number;
  /** Readings the reporting filters held back. */
  filtered: number;
  /** Readings in the batch on the wire. */
  onTheWire: number;
  /** Readings this boot recovered from the flash journal (counted in its `sampled`); 0 without a journal. */
  recovered: number;
}

/** The words of core/status.ts formatStatus, after the logger's `info: status: `. */
const STATUS =
  /^info: status: \[[^\]]*\] ([a-z-]+) \| sampled (\d+) \| buffered (\d+) \| delivered (\d+) \| dropped (\d+)(?: \| filtered (\d+))?(?: \| on the wire (\d+))?(?:.* \| journal held \d+, recovered (\d+))?/;

export function parseStatus(line: string): DeviceStatus | undefined {
  const m = STATUS.exec(line);
  if (m === null) return undefined;
  return {
    state: m[1] as AgentState,
    sampled: Number(m[2]),
    buffered: Number(m[3]),
    delivered: Number(m[4]),
    dropped: Number(m[5]),
    filtered: m[6] === undefined ? 0 : Number(m[6]),
    onTheWire: m[7] === undefined ? 0 : Number(m[7]),
    recovered: m[8] === undefined ? 0 : Number(m[8]),
  };
}

/**
 * A run through deep sleeps (emulated: each wake is a new run of mcsim on the same flash file) as
 * one: from each boot's last status (traced as it went to sleep; the last boot's at the end). A
 * boot counts the readings it recovered from the journal in its `sampled`, and an earlier boot
 * counted them already: they are taken out, so the invariant holds across boots.
 */
export function acrossBoots(boots: readonly DeviceStatus[]): DeviceStatus {
  const last = boots[boots.length - 1];
  const sum = (pick: (s: DeviceStatus) => number): number => boots.reduce((total, s) => total + pick(s), 0);
  return {
    state: last.state,
    sampled: sum((s) => s.sampled - s.recovered),
    buffered: last.buffered,
    delivered: sum((s) => s.delivered),
    dropped: sum((s) => s.dropped),
    filtered: sum((s) => s.filtered),
    onTheWire: last.onTheWire,
    recovered: boots[0].recovered,
  };
}

const SLEEP_LINE = new RegExp(`^info: ${EMULATED_SLEEP} (\\d+) ms`);

/** The emulated deep sleep's line (firmware/moddable/emulated-sleep.ts): how long, or undefined. */
export function emulatedSleepMs(line: string): number | undefined {
  const m = SLEEP_LINE.exec(line);
  return m === null ? undefined : Number(m[1]);
}

const WAKE_LINE = /^debug: sleep: wake \d+(?: \(upload\))? awake (\d+) ms/;

/** Sleep mode's own measure of a wake (firmware/core/wake.ts, traced at debug level): its length in ms, or undefined. */
export function wakeAwakeMs(line: string): number | undefined {
  const m = WAKE_LINE.exec(line);
  return m === null ? undefined : Number(m[1]);
}

/**
 * An exception XS reports: `path:line: exception: message!` or `# exception: message!` (every
 * throw in a debug build, caught or not), and `XS abort: ...` when the machine gives up.
 */
export function isException(line: string): boolean {
  return /(^|: )exception: /.test(line) || line.startsWith("# exception:") || line.startsWith("XS abort");
}

/** One `instruments:` sample, by the names of the `instruments key:` line. */
export type Sample = Record<string, number>;

export class Instruments {
  private names: string[] | undefined;

  /** The sample a line carries, or undefined (the key line is remembered). */
  read(line: string): Sample | undefined {
    if (line.startsWith("instruments key: ")) {
      this.names = line.slice("instruments key: ".length).split(",");
      return undefined;
    }
    if (!line.startsWith("instruments: ") || this.names === undefined) return undefined;
    const values = line.slice("instruments: ".length).split(",").map(Number);
    const sample: Sample = {};
    this.names.forEach((name, i) => (sample[name] = values[i]));
    return sample;
  }
}

/** XS heap and stack figures over one stretch of a run, in bytes. */
export interface MemoryFigures {
  /** Minutes into the run at the end of the stretch. */
  atMinute: number;
  /**
   * Most slot heap in use (objects, numbers, closures) in the stretch, and the heap's largest size
   * in it. "In use" is XS's count of slots taken since its last collection, garbage included (XS
   * collects only when a heap is full), so it says how full the heap got, not what is live. The
   * size is the largest because a stretch can span boots (emulated deep sleep), each a new machine.
   */
  slotUsedMax: number;
  slotHeap: number;
  /** The same for the chunk heap (strings, ArrayBuffers, arrays' items, byte code). */
  chunkUsedMax: number;
  chunkHeap: number;
  /** Deepest stack in the stretch. */
  stackPeak: number;
}

/** The SDK prints one sample a second: a stretch is the minute before a checkpoint. */
const SAMPLES_PER_STRETCH = 60;

/** Figures for the minute before each checkpoint: at 1, 5, 10 and 30 minutes, then every hour, and at the end. */
export class MemoryLog {
  private readonly checkpoints: number[];
  private window: Sample[] = [];
  readonly figures: MemoryFigures[] = [];

  constructor(durationMs: number) {
    const minutes = durationMs / 60_000;
    this.checkpoints = [1, 5, 10, 30].filter((m) => m < minutes);
    for (let m = 60; m < minutes; m += 60) this.checkpoints.push(m);
  }

  add(sample: Sample, elapsedMs: number): void {
    this.window.push(sample);
    if (this.window.length > SAMPLES_PER_STRETCH) this.window.shift();
    const next = this.checkpoints[0];
    if (next !== undefined && elapsedMs >= next * 60_000) {
      this.checkpoints.shift();
      this.close(next);
    }
  }

  /** The last stretch, at the end of the run. */
  finish(elapsedMs: number): void {
    this.close(Math.round((elapsedMs / 60_000) * 10) / 10);
  }

  private close(atMinute: number): void {
    const w = this.window;
    this.window = [];
    if (w.length === 0) return;
    const max = (name: string) => Math.max(...w.map((s) => s[name] ?? 0));
    this.figures.push({
      atMinute,
      slotUsedMax: max("Slot used"),
      slotHeap: max("Slot available"),
      chunkUsedMax: max("Chunk used"),
      chunkHeap: max("Chunk available"),
      stackPeak: max("Stack used"),
    });
  }
}

/** A record as the endpoint stored it; the same reading sent twice has the same four fields. */
export interface StoredReading {
  variable: string;
  value: unknown;
  time: string;
  group?: string;
}

export interface Verdict {
  sampled: number;
  delivered: number;
  dropped: number;
  buffered: number;
  filtered: number;
  stored: number;
  /** Readings the device sampled and cannot account for, or counted delivered and the store lacks. */
  lost: number;
  /** Stored records that repeat another. */
  doubled: number;
  /** Stored but not counted delivered: an acknowledgement that never arrived. */
  unacknowledged: number;
}

/** The run's accounting from the device's last status line (taken with nothing on the wire) and the store. */
export function verdict(status: DeviceStatus, records: readonly StoredReading[]): Verdict {
  const unique = new Set(records.map((r) => JSON.stringify([r.variable, r.value, r.time, r.group ?? null]))).size;
  const unaccounted = Math.abs(status.sampled - status.delivered - status.dropped - status.buffered - status.filtered);
  return {
    sampled: status.sampled,
    delivered: status.delivered,
    dropped: status.dropped,
    buffered: status.buffered,
    filtered: status.filtered,
    stored: records.length,
    lost: unaccounted + Math.max(0, status.delivered - unique),
    doubled: records.length - unique,
    unacknowledged: Math.max(0, unique - status.delivered),
  };
}
