// The RAM ring: readings packed 16 bytes each into one preallocated ArrayBuffer.
// Layout of a record: value float64 (bytes 0-7; a boolean as 0/1, a string as its key in the
// string table), then two uint32 words: the low 32 bits of the time in milliseconds, and the
// time's high 16 bits | variable index << 16 | flags << 24 (three stores a record, read back
// through the same views on any byte order).
// The batch on the wire is always the oldest records. When full: "drop-oldest" evicts the oldest
// record, "drop-newest" refuses the new one. An evicted record that is part of the batch on the
// wire is settled with that batch: delivered if it is acknowledged, dropped otherwise, so every
// record is counted exactly once.
// String values cost their 16-byte record plus the string itself, held in a Map within a
// character budget; a string that does not fit the budget is refused.
// With a flash journal behind it, the ring is a window on the journal's oldest unreleased
// readings: it is filled only while it `accepts`, and evicts only what the journal dropped.
// A record a landing check found stored on the server is marked (FLAG_STORED): it stays until its
// batch is acknowledged, so it is counted delivered once, and the encoder never sends it again.

import type { WhenFull } from "./config.js";
import { codePointLength } from "./text.js";

export const RECORD_BYTES = 16;

export const KIND_NUMBER = 0;
export const KIND_BOOLEAN = 1;
export const KIND_STRING = 2;
export const KIND_MASK = 3;
/** Time is milliseconds since boot, to be rebased once the clock is trusted. */
export const FLAG_UPTIME = 4;
/** The reading shares its sample with others and is sent with a `group`. */
export const FLAG_GROUPED = 8;
/** No time can be known for this reading; the server stamps it on arrival. */
export const FLAG_NO_TIME = 16;
/** A landing check found the reading stored: released with its batch, never sent again. Ring only, never journaled. */
export const FLAG_STORED = 128;

const TWO_POW_32 = 4294967296;

export type ReadingValue = number | boolean | string;

/** What became of a push: stored, one record (the new one or the oldest) dropped, or a string refused. */
export const PUSH_STORED = 0;
export const PUSH_DROPPED_ONE = 1;
export const PUSH_REFUSED_STRING = 2;
export type PushResult = typeof PUSH_STORED | typeof PUSH_DROPPED_ONE | typeof PUSH_REFUSED_STRING;

/** The low 32 bits of a time, as `pushRaw` takes it. */
export function timeLow(timeMs: number): number {
  return timeMs % TWO_POW_32;
}

/** The bits of a time above the low 32, as `pushRaw` takes them. */
export function timeHigh(timeMs: number): number {
  return (timeMs - (timeMs % TWO_POW_32)) / TWO_POW_32;
}

export class Ring {
  readonly capacity: number;
  readonly whenFull: WhenFull;
  readonly stringBudget: number;
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  private tail = 0;
  private size = 0;
  private flight = 0;
  private evictedFromFlight = 0;
  private readonly strings = new Map<number, string>();
  private stringChars = 0;
  private nextStringKey = 0;
  /** Records held that carry FLAG_STORED. */
  private storedMarks = 0;
  private releasedTotal = 0;

  constructor(capacity: number, whenFull: WhenFull, stringBudget: number) {
    this.capacity = capacity;
    this.whenFull = whenFull;
    this.stringBudget = stringBudget;
    const buffer = new ArrayBuffer(capacity * RECORD_BYTES);
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
  }

  /** Records held, the batch on the wire included. */
  get count(): number {
    return this.size;
  }

  /** Records waiting for a batch. */
  get pending(): number {
    return this.size - this.flight;
  }

  /** Records of the batch on the wire still held (evicted ones are not). */
  get inFlight(): number {
    return this.flight;
  }

  /** Records of the batch on the wire, evicted ones included: what an acknowledgement covers. */
  get flightSize(): number {
    return this.flight + this.evictedFromFlight;
  }

  /** Records not yet settled: those held plus those evicted from the batch on the wire. */
  get unsettled(): number {
    return this.size + this.evictedFromFlight;
  }

  /** Records that have left the ring, from its oldest end: the oldest record's position, which outlives evictions. */
  get released(): number {
    return this.releasedTotal;
  }

  /** Records held that a landing check found stored (FLAG_STORED). */
  get storedHeld(): number {
    return this.storedMarks;
  }

  /** Marks the record `index` places from the oldest as found stored on the server. */
  markStored(index: number): void {
    const word = this.slotOf(index) * 4 + 3;
    if ((this.u32[word] >>> 24) & FLAG_STORED) return;
    this.u32[word] |= FLAG_STORED << 24;
    this.storedMarks++;
  }

  /** Characters of string values held. */
  get stringsHeld(): number {
    return this.stringChars;
  }

  /**
   * Stores one reading. Returns PUSH_STORED, PUSH_DROPPED_ONE when the ring was full and a record
   * (the oldest or this one, by policy) was dropped, or PUSH_REFUSED_STRING when a string value
   * does not fit the string budget. A record evicted from the batch on the wire is not reported
   * here: it is settled with its batch.
   */
  push(variable: number, value: ReadingValue, timeMs: number, flags: number): PushResult {
    const low = timeLow(timeMs);
    const high = timeHigh(timeMs);
    const meta = flags & ~KIND_MASK;
    if (typeof value === "number") return this.pushRaw(variable, value, low, high, meta);
    if (typeof value === "boolean") return this.pushRaw(variable, value ? 1 : 0, low, high, meta | KIND_BOOLEAN);
    const stringLength = codePointLength(value);
    if (this.stringChars + stringLength > this.stringBudget) return PUSH_REFUSED_STRING;
    if (this.size === this.capacity && this.whenFull === "drop-newest") return PUSH_DROPPED_ONE;
    const key = this.nextStringKey;
    this.nextStringKey = (key + 1) % TWO_POW_32;
    this.strings.set(key, value);
    this.stringChars += stringLength;
    return this.pushRaw(variable, key, low, high, meta | KIND_STRING);
  }

  /**
   * Stores a record as it is kept: `raw` the float64 (a number itself, a boolean as 0/1, a
   * string's key), the time split by `timeLow` and `timeHigh`, and `meta` the flags with the kind
   * in the low bits (0: a number). The hot path for numbers; `push` takes any value.
   */
  pushRaw(variable: number, raw: number, low: number, high: number, meta: number): PushResult {
    let result: PushResult = PUSH_STORED;
    if (this.size === this.capacity) {
      if (this.whenFull === "drop-newest") return PUSH_DROPPED_ONE;
      if (this.dropOldest(1) === 1) result = PUSH_DROPPED_ONE;
    }
    let slot = this.tail + this.size;
    if (slot >= this.capacity) slot -= this.capacity;
    this.f64[slot * 2] = raw;
    const u32 = this.u32;
    u32[slot * 4 + 2] = low;
    u32[slot * 4 + 3] = high | (variable << 16) | (meta << 24);
    this.size++;
    return result;
  }

  /**
   * The hot path: stores `values[from]`, `values[from + 1]`... of variables `variables[i]` for as
   * long as each is a finite number and fits without evicting a record; returns the index of the
   * first it did not store (`count` when it stored them all), for `push` to take.
   */
  pushNumbers(variables: readonly number[], values: readonly ReadingValue[], from: number, count: number, low: number, high: number, flags: number): number {
    const capacity = this.capacity;
    const f64 = this.f64;
    const u32 = this.u32;
    const meta = high | ((flags & ~KIND_MASK) << 24);
    let size = this.size;
    let slot = this.tail + size;
    if (slot >= capacity) slot -= capacity;
    let i = from;
    for (; i < count && size < capacity; i++) {
      const value = values[i];
      // NaN and the infinities are the only numbers where x - x is not 0.
      if (typeof value !== "number" || value - value !== 0) break;
      f64[slot * 2] = value;
      u32[slot * 4 + 2] = low;
      u32[slot * 4 + 3] = meta | (variables[i] << 16);
      size++;
      if (++slot === capacity) slot = 0;
    }
    this.size = size;
    return i;
  }

  /** Whether one more record fits without evicting any: a free slot, and room in the string budget. */
  accepts(value: ReadingValue): boolean {
    if (this.size === this.capacity) return false;
    return typeof value !== "string" || this.stringChars + codePointLength(value) <= this.stringBudget;
  }

  /**
   * Evicts the `n` oldest records held. Those of the batch on the wire are settled with that
   * batch; returns how many of the others were dropped now.
   */
  dropOldest(n: number): number {
    let dropped = 0;
    for (let i = 0; i < n && this.size > 0; i++) {
      this.evictOldest();
      if (this.flight > 0) {
        this.flight--;
        this.evictedFromFlight++;
      } else {
        dropped++;
      }
    }
    return dropped;
  }

  /** The slot of the record `index` places from the oldest; walk on with `nextSlot`. */
  slotOf(index: number): number {
    const slot = this.tail + index;
    return slot >= this.capacity ? slot - this.capacity : slot;
  }

  nextSlot(slot: number): number {
    return slot + 1 === this.capacity ? 0 : slot + 1;
  }

  private evictOldest(): void {
    const slot = this.tail;
    const flags = this.flagsIn(slot);
    if (flags & FLAG_STORED) this.storedMarks--;
    if ((flags & KIND_MASK) === KIND_STRING) {
      const key = this.f64[slot * 2];
      const s = this.strings.get(key);
      if (s !== undefined) this.stringChars -= codePointLength(s);
      this.strings.delete(key);
    }
    this.tail = this.nextSlot(slot);
    this.size--;
    this.releasedTotal++;
  }

  variableIn(slot: number): number {
    return (this.u32[slot * 4 + 3] >>> 16) & 0xff;
  }

  flagsIn(slot: number): number {
    return this.u32[slot * 4 + 3] >>> 24;
  }

  timeIn(slot: number): number {
    return (this.u32[slot * 4 + 3] & 0xffff) * TWO_POW_32 + this.u32[slot * 4 + 2];
  }

  /** The value of a number record, without the kind dispatch of `valueIn`. */
  numberIn(slot: number): number {
    return this.f64[slot * 2];
  }

  valueIn(slot: number): ReadingValue {
    const raw = this.f64[slot * 2];
    const kind = this.flagsIn(slot) & KIND_MASK;
    if (kind === KIND_NUMBER) return raw;
    if (kind === KIND_BOOLEAN) return raw !== 0;
    return this.strings.get(raw) as string;
  }

  variableAt(index: number): number {
    return this.variableIn(this.slotOf(index));
  }

  flagsAt(index: number): number {
    return this.flagsIn(this.slotOf(index));
  }

  timeAt(index: number): number {
    return this.timeIn(this.slotOf(index));
  }

  valueAt(index: number): ReadingValue {
    return this.valueIn(this.slotOf(index));
  }

  /** Puts the oldest `n` waiting records on the wire. Only one batch may be on the wire. */
  beginBatch(n: number): void {
    if (this.flightSize !== 0) throw new Error("ring: a batch is already on the wire");
    if (n < 1 || n > this.size) throw new Error(`ring: cannot take ${n} of ${this.size} records`);
    this.flight = n;
  }

  /** The batch was acknowledged: releases it and returns how many records it delivered. */
  acknowledge(): number {
    const delivered = this.flightSize;
    if (this.strings.size === 0 && this.storedMarks === 0) {
      // No string to free and no mark to count: release the whole batch at once.
      this.tail = this.slotOf(this.flight);
      this.size -= this.flight;
      this.releasedTotal += this.flight;
    } else {
      for (let i = 0; i < this.flight; i++) this.evictOldest();
    }
    this.flight = 0;
    this.evictedFromFlight = 0;
    return delivered;
  }

  /** The batch was not acknowledged: it stays; returns how many of it were evicted meanwhile. */
  keepBatch(): number {
    const dropped = this.evictedFromFlight;
    this.flight = 0;
    this.evictedFromFlight = 0;
    return dropped;
  }

  /** The server refused the batch for good: removes it and returns how many records it held. */
  discardBatch(): number {
    return this.acknowledge();
  }
}
