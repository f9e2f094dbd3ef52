// Readings to a TagoIO `/data` JSON array. Output is ASCII only, so its string length is its byte
// length on every engine. A batch takes the oldest waiting records, as many as fit the byte and
// record bounds, and always at least one so the queue can never stall on a single record.
// The per-variable parts (`{"variable":"x","value":` and `,"unit":"y"`) are built once.

import type { VariableConfig } from "./config.js";
import { FLAG_GROUPED, FLAG_NO_TIME, FLAG_UPTIME, KIND_MASK, KIND_NUMBER, KIND_STRING, type Ring } from "./ring.js";
import { jsonString } from "./text.js";
import type { TimeBase } from "./timebase.js";

export interface Batch {
  body: string;
  /** Records in the body, counted from the oldest waiting record. */
  count: number;
  /** True when more records were waiting than the bounds let in. */
  full: boolean;
}

export class Encoder {
  private readonly heads: string[];
  private readonly units: string[];
  /** Within one batch, the last sample's raw time and flags and its formatted tail: one format per sample, not per reading. */
  private lastTime = -1;
  private lastFlags = -1;
  private lastTail = "";

  constructor(variables: ReadonlyArray<VariableConfig>) {
    this.heads = variables.map((v) => '{"variable":' + jsonString(v.name) + ',"value":');
    this.units = variables.map((v) => (v.unit === undefined ? "" : ',"unit":' + jsonString(v.unit)));
  }

  /** `,"time":...,"group":...}` for a reading stamped `time` with `flags`. */
  private tail(time: number, flags: number, timebase: TimeBase): string {
    const sampleFlags = flags & (FLAG_GROUPED | FLAG_UPTIME | FLAG_NO_TIME);
    if (time === this.lastTime && sampleFlags === this.lastFlags) return this.lastTail;
    this.lastTime = time;
    this.lastFlags = sampleFlags;
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

  /** One record as JSON, from its slot in the ring. */
  private record(ring: Ring, slot: number, timebase: TimeBase): string {
    const variable = ring.variableIn(slot);
    const flags = ring.flagsIn(slot);
    const kind = flags & KIND_MASK;
    const value =
      kind === KIND_NUMBER ? "" + ring.numberIn(slot) : kind === KIND_STRING ? jsonString(ring.valueIn(slot) as string) : "" + ring.valueIn(slot);
    return this.heads[variable] + value + this.units[variable] + this.tail(ring.timeIn(slot), flags, timebase);
  }

  /** The body for the oldest waiting records within `maxBytes` and `maxRecords`. */
  encode(ring: Ring, timebase: TimeBase, maxBytes: number, maxRecords: number): Batch {
    const available = ring.pending;
    const limit = Math.min(available, maxRecords);
    let body = "[";
    let count = 0;
    let slot = ring.slotOf(0);
    // The clock may have been synced since the last batch: format afresh.
    this.lastTime = -1;
    while (count < limit) {
      const record = this.record(ring, slot, timebase);
      if (count > 0 && body.length + record.length + 2 > maxBytes) break;
      body += count > 0 ? "," + record : record;
      count++;
      slot = ring.nextSlot(slot);
    }
    return { body: body + "]", count, full: count < available };
  }
}
