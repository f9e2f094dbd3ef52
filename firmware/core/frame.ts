// The journal's bytes on flash beneath its readings: sector headers, the envelope every frame
// shares and the little-endian fields, as pure encode and parse functions. NOR flash can only clear
// bits, so every field is written once into erased (0xFF) bytes: a sector header gets its first half
// right after the erase and its second half when the log opens the sector; frames are only ever
// appended after the last one. A header that does not parse exactly, with matching CRC-32s, is refused.
//
// Sector header (HEADER_BYTES):
//    0 magic u32 | 4 erase count u32 | 8 crc32 of 0-7                       written after the erase
//   12 generation u32 | 16 floor u48 | 22 schema u32 | 26 crc32 of 12-25   written when opened
//   (floor and schema are the log owner's, kept for it: reading-frame.ts says what they are)
// Frame envelope:
//    0 tag u8 | 1 length u16 (the whole frame) | ... | crc32 of every byte before it

import { crc32 } from "./crc.js";

export const HEADER_BYTES = 30;
/** Where a header's second half starts. */
export const PHASE_TWO = 12;
const MAGIC = 0x314e524a; // "JRN1"

export const CRC_BYTES = 4;
/** The most a frame's u16 length can say. */
export const MAX_FRAME = 0xffff;
const TWO_POW_32 = 4294967296;

export type SectorState = "blank" | "spare" | "open" | "dirty";

export interface SectorHeader {
  state: SectorState;
  /** Erases this sector has had, or -1 when its header does not say. */
  erases: number;
  generation: number;
  floor: number;
  schema: number;
}

/** What a log needs to know of the frames it holds, all in the envelope above. */
export interface FrameFormat<F extends { length: number }> {
  /** The shortest frame there is. */
  readonly minBytes: number;
  /** The frame starting at `b[at]` and ending by `limit`, or undefined when there is no valid one. */
  parse(b: Uint8Array, at: number, limit: number): F | undefined;
  /** The first offset in [from, limit) where a valid frame starts, or -1. */
  find(b: Uint8Array, from: number, limit: number): number;
}

/** A frame of `length` bytes, its tag and length set: the caller fills it in, then seals it. */
export function newFrame(tag: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  b[0] = tag;
  b[1] = length & 0xff;
  b[2] = length >>> 8;
  return b;
}

/** Writes the CRC of `b[0..at)` at `at`, where the frame ends. */
export function sealFrame(b: Uint8Array, at: number): void {
  putU32(b, at, crc32(b, 0, at));
}

/** True when the CRC at `end` is that of `b[at..end)`: the frame starting at `at` is whole. */
export function isSealed(b: Uint8Array, at: number, end: number): boolean {
  return getU32(b, end) === crc32(b, at, end);
}

/** The length a frame's envelope at `b[at]` states. */
export function frameLength(b: Uint8Array, at: number): number {
  return b[at + 1] | (b[at + 2] << 8);
}

/** The largest frame a sector of `sectorSize` bytes can hold. */
export function maxFrameBytes(sectorSize: number): number {
  return Math.min(MAX_FRAME, sectorSize - HEADER_BYTES);
}

export function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

export function getU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

export function putU48(b: Uint8Array, at: number, v: number): void {
  putU32(b, at, v % TWO_POW_32);
  const high = Math.floor(v / TWO_POW_32);
  b[at + 4] = high & 0xff;
  b[at + 5] = (high >>> 8) & 0xff;
}

export function getU48(b: Uint8Array, at: number): number {
  return getU32(b, at) + (b[at + 4] | (b[at + 5] << 8)) * TWO_POW_32;
}

/** True when `b[from..to)` is all 0xFF: erased, never written. */
export function isErased(b: Uint8Array, from: number, to: number): boolean {
  let i = from;
  // A word a step (all four bytes 0xFF): a quarter of the steps, each of which costs bytecodes on XS.
  const words = new DataView(b.buffer, b.byteOffset, b.length);
  for (const fours = to - ((to - from) & 3); i < fours; i += 4) if (words.getUint32(i) !== 0xffffffff) return false;
  for (; i < to; i++) if (b[i] !== 0xff) return false;
  return true;
}

/** A sector header's first half, written right after the erase. */
export function encodeErased(erases: number): Uint8Array {
  const b = new Uint8Array(PHASE_TWO);
  putU32(b, 0, MAGIC);
  putU32(b, 4, erases);
  putU32(b, 8, crc32(b, 0, 8));
  return b;
}

/** A sector header's second half, written at offset PHASE_TWO when the log opens the sector. */
export function encodeOpened(generation: number, floor: number, schema: number): Uint8Array {
  const b = new Uint8Array(HEADER_BYTES - PHASE_TWO);
  putU32(b, 0, generation);
  putU48(b, 4, floor);
  putU32(b, 10, schema);
  putU32(b, 14, crc32(b, 0, 14));
  return b;
}

/**
 * What a sector's header says: blank, erased and ready (spare), opened, or damaged (dirty). Each
 * half has its own CRC, so a first half that rotted costs only the erase count (-1).
 */
export function parseHeader(b: Uint8Array): SectorHeader {
  const header: SectorHeader = { state: "dirty", erases: -1, generation: -1, floor: 0, schema: 0 };
  const blankOne = isErased(b, 0, PHASE_TWO);
  const blankTwo = isErased(b, PHASE_TWO, HEADER_BYTES);
  if (blankOne && blankTwo) header.state = "blank";
  const one = !blankOne && getU32(b, 0) === MAGIC && getU32(b, 8) === crc32(b, 0, 8);
  if (one) header.erases = getU32(b, 4);
  if (blankTwo) {
    if (one) header.state = "spare";
    return header;
  }
  if (getU32(b, PHASE_TWO + 14) !== crc32(b, PHASE_TWO, PHASE_TWO + 14)) return header;
  header.state = "open";
  header.generation = getU32(b, PHASE_TWO);
  header.floor = getU48(b, PHASE_TWO + 4);
  header.schema = getU32(b, PHASE_TWO + 10);
  return header;
}
