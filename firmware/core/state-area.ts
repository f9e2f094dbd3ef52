// The sleep mode's state area: a few flash sectors kept as an append-only log of records, the
// newest of which is the state a wake restores (wake-state.ts says what it holds). Reading it
// costs a few small reads and the record itself, never a scan of a sector.
// Layout: each sector is a run of SLOT-byte slots; a record starts a slot and fills as many as it
// needs: magic 0x00 0xA5 | length u16 | seq u32 | crc32 of seq, length and payload | payload |
// 0x00 padding | its slot count, the last byte of its last slot (UTF-8 JSON, so no slot holding a
// record's continuation starts 0x00 0xA5, and none starts 0xFF).
// NOR: records are only appended into erased slots, so the used slots of a sector are a prefix
// and the first erased slot is found by bisection; the byte before it says where the newest
// record starts (else the slots are looked back through). When a record does not fit, the next sector is
// erased and takes it. Power cuts: a torn record fails its CRC and the one before it is the state;
// a torn erase leaves garbage whose records fail theirs, and the other sector still holds the last.

import type { Flash } from "../ports.js";
import { crc32 } from "./crc.js";
import { getU32, putU32 } from "./frame.js";

const SLOT = 32;
const HEAD = 12;
const MAGIC0 = 0x00;
const MAGIC1 = 0xa5;

interface StateRecord {
  seq: number;
  /** Its sector, and the sector's first erased slot: where the next record goes. */
  sector: number;
  free: number;
  payload: Uint8Array;
}

export class StateArea {
  private readonly flash: Flash;
  private readonly slots: number;
  /** The newest valid record, found by `read`; undefined when there is none. */
  private last: StateRecord | undefined;

  constructor(flash: Flash) {
    this.flash = flash;
    this.slots = Math.floor(flash.sectorSize / SLOT);
  }

  /** The newest record's payload, or undefined when no valid record is found. */
  read(): Uint8Array | undefined {
    const order: number[] = [];
    for (let s = 0; s < this.flash.sectorCount; s++) order.push(s);
    // Newest sector first: the one whose first record has the greatest seq. That seq is read
    // unchecked (rot may have raised it), so an older sector is looked into too unless the newest
    // record found already passes its first.
    const firsts = order.map((s) => this.firstSeq(s));
    order.sort((a, b) => firsts[b] - firsts[a]);
    let best: StateRecord | undefined;
    for (const s of order) {
      if (firsts[s] < 0 || (best !== undefined && best.seq >= firsts[s])) continue;
      const found = this.newestIn(s);
      if (found !== undefined && (best === undefined || found.seq > best.seq)) best = found;
    }
    this.last = best;
    return best?.payload;
  }

  /** Appends a record after the newest (call `read` first); throws what the flash throws. */
  write(payload: Uint8Array): void {
    const slots = slotsFor(payload.length);
    if (slots > this.slots) throw new RangeError(`state area: a record of ${payload.length} bytes does not fit a ${this.flash.sectorSize}-byte sector`);
    const last = this.last;
    const seq = last === undefined ? 1 : last.seq + 1;
    let sector = last === undefined ? 0 : last.sector;
    // After a torn record, not after the newest valid one: its slots are not erased.
    let at = last === undefined ? this.slots : last.free;
    // With no valid record anywhere, what the sectors hold is unknown: erase before writing.
    if (at + slots > this.slots) {
      sector = last === undefined ? 0 : (sector + 1) % this.flash.sectorCount;
      this.flash.erase(sector);
      at = 0;
    }
    const b = new Uint8Array(slots * SLOT);
    b[0] = MAGIC0;
    b[1] = MAGIC1;
    b[2] = payload.length & 0xff;
    b[3] = payload.length >>> 8;
    putU32(b, 4, seq);
    b.set(payload, HEAD);
    putU32(b, 8, recordCrc(b, payload.length));
    b[b.length - 1] = slots;
    this.flash.write(this.offset(sector, at), b);
    this.last = { seq, sector, free: at + slots, payload };
  }

  private offset(sector: number, slot: number): number {
    return sector * this.flash.sectorSize + slot * SLOT;
  }

  /** The seq of the record sector `s` starts with (unchecked), or -1 when it starts with none. */
  private firstSeq(s: number): number {
    const b = this.flash.read(this.offset(s, 0), 8);
    return b[0] === MAGIC0 && b[1] === MAGIC1 ? getU32(b, 4) : -1;
  }

  /** The newest valid record of sector `s`, looking back from its first erased slot. */
  private newestIn(s: number): StateRecord | undefined {
    // Bisection for the first erased slot: slots before it are used, those after erased (a torn
    // record too was written from its first slot on, so its slots start with a written byte).
    let lo = 0;
    let hi = this.slots;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.flash.read(this.offset(s, mid), 1)[0] === 0xff) hi = mid;
      else lo = mid + 1;
    }
    if (lo === 0) return undefined;
    const slots = this.flash.read(this.offset(s, lo) - 1, 1)[0];
    if (slots <= lo) {
      const found = recordIn(this.flash.read(this.offset(s, lo - slots), slots * SLOT), slots, s, lo);
      if (found !== undefined) return found;
    }
    for (let slot = lo - 1; slot >= 0; slot--) {
      const start = this.flash.read(this.offset(s, slot), 4);
      if (start[0] !== MAGIC0 || start[1] !== MAGIC1) continue;
      const length = start[2] | (start[3] << 8);
      const slots = slotsFor(length);
      if (slot + slots > this.slots) continue;
      const found = recordIn(this.flash.read(this.offset(s, slot), HEAD + length), slots, s, lo);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** The slots a record of a `length`-byte payload takes. */
function slotsFor(length: number): number {
  return Math.ceil((HEAD + length + 1) / SLOT);
}

/** The valid record of `slots` slots `b` starts with (in sector `s`, whose first erased slot is `free`), or undefined. */
function recordIn(b: Uint8Array, slots: number, s: number, free: number): StateRecord | undefined {
  if (b[0] !== MAGIC0 || b[1] !== MAGIC1) return undefined;
  const length = b[2] | (b[3] << 8);
  if (slotsFor(length) !== slots || b.length < HEAD + length || getU32(b, 8) !== recordCrc(b, length)) return undefined;
  return { seq: getU32(b, 4), sector: s, free, payload: b.slice(HEAD, HEAD + length) };
}

/** The CRC of a record's header but its CRC field (bytes 8 to 11), and its `length`-byte payload. */
function recordCrc(b: Uint8Array, length: number): number {
  return crc32(b, HEAD, HEAD + length, crc32(b, 0, 8));
}
