// The reading format: the frames the journal appends to its log, as pure encode and parse functions
// over the envelope and fields of frame.ts. Anything that does not parse exactly, with a matching
// CRC-32, is refused: never half-trusted.
//
// Frame (after tag and length): 3 seq u48 | ... | crc32
//    data:    seq is its first reading's; then time u48 | flags u8 | per reading:
//             variable u8 | encoding u8 | payload; then per window entry (reporting.ts): the same,
//             with bit 7 of the encoding set. An entry is a number that joined an open window
//             (kept so a reboot can close that window) or, as 0x83 and no payload, the window's
//             close. Entries are not readings: they take no seq and are never handed out.
//    release: seq is a floor: every reading before it is settled (delivered or dropped)
//    list:    no seq; count u8 | per variable: name length u8 | name | unit length u8 | unit (UTF-8)
//             The variable list the sector's data frames index, its first frame. Its id (the
//             header's schema) is the CRC-32 of the bytes from count to the end of the entries.
// A sector header's floor is a release frame's seq, its schema the id of the sector's list.
// Reading encoding byte (bit 7: a window entry), kind in bits 0-1:
//    0 decimal: m / 10^k exactly; m signed in ((bits 5-6) + 1) bytes, k in bits 2-4
//    1 float64: 8 bytes        2 boolean: the value in bit 2        3 string: u16 length, UTF-8

import { crc32 } from "./crc.js";
import { CRC_BYTES, frameLength, type FrameFormat, getU48, isSealed, MAX_FRAME, newFrame, putU48, sealFrame } from "./frame.js";
import { FLAG_GROUPED, FLAG_NO_TIME, FLAG_UPTIME, type ReadingValue } from "./ring.js";
import type { Variable } from "./variables.js";

const TAG_DATA = 0xd5;
const TAG_RELEASE = 0xa9;
const TAG_LIST = 0x3c;
/** The shortest frame: a list of one variable with a one-letter name and no unit. */
const MIN_FRAME = 11;
/** Tag, length, seq, time, flags and CRC: a data frame's bytes besides its readings. */
export const DATA_OVERHEAD = 20;
export const RELEASE_BYTES = 13;
/** Variable and encoding bytes, and a string's length. */
export const STRING_OVERHEAD = 4;
const FIRST_READING = 16;
const FLAGS = FLAG_UPTIME | FLAG_GROUPED | FLAG_NO_TIME;

const KIND_DECIMAL = 0;
const KIND_FLOAT = 1;
const KIND_BOOLEAN = 2;
const KIND_STRING = 3;
const WINDOW_ENTRY = 0x80;
const WINDOW_CLOSED = WINDOW_ENTRY | KIND_STRING;
const POW10 = Object.freeze([1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7]);

export type FrameKind = "data" | "release" | "list";

/** Window entries of one sample: `values[i]` joined the window of variable `variables[i]`, or NaN: that window closed. */
export interface WindowEntries {
  variables: number[];
  values: number[];
}

/** Bytes the window entries `w` take in a data frame. */
export function windowBytes(w: WindowEntries | undefined): number {
  let n = 0;
  if (w !== undefined) for (const v of w.values) n += v === v ? readingBytes(v) : 2;
  return n;
}

export interface Frame {
  kind: FrameKind;
  length: number;
  /** A data frame's first reading, or a release frame's floor. */
  seq: number;
  time: number;
  flags: number;
  variables: number[];
  values: ReadingValue[];
  /** A data frame's window entries, when it has any: a member's value, or NaN for a close. */
  window?: WindowEntries;
  /** A list frame's variables, and its id. */
  list: Variable[];
  listId: number;
}

/** UTF-8 length of a string, as TextEncoder writes it (a lone surrogate becomes U+FFFD). */
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Decimal places k (0-7) that carry `v` exactly as a 32-bit integer over 10^k, or -1. */
function decimalPlaces(v: number): number {
  if (v === 0 && 1 / v < 0) return -1; // -0 has no integer form
  for (let k = 0; k < POW10.length; k++) {
    const m = Math.round(v * POW10[k]);
    if (Math.abs(m) > 0x7fffffff) return -1;
    if (m / POW10[k] === v) return k;
  }
  return -1;
}

function intBytes(m: number): number {
  if (m >= -0x80 && m < 0x80) return 1;
  if (m >= -0x8000 && m < 0x8000) return 2;
  return m >= -0x800000 && m < 0x800000 ? 3 : 4;
}

/** Bytes one reading takes in a data frame. */
export function readingBytes(value: ReadingValue): number {
  if (typeof value === "boolean") return 2;
  if (typeof value === "string") return STRING_OVERHEAD + utf8Length(value);
  const k = decimalPlaces(value);
  return k < 0 ? 10 : 2 + intBytes(Math.round(value * POW10[k]));
}

function putValue(b: Uint8Array, at: number, v: ReadingValue): number {
  if (typeof v === "boolean") {
    b[at] = KIND_BOOLEAN | (v ? 4 : 0);
    return at + 1;
  }
  if (typeof v === "string") {
    const bytes = new TextEncoder().encode(v);
    b[at] = KIND_STRING;
    b[at + 1] = bytes.length & 0xff;
    b[at + 2] = bytes.length >>> 8;
    b.set(bytes, at + 3);
    return at + 3 + bytes.length;
  }
  const k = decimalPlaces(v);
  if (k < 0) {
    b[at] = KIND_FLOAT;
    new DataView(b.buffer, b.byteOffset).setFloat64(at + 1, v, true);
    return at + 9;
  }
  const m = Math.round(v * POW10[k]);
  const width = intBytes(m);
  b[at] = KIND_DECIMAL | (k << 2) | ((width - 1) << 5);
  for (let i = 0; i < width; i++) b[at + 1 + i] = (m >> (8 * i)) & 0xff;
  return at + 1 + width;
}

/** Bytes of a data frame holding readings `from` to `to` (exclusive) of `values` and the window entries `window`. */
function dataFrameBytes(values: readonly ReadingValue[], from: number, to: number, window: WindowEntries | undefined): number {
  let length = DATA_OVERHEAD + windowBytes(window);
  for (let i = from; i < to; i++) length += readingBytes(values[i]);
  return length;
}

/**
 * A data frame holding readings `from` to `to` (exclusive), the first with sequence number `seq`;
 * `length`, its bytes, when the caller has measured them (the journal has: not measured twice).
 */
export function encodeData(
  seq: number,
  time: number,
  flags: number,
  variables: readonly number[],
  values: readonly ReadingValue[],
  from: number,
  to: number,
  window?: WindowEntries,
  length = dataFrameBytes(values, from, to, window),
): Uint8Array {
  if (length > MAX_FRAME) throw new RangeError(`journal: a frame of ${length} bytes is over ${MAX_FRAME}`);
  const b = newFrame(TAG_DATA, length);
  putU48(b, 3, seq);
  putU48(b, 9, time);
  b[15] = flags & FLAGS;
  let at = FIRST_READING;
  for (let i = from; i < to; i++) {
    b[at] = variables[i];
    at = putValue(b, at + 1, values[i]);
  }
  if (window !== undefined) {
    for (let i = 0; i < window.values.length; i++) {
      const v = window.values[i];
      b[at] = window.variables[i];
      if (v === v) {
        const encoding = at + 1;
        at = putValue(b, encoding, v);
        b[encoding] |= WINDOW_ENTRY;
      } else {
        b[at + 1] = WINDOW_CLOSED;
        at += 2;
      }
    }
  }
  sealFrame(b, at);
  return b;
}

/** The UTF-8 names and units of a list frame naming `variables`, and the frame's length. */
function listParts(variables: readonly Variable[]): { parts: Uint8Array[]; length: number } {
  const text = new TextEncoder();
  const parts: Uint8Array[] = [];
  let length = 4 + CRC_BYTES;
  for (const v of variables) {
    const name = text.encode(v.name);
    const unit = text.encode(v.unit ?? "");
    parts.push(name, unit);
    length += 2 + name.length + unit.length;
  }
  return { parts, length };
}

/** The length of the list frame naming `variables`, without building it. */
export function listBytes(variables: readonly Variable[]): number {
  return listParts(variables).length;
}

/** A list frame naming `variables`; its id is `listId(frame)`. */
export function encodeList(variables: readonly Variable[]): Uint8Array {
  const { parts, length } = listParts(variables);
  if (variables.length > 0xff || length > MAX_FRAME) throw new RangeError(`journal: a variable list of ${length} bytes does not fit a frame`);
  const b = newFrame(TAG_LIST, length);
  b[3] = variables.length;
  let at = 4;
  for (const part of parts) {
    b[at] = part.length;
    b.set(part, at + 1);
    at += 1 + part.length;
  }
  sealFrame(b, at);
  return b;
}

/** The id of the list in list frame `b`: what sector headers record as their schema. */
export function listId(b: Uint8Array): number {
  return crc32(b, 3, b.length - CRC_BYTES);
}

/** A release frame: every reading before `floor` is settled. */
export function encodeRelease(floor: number): Uint8Array {
  const b = newFrame(TAG_RELEASE, RELEASE_BYTES);
  putU48(b, 3, floor);
  sealFrame(b, 9);
  return b;
}

function parseReadings(b: Uint8Array, at: number, end: number, frame: Frame): boolean {
  let p = at;
  let variables = frame.variables;
  let values = frame.values;
  while (p < end) {
    if (end - p < 2) return false;
    const variable = b[p];
    let encoding = b[p + 1];
    p += 2;
    if (encoding & WINDOW_ENTRY) {
      if (frame.window === undefined) {
        frame.window = { variables: [], values: [] };
        variables = frame.window.variables;
        values = frame.window.values;
      }
      variables.push(variable);
      if (encoding === WINDOW_CLOSED) {
        values.push(NaN);
        continue;
      }
      encoding &= ~WINDOW_ENTRY;
      // An entry is a number: a boolean or string one was never written.
      if ((encoding & 3) > KIND_FLOAT) return false;
    } else {
      // Entries come after the readings.
      if (frame.window !== undefined) return false;
      variables.push(variable);
    }
    const kind = encoding & 3;
    if (kind === KIND_BOOLEAN) {
      if (encoding & ~7) return false;
      values.push((encoding & 4) !== 0);
    } else if (kind === KIND_FLOAT) {
      if (encoding !== KIND_FLOAT || end - p < 8) return false;
      const v = new DataView(b.buffer, b.byteOffset).getFloat64(p, true);
      if (!Number.isFinite(v)) return false;
      values.push(v);
      p += 8;
    } else if (kind === KIND_STRING) {
      if (encoding !== KIND_STRING || end - p < 2) return false;
      const length = b[p] | (b[p + 1] << 8);
      if (end - p - 2 < length) return false;
      values.push(new TextDecoder().decode(b.subarray(p + 2, p + 2 + length)));
      p += 2 + length;
    } else {
      const width = ((encoding >> 5) & 3) + 1;
      if (end - p < width) return false;
      let u = 0;
      for (let i = 0; i < width; i++) u |= b[p + i] << (8 * i);
      const shift = 32 - 8 * width;
      values.push(((u << shift) >> shift) / POW10[(encoding >> 2) & 7]);
      p += width;
    }
  }
  return true;
}

function parseList(b: Uint8Array, at: number, end: number, frame: Frame): boolean {
  const decoder = new TextDecoder();
  let count = b[at + 3];
  let p = at + 4;
  while (count-- > 0) {
    if (end - p < 2 || b[p] === 0 || end - p - 1 < b[p]) return false;
    const name = decoder.decode(b.subarray(p + 1, p + 1 + b[p]));
    p += 1 + b[p];
    if (end - p < 1 + b[p]) return false;
    const unit = b[p] === 0 ? undefined : decoder.decode(b.subarray(p + 1, p + 1 + b[p]));
    p += 1 + b[p];
    frame.list.push(unit === undefined ? { name } : { name, unit });
  }
  frame.listId = crc32(b, at + 3, end);
  return p === end && frame.list.length > 0;
}

/** The frame starting at `b[at]` and ending by `limit`, or undefined when there is no valid one. */
export function parseFrame(b: Uint8Array, at: number, limit: number): Frame | undefined {
  if (limit - at < MIN_FRAME) return undefined;
  const tag = b[at];
  if (tag !== TAG_DATA && tag !== TAG_RELEASE && tag !== TAG_LIST) return undefined;
  const length = frameLength(b, at);
  if (tag === TAG_RELEASE ? length !== RELEASE_BYTES : length < (tag === TAG_LIST ? MIN_FRAME : DATA_OVERHEAD + 2)) return undefined;
  if (length > limit - at) return undefined;
  const end = at + length - CRC_BYTES;
  if (!isSealed(b, at, end)) return undefined;
  const kind: FrameKind = tag === TAG_DATA ? "data" : tag === TAG_RELEASE ? "release" : "list";
  const frame: Frame = { kind, length, seq: 0, time: 0, flags: 0, variables: [], values: [], list: [], listId: 0 };
  if (kind === "list") return parseList(b, at, end, frame) ? frame : undefined;
  frame.seq = getU48(b, at + 3);
  if (kind === "release") return frame;
  frame.time = getU48(b, at + 9);
  frame.flags = b[at + 15];
  if (frame.flags & ~FLAGS) return undefined;
  return parseReadings(b, at + FIRST_READING, end, frame) ? frame : undefined;
}

/** The first offset in [from, limit) where a valid frame starts, or -1: how a reader gets past garbage. */
export function findFrame(b: Uint8Array, from: number, limit: number): number {
  for (let p = from; p + MIN_FRAME <= limit; p++) {
    if ((b[p] === TAG_DATA || b[p] === TAG_RELEASE || b[p] === TAG_LIST) && parseFrame(b, p, limit) !== undefined) return p;
  }
  return -1;
}

/** The reading frames, as the journal's log reads them. */
export const READING_FRAMES: FrameFormat<Frame> = Object.freeze({ minBytes: MIN_FRAME, parse: parseFrame, find: findFrame });
