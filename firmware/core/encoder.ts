// Readings to a TagoIO `/data` JSON array. Output is ASCII only, so its string length is its byte
// length on every engine. A batch takes the oldest waiting records, as many as fit the byte and
// record bounds, and always at least one so the queue can never stall on a single record.
// The per-variable parts (`{"variable":"x","value":` and `,"unit":"y"`) are built once.

import type { VariableConfig } from "./config.js";
import { FLAG_GROUPED, KIND_STRING, type Ring } from "./ring.js";
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
  private lastTime = -1;
  private lastTimeText = "";
  private lastGroupText = "";

  constructor(variables: ReadonlyArray<VariableConfig>) {
    this.heads = variables.map((v) => '{"variable":' + jsonString(v.name) + ',"value":');
    this.units = variables.map((v) => (v.unit === undefined ? "" : ',"unit":' + jsonString(v.unit)));
  }

  /** One record as JSON. `index` counts from the oldest record in the ring. */
  record(ring: Ring, index: number, timebase: TimeBase): string {
    const variable = ring.variableAt(index);
    const flags = ring.flagsAt(index);
    const value = ring.valueAt(index);
    let out = this.heads[variable];
    out += (flags & 3) === KIND_STRING ? jsonString(value as string) : String(value);
    out += this.units[variable];
    const wall = timebase.wallOf(ring.timeAt(index), flags);
    if (wall >= 0) {
      // The readings of one sample share a time: format it once for all of them.
      if (wall !== this.lastTime) {
        this.lastTime = wall;
        this.lastTimeText = ',"time":"' + new Date(wall).toISOString() + '"';
        this.lastGroupText = ',"group":"' + wall.toString(36) + '"';
      }
      out += this.lastTimeText;
      if (flags & FLAG_GROUPED) out += this.lastGroupText;
    } else if (flags & FLAG_GROUPED) {
      // Without a wall time the sample is still tied together by its uptime.
      out += ',"group":"u' + ring.timeAt(index).toString(36) + '"';
    }
    return out + "}";
  }

  /** The body for the oldest waiting records within `maxBytes` and `maxRecords`. */
  encode(ring: Ring, timebase: TimeBase, maxBytes: number, maxRecords: number): Batch {
    const available = ring.pending;
    const limit = Math.min(available, maxRecords);
    let body = "[";
    let count = 0;
    while (count < limit) {
      const record = this.record(ring, count, timebase);
      if (count > 0 && body.length + record.length + 2 > maxBytes) break;
      body += count > 0 ? "," + record : record;
      count++;
    }
    return { body: body + "]", count, full: count < available };
  }
}
