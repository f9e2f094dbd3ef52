// The journal's read side, feeding the RAM ring: a cursor in the log that hands the unreleased
// readings out oldest first, past released ones and sectors whose variable list is lost. A reading
// a previous boot journaled with an uptime goes out without a time: no clock can place it any more.
// Failing: readings whose frames rotted since boot are passed over and reported dropped as corrupt.

import type { JournalOptions, JournalReading } from "./journal.js";
import type { Frame } from "./reading-frame.js";
import { missingIn, type Recovered } from "./recovery.js";
import { FLAG_NO_TIME, FLAG_UPTIME } from "./ring.js";
import type { LogCursor, SectorLog } from "./sector-log.js";

/**
 * The time given to a previous boot's uptime reading: this (never a real uptime) keeps its group
 * apart from this boot's.
 */
const OLD_UPTIME_BASE = 2 ** 47;

export class JournalReader {
  /** Unreleased readings on flash not yet handed out: the journal adds those it appends, removes those it drops. */
  waiting: number;
  /** Torn or corrupt frames met: at boot, then by the reader. */
  corrupt: number;
  private readonly log: SectorLog<Frame>;
  private readonly cursor: LogCursor<Frame>;
  private readonly options: JournalOptions;
  /** Each sector's variable list, -1 when lost. */
  private readonly listOf: Int32Array;
  /** Seq ranges found missing at boot, and counted then: from, to, from, to... */
  readonly gaps: readonly number[];
  /** Readings before this seq were journaled by an earlier boot. */
  private readonly bootSeq: number;
  /** The index, in the cursor's frame, of the reading `peek` looks at. */
  private index = 0;
  /** One past the last reading the reader passed: a frame further on means those between rotted. */
  private expect: number;

  /** A reader at `cursor`, where recovery put it. */
  constructor(log: SectorLog<Frame>, cursor: LogCursor<Frame>, recovered: Recovered, options: JournalOptions) {
    this.log = log;
    this.cursor = cursor;
    this.options = options;
    this.listOf = recovered.listOf;
    this.gaps = recovered.gaps;
    this.bootSeq = recovered.nextSeq;
    this.waiting = recovered.unloaded;
    this.corrupt = recovered.corruptSkipped;
    this.expect = recovered.floor;
  }

  /** True while the reader is in sector `s`. */
  isIn(s: number): boolean {
    return this.cursor.sector === s;
  }

  /**
   * Where a later boot may start reading, as [sector, offset]: the frame at the cursor, when every
   * reading in the frames before it is below `floor` (released); undefined otherwise.
   */
  resumePoint(floor: number): [number, number] | undefined {
    const c = this.cursor;
    const before = c.frame === undefined ? this.expect : c.frame.seq;
    return c.sector >= 0 && before <= floor ? [c.sector, c.offset] : undefined;
  }

  /** Moves the reader to the start of sector `s`. */
  moveTo(s: number): void {
    this.cursor.moveTo(s);
  }

  /** The oldest reading not yet handed out, at or after `floor`, or undefined when there is none. */
  peek(floor: number, nextSeq: number): JournalReading | undefined {
    if (this.waiting === 0) return undefined;
    for (;;) {
      const frame = this.currentFrame(floor);
      if (frame === undefined) {
        // The newest frames rotted on flash after boot: what cannot be read any more is dropped, counted.
        const unreadable = this.waiting;
        this.waiting = 0;
        this.expect = nextSeq;
        this.corrupt++;
        this.options.onDrop(0, unreadable, true);
        return undefined;
      }
      if (this.index >= frame.values.length) {
        this.cursor.pass(frame.length);
        continue;
      }
      const seq = frame.seq + this.index;
      if (seq < floor) {
        this.index++;
        continue;
      }
      let flags = frame.flags;
      let time = frame.time;
      if (seq < this.bootSeq && flags & FLAG_UPTIME) {
        flags = (flags & ~FLAG_UPTIME) | FLAG_NO_TIME;
        time = OLD_UPTIME_BASE + frame.seq;
      }
      return { list: this.listOf[this.cursor.sector], variable: frame.variables[this.index], value: frame.values[this.index], time, flags };
    }
  }

  /** Hands out the reading `peek` just showed; returns its seq. */
  take(): number {
    const frame = this.cursor.frame;
    if (this.waiting === 0 || frame === undefined || this.index >= frame.values.length) {
      throw new Error("journal: take without a reading shown by peek");
    }
    this.waiting--;
    return frame.seq + this.index++;
  }

  /** The frame at the cursor, moving it over garbage and into the next sector as needed. */
  private currentFrame(floor: number): Frame | undefined {
    const c = this.cursor;
    for (;;) {
      if (c.frame !== undefined) return c.frame;
      const s = c.sector;
      if (s < 0) return undefined;
      // A sector whose list is lost holds nothing to hand out: its readings were counted at boot.
      if (c.offset >= this.log.end(s) || this.listOf[s] < 0) {
        if (s === this.log.head) return undefined;
        c.moveTo((s + 1) % this.log.sectors);
        continue;
      }
      const frame = this.log.read(c);
      this.index = 0;
      if (frame !== undefined && frame.kind === "data") this.passTo(frame, floor);
    }
  }

  /** The reader meets a data frame: the unreleased readings it skipped to get there rotted after boot. */
  private passTo(frame: Frame, floor: number): void {
    const from = Math.max(this.expect, floor);
    const lost = Math.min(this.waiting, frame.seq - from - missingIn(this.gaps, from, frame.seq));
    this.expect = Math.max(this.expect, frame.seq + frame.values.length);
    if (lost <= 0) return;
    this.waiting -= lost;
    this.corrupt++;
    this.options.onDrop(0, lost, true);
  }
}
