// The RAM ring: readings packed 16 bytes each into one preallocated ArrayBuffer, as five columns
// indexed by slot: the value as a float64 (a boolean as 0/1, a string as its key in the string
// table), the time in milliseconds as its low 32 and high 16 bits, the variable index and the
// flags a byte each. Columns, not records side by side: a producer writes a sample of numbers
// straight into the value and variable columns (`claim`, then `commit`), and its time and flags
// go in with one native fill a column, which on XS costs a few bytecodes, not a loop of stores.
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

/** The value and variable columns, written in place between `claim` and `commit`. */
export interface RingColumns {
  readonly values: Float64Array;
  readonly variables: Uint8Array;
}

/** What a producer of samples sees of the ring. */
export type RingProducer = Pick<Ring, "claim" | "commit" | "columns">;

export class Ring {
  readonly capacity: number;
  readonly whenFull: WhenFull;
  readonly stringBudget: number;
  /** The columns a producer writes between `claim` and `commit`. */
  readonly columns: RingColumns;
  private readonly values: Float64Array;
  private readonly lows: Uint32Array;
  private readonly highs: Uint16Array;
  private readonly variables: Uint8Array;
  private readonly flags: Uint8Array;
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
  /** Records stored through `push`, ever: what `committed` is told apart from, off the hot path. */
  private pushedTotal = 0;

  constructor(capacity: number, whenFull: WhenFull, stringBudget: number) {
    this.capacity = capacity;
    this.whenFull = whenFull;
    this.stringBudget = stringBudget;
    const buffer = new ArrayBuffer(capacity * RECORD_BYTES);
    this.values = new Float64Array(buffer, 0, capacity);
    this.lows = new Uint32Array(buffer, capacity * 8, capacity);
    this.highs = new Uint16Array(buffer, capacity * 12, capacity);
    this.variables = new Uint8Array(buffer, capacity * 14, capacity);
    this.flags = new Uint8Array(buffer, capacity * 15, capacity);
    this.columns = { values: this.values, variables: this.variables };
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

  /** Records stored through `commit`, ever. */
  get committed(): number {
    // Every record that entered has left (released) or is held.
    return this.releasedTotal + this.size - this.pushedTotal;
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
    const slot = this.slotOf(index);
    if (this.flags[slot] & FLAG_STORED) return;
    this.flags[slot] |= FLAG_STORED;
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
    const kindless = flags & ~KIND_MASK;
    if (typeof value === "number") return this.store(variable, value, timeMs, kindless);
    if (typeof value === "boolean") return this.store(variable, value ? 1 : 0, timeMs, kindless | KIND_BOOLEAN);
    const stringLength = codePointLength(value);
    if (this.stringChars + stringLength > this.stringBudget) return PUSH_REFUSED_STRING;
    if (this.size === this.capacity && this.whenFull === "drop-newest") return PUSH_DROPPED_ONE;
    const key = this.nextStringKey;
    this.nextStringKey = (key + 1) % TWO_POW_32;
    this.strings.set(key, value);
    this.stringChars += stringLength;
    return this.store(variable, key, timeMs, kindless | KIND_STRING);
  }

  /** Stores a record as it is kept: `raw` the float64 (a number, a boolean as 0/1, a string's key), `flags` with the kind. */
  private store(variable: number, raw: number, timeMs: number, flags: number): PushResult {
    let result: PushResult = PUSH_STORED;
    if (this.size === this.capacity) {
      if (this.whenFull === "drop-newest") return PUSH_DROPPED_ONE;
      if (this.dropOldest(1) === 1) result = PUSH_DROPPED_ONE;
    }
    const slot = this.slotOf(this.size);
    const low = timeMs % TWO_POW_32;
    this.values[slot] = raw;
    this.lows[slot] = low;
    this.highs[slot] = (timeMs - low) / TWO_POW_32;
    this.variables[slot] = variable;
    this.flags[slot] = flags;
    this.size++;
    this.pushedTotal++;
    return result;
  }

  /**
   * The hot path, claim then commit: the slot from which `n` readings fit without evicting or
   * wrapping past the end of the columns, or -1 (then each reading goes in with `push`). The
   * producer writes reading i, a finite number, at `slot + i` of `columns.values` and its variable
   * at `slot + i` of `columns.variables`, and commits before anything else changes the ring; the
   * slots are free space until then, so a claim may also lapse uncommitted.
   */
  claim(n: number): number {
    const slot = this.tail + this.size;
    // Not wrapped: room up to the end of the columns. Wrapped: up to the oldest record.
    if (slot + n <= this.capacity) return slot;
    return slot >= this.capacity && slot + n <= this.capacity + this.tail ? slot - this.capacity : -1;
  }

  /**
   * Stores the first `n` readings written from `slot`, the slot `claim` gave, stamped `timeMs`
   * (a whole number of milliseconds, below 2^48) with `flags` (no kind bits: they are numbers).
   * Returns the records then waiting for a batch.
   */
  commit(slot: number, n: number, timeMs: number, flags: number): number {
    const end = slot + n;
    // The columns' own conversions split the time: a Uint32Array keeps it modulo 2^32, a
    // Uint16Array the whole part of its quotient by 2^32.
    this.lows.fill(timeMs, slot, end);
    this.highs.fill(timeMs / TWO_POW_32, slot, end);
    this.flags.fill(flags, slot, end);
    this.size += n;
    return this.size - this.flight;
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
    const flags = this.flags[slot];
    if (flags & FLAG_STORED) this.storedMarks--;
    if ((flags & KIND_MASK) === KIND_STRING) {
      const key = this.values[slot];
      const s = this.strings.get(key);
      if (s !== undefined) this.stringChars -= codePointLength(s);
      this.strings.delete(key);
    }
    this.tail = this.nextSlot(slot);
    this.size--;
    this.releasedTotal++;
  }

  variableIn(slot: number): number {
    return this.variables[slot];
  }

  flagsIn(slot: number): number {
    return this.flags[slot];
  }

  timeIn(slot: number): number {
    return this.highs[slot] * TWO_POW_32 + this.lows[slot];
  }

  /** The value of a number record, without the kind dispatch of `valueIn`. */
  numberIn(slot: number): number {
    return this.values[slot];
  }

  valueIn(slot: number): ReadingValue {
    const raw = this.values[slot];
    const kind = this.flags[slot] & KIND_MASK;
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
