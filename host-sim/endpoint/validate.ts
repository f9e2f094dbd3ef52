// The data object rules of `POST /data`, as the facts file states them. A body is one object or an
// array of them; the first record that breaks a rule fails the whole body with a message naming
// the record and the field, so nothing from a bad request is stored. Sizes in kB are 1,000 bytes
// (UTF-8), like the 200 kB body limit. Two rules are this endpoint's own, as TagoIO documents
// neither: numbers must be finite (JSON.parse makes 1e400 Infinity, which would be stored as null),
// and metadata nests at most metadataDepth levels, checked without recursion, so no walk of it
// (JSON.stringify here, the answer to GET /data) can overflow the stack. `group` follows TagoCore's
// schema (24 characters), stricter than TagoIO's documented 100, so a client that passes here
// passes both.

export const LIMITS = {
  variableChars: 100,
  valueBytes: 6_000,
  unitChars: 25,
  groupChars: 24,
  metadataBytes: 10_000,
  metadataDepth: 32,
} as const;

/** Stored as GeoJSON whichever way it came in. */
export interface GeoPoint {
  type: "Point";
  coordinates: [number, number];
}

/** One record after validation: the variable lowercased, time in ms, metadata as JSON text. */
export interface NewRecord {
  variable: string;
  value: string | number | boolean;
  unit?: string;
  group?: string;
  time?: number;
  location?: GeoPoint;
  metadata?: string;
}

export type Validation = { ok: true; records: NewRecord[] } | { ok: false; message: string };

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Milliseconds since 1970 for an ISO 8601 date or date-time, or undefined when it is not one.
 * A time without a zone is read as UTC (never as the host's local time).
 */
export function parseTime(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => Number(part ?? 0));
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== "Z") {
    const digits = zone.replace(":", "");
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
  }
  const date = new Date(0);
  // setUTCFullYear keeps years 0-99 as written (Date.UTC would map them to 1900-1999).
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime() - offsetMinutes * 60_000;
}

/** Shortened for messages, so a huge bad value does not come back whole. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + "..." : text);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCoordinate(value: unknown, limit: number): value is number {
  return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= limit;
}

function location(value: unknown): GeoPoint | string {
  if (!isPlainObject(value)) return "location must be {lat, lng} or a GeoJSON Point";
  if ("type" in value) {
    const c = value.coordinates;
    if (value.type !== "Point" || !Array.isArray(c) || c.length < 2 || c.length > 3) {
      return 'location must be a GeoJSON {"type":"Point","coordinates":[lng, lat]}';
    }
    if (!isCoordinate(c[0], 180) || !isCoordinate(c[1], 90)) {
      return "location coordinates must be [lng, lat] with lng in -180..180 and lat in -90..90";
    }
    return { type: "Point", coordinates: [c[0], c[1]] };
  }
  if (!isCoordinate(value.lat, 90) || !isCoordinate(value.lng, 180)) {
    return "location needs numbers lat in -90..90 and lng in -180..180";
  }
  return { type: "Point", coordinates: [value.lng, value.lat] };
}

/** What breaks a rule inside metadata (too deep, a non-finite number); undefined when nothing does. */
function metadataProblem(metadata: Record<string, unknown>): string | undefined {
  // An explicit stack: JSON.parse accepts far deeper nesting than the call stack holds.
  const pending: Array<[value: unknown, depth: number]> = [[metadata, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value === "number" && !Number.isFinite(value)) return "metadata numbers must be finite";
    if (typeof value !== "object" || value === null) continue;
    if (depth > LIMITS.metadataDepth) return `metadata must nest at most ${LIMITS.metadataDepth} levels deep`;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return undefined;
}

/** The record, or a message naming the field that breaks a rule. Null optional fields count as absent. */
function record(raw: unknown): NewRecord | string {
  if (!isPlainObject(raw)) return "each data item must be an object";

  const { variable: rawVariable, value, unit, group, time, location: rawLocation, metadata } = raw;
  if (typeof rawVariable !== "string" || rawVariable.length === 0) return "variable is required (a string)";
  if (rawVariable.length > LIMITS.variableChars) {
    return `variable must be at most ${LIMITS.variableChars} characters`;
  }
  const variable = rawVariable.toLowerCase();
  if (!/^[a-z0-9_]+$/.test(variable)) {
    return `variable ${quote(rawVariable)} may only contain a-z, 0-9 and _ (no spaces or * ? ! < > . - = $)`;
  }
  const out: NewRecord = { variable, value: 0 };

  if (typeof value === "string") {
    if (Buffer.byteLength(value) > LIMITS.valueBytes) return `value must be at most ${LIMITS.valueBytes} bytes`;
  } else if (typeof value === "number") {
    if (!Number.isFinite(value)) return "value must be a finite number (1e400 and the like are out of range)";
  } else if (typeof value !== "boolean") {
    return "value is required and must be a string, number or boolean";
  }
  out.value = value;

  if (unit != null) {
    if (typeof unit !== "string" || unit.length > LIMITS.unitChars) {
      return `unit must be a string of at most ${LIMITS.unitChars} characters`;
    }
    out.unit = unit;
  }
  if (group != null) {
    if (typeof group !== "string" || group.length > LIMITS.groupChars) {
      return `group must be a string of at most ${LIMITS.groupChars} characters`;
    }
    out.group = group;
  }
  if (time != null) {
    const ms = typeof time === "string" ? parseTime(time) : undefined;
    if (ms === undefined) return "time must be an ISO 8601 date string (e.g. 2026-11-26T01:10:55.000Z)";
    out.time = ms;
  }
  if (rawLocation != null) {
    const point = location(rawLocation);
    if (typeof point === "string") return point;
    out.location = point;
  }
  if (metadata != null) {
    if (!isPlainObject(metadata)) return "metadata must be an object";
    const problem = metadataProblem(metadata);
    if (problem !== undefined) return problem;
    const text = JSON.stringify(metadata);
    if (Buffer.byteLength(text) > LIMITS.metadataBytes) {
      return `metadata must be at most ${LIMITS.metadataBytes} bytes`;
    }
    out.metadata = text;
  }
  return out;
}

/** Validates a parsed `POST /data` body: one data object or an array of them. */
export function validateData(body: unknown): Validation {
  const list = Array.isArray(body) ? body : [body];
  const records: NewRecord[] = [];
  for (let i = 0; i < list.length; i++) {
    const result = record(list[i]);
    if (typeof result === "string") {
      return { ok: false, message: `Invalid data${Array.isArray(body) ? `[${i}]` : ""}: ${result}` };
    }
    records.push(result);
  }
  return { ok: true, records };
}
