// Readings to a TagoIO `/data` JSON array, as bytes. Output is ASCII only, so a string's length is
// its byte length on every engine. A batch takes the oldest waiting records, as many as fit the
// byte and record bounds, and always at least one so the queue can never stall on a single record.
// The body is written once into a buffer of the byte bound, a few hundred bytes at a time, never
// built up as one string: growing a string copies it, so a device would hold the body twice (and
// churn its heap) just to encode it. The per-variable parts (`{"variable":"x","value":` and
// `,"unit":"y"`) are built once per variable, before the first batch that can hold it.
// Records a landing check found stored (FLAG_STORED) count in their batch but are not written.

import { FLAG_GROUPED, FLAG_NO_TIME, FLAG_STORED, FLAG_UPTIME, KIND_MASK, KIND_NUMBER, KIND_STRING, type ReadingValue, type Ring } from "./ring.js";
import { jsonString } from "./text.js";
import type { TimeBase } from "./timebase.js";
import type { VariableTable } from "./variables.js";

export interface Batch {
  /** The JSON array's bytes (a view of the batch's own buffer, which is maxBytes long). */
  body: Uint8Array;
  /** Records the batch covers, counted from the oldest waiting record. */
  count: number;
  /** Records written in the body: `count` less those already found stored. */
  sent: number;
  /** True when more records were waiting than the bounds let in. */
  full: boolean;
}

/** The flags a sample's readings share, and that shape their tail. */
const SAMPLE_FLAGS = FLAG_GROUPED | FLAG_UPTIME | FLAG_NO_TIME;

/** Records are gathered into a string of about this many characters before they are written as bytes. */
const FLUSH_CHARS = 512;

/** A record as it was sent, parsed back: what the server stores of it. */
export interface SentRecord {
  variable: string;
  value: ReadingValue;
  time?: string;
  group?: string;
}

export class Encoder {
  private readonly text = new TextEncoder();
  private readonly variables: VariableTable;
  /** The table's revision the parts were built for. */
  private revision: number;
  private readonly heads: string[] = [];
  private readonly units: string[] = [];
  /** Within one batch, the last sample's raw time and flags and its formatted tail: one format per sample, not per reading. */
  private lastTime = -1;
  private lastFlags = -1;
  private lastTail = "";

  constructor(variables: VariableTable) {
    this.variables = variables;
    this.revision = variables.revision;
  }

  /** Builds the parts of the variables added to the table since the last batch. */
  private define(): void {
    const variables = this.variables;
    if (variables.revision !== this.revision) {
      // Indexes were reused for other variables.
      this.heads.length = 0;
      this.units.length = 0;
      this.revision = variables.revision;
    }
    for (let i = this.heads.length; i < variables.size; i++) {
      const v = variables.get(i);
      this.heads.push('{"variable":' + jsonString(v.name) + ',"value":');
      this.units.push(v.unit === undefined ? "" : ',"unit":' + jsonString(v.unit));
    }
  }

  /** `,"time":...,"group":...}` for a reading stamped `time` with `flags`. */
  private tail(time: number, flags: number, timebase: Pick<TimeBase, "wallOf">): string {
    this.lastTime = time;
    this.lastFlags = flags & SAMPLE_FLAGS;
    let tail = "";
    const wall = timebase.wallOf(time, flags);
    if (wall >= 0) {
      tail = ',"time":"' + new Date(wall).toISOString() + '"';
      if (flags & FLAG_GROUPED) tail += ',"group":"' + wall.toString(36) + '"';
    } else if (flags & FLAG_GROUPED) {
      // Without a wall time the sample is still tied together by its uptime.
      tail = ',"group":"u' + time.toString(36) + '"';
    }
    this.lastTail = tail + "}";
    return this.lastTail;
  }

  /**
   * The record at `slot` as a batch encoded with `timebase` carries it, parsed back (for a landing
   * check: the very text sent, so the check asks for what the server was given).
   */
  sentRecord(ring: Ring, slot: number, timebase: Pick<TimeBase, "wallOf">): SentRecord {
    this.define();
    this.lastTime = -1;
    return JSON.parse(this.record(ring, slot, timebase)) as SentRecord;
  }

  /** One record as JSON, from its slot in the ring. */
  private record(ring: Ring, slot: number, timebase: Pick<TimeBase, "wallOf">): string {
    const variable = ring.variableIn(slot);
    const flags = ring.flagsIn(slot);
    const kind = flags & KIND_MASK;
    const value =
      kind === KIND_NUMBER ? "" + ring.numberIn(slot) : kind === KIND_STRING ? jsonString(ring.valueIn(slot) as string) : "" + ring.valueIn(slot);
    const time = ring.timeIn(slot);
    // The sample's other readings share its tail: checked here, without a call.
    const tail = time === this.lastTime && (flags & SAMPLE_FLAGS) === this.lastFlags ? this.lastTail : this.tail(time, flags, timebase);
    return this.heads[variable] + value + this.units[variable] + tail;
  }

  /**
   * The body for the oldest waiting records within `maxBytes` and `maxRecords`. A single record
   * longer than `maxBytes` still goes alone (the server's 413 decides), in a buffer of its size.
   */
  encode(ring: Ring, timebase: TimeBase, maxBytes: number, maxRecords: number): Batch {
    const available = ring.pending;
    this.define();
    const limit = Math.min(available, maxRecords);
    let slot = ring.slotOf(0);
    let count = 0;
    const skip = ring.storedHeld > 0;
    while (skip && count < limit && ring.flagsIn(slot) & FLAG_STORED) {
      count++;
      slot = ring.nextSlot(slot);
    }
    let skipped = count;
    if (count === limit) return { body: this.text.encode("[]"), count, sent: 0, full: count < available };
    // The clock may have been synced since the last batch: format afresh.
    this.lastTime = -1;
    const first = "[" + this.record(ring, slot, timebase);
    const bytes = new Uint8Array(Math.max(maxBytes, first.length + 1));
    let written = 0;
    let pending = first;
    count++;
    slot = ring.nextSlot(slot);
    while (count < limit) {
      if (skip && ring.flagsIn(slot) & FLAG_STORED) {
        count++;
        skipped++;
        slot = ring.nextSlot(slot);
        continue;
      }
      const record = this.record(ring, slot, timebase);
      if (written + pending.length + record.length + 2 > maxBytes) break;
      pending += "," + record;
      if (pending.length >= FLUSH_CHARS) {
        written += this.text.encodeInto(pending, bytes.subarray(written)).written;
        pending = "";
      }
      count++;
      slot = ring.nextSlot(slot);
    }
    written += this.text.encodeInto(pending + "]", bytes.subarray(written)).written;
    return { body: bytes.subarray(0, written), count, sent: count - skipped, full: count < available };
  }
}
