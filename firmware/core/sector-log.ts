// A log of byte records (frames) over the Flash port, in a ring of sectors; what the frames hold is
// its owner's business (a FrameFormat parses them). Every sector opens with a header (frame.ts): its
// erase count, its generation (consecutive along the log) and two numbers the owner gives when it
// opens the sector. Frames are appended at the head and never rewritten. One erased sector, the
// spare, is always kept ahead of the head, so the sectors are erased in turn and wear evenly.
// When full: opening a sector retires the oldest; whether it may is the owner's call (`full`).
// Failing: a power cut costs at most the bytes being written; reading skips garbage and counts it;
// a sector whose header rotted is still read, and takes the place in the log its neighbours give it.

import type { Flash } from "../ports.js";
import { encodeErased, encodeOpened, frameLength, type FrameFormat, HEADER_BYTES, isErased, parseHeader, PHASE_TWO, type SectorHeader } from "./frame.js";

/** Must be erased before use: damaged, blank, or no longer part of the log. */
const DIRTY = 0;
/** Erased, its erase count written: ready to open. */
const SPARE = 1;
/** Part of the log. */
const OPEN = 2;

export interface Scan {
  /** Where the sector's frames end: erased from there on, or the sector's size. */
  end: number;
  /** Torn or corrupt frames skipped. */
  corrupt: number;
}

/** A reader's place in the log: a sector, an offset in it and the frame found there. */
export class LogCursor<F> {
  sector = -1;
  offset = 0;
  frame: F | undefined = undefined;

  moveTo(sector: number): void {
    this.sector = sector;
    this.offset = HEADER_BYTES;
    this.frame = undefined;
  }

  /** Moves past the frame it holds. */
  pass(length: number): void {
    this.offset += length;
    this.frame = undefined;
  }
}

export class SectorLog<F extends { length: number }> {
  readonly size: number;
  readonly sectors: number;
  /** The newest sector, where frames are appended, and the oldest; -1 while there is none. */
  head = -1;
  tail = -1;
  /** Flash bytes written and sectors erased in this boot. */
  bytesWritten = 0;
  erased = 0;
  private readonly flash: Flash;
  private readonly format: FrameFormat<F>;
  private readonly state: Uint8Array;
  private readonly generation: Float64Array;
  private readonly erases: Float64Array;
  /** Where a sector's frames end: the head's next append goes there; the sector size once closed. */
  private readonly ends: Uint32Array;

  constructor(flash: Flash, format: FrameFormat<F>) {
    this.flash = flash;
    this.format = format;
    this.size = flash.sectorSize;
    this.sectors = flash.sectorCount;
    const n = this.sectors;
    this.state = new Uint8Array(n);
    this.generation = new Float64Array(n);
    this.erases = new Float64Array(n);
    this.ends = new Uint32Array(n);
  }

  /** The most erases of any sector, over the flash's life. */
  mostErases(): number {
    let most = 0;
    for (let s = 0; s < this.sectors; s++) if (this.erases[s] > most) most = this.erases[s];
    return most;
  }

  isOpen(s: number): boolean {
    return this.state[s] === OPEN;
  }

  /** Where sector `s`'s frames end. */
  end(s: number): number {
    return this.ends[s];
  }

  /** Sets where sector `s`'s frames end, as a snapshot of the log says (journal-resume.ts). */
  setEnd(s: number, end: number): void {
    this.ends[s] = end;
  }

  generationOf(s: number): number {
    return this.generation[s];
  }

  /** True when `length` bytes of sector `s` from `offset` are erased. */
  erasedAt(s: number, offset: number, length: number): boolean {
    return isErased(this.flash.read(s * this.size + offset, length), 0, length);
  }

  /** True when opening a sector would retire the oldest: the one after the spare is in the log. */
  get full(): boolean {
    return this.state[(this.head + 2) % this.sectors] === OPEN;
  }

  // ---- writing ----

  /** True when `length` more bytes fit the head. */
  hasRoom(length: number): boolean {
    return this.head >= 0 && this.ends[this.head] + length <= this.size;
  }

  /** Appends a frame at the head, which must have room for it. */
  append(bytes: Uint8Array): void {
    this.write(this.head, this.ends[this.head], bytes);
    this.ends[this.head] += bytes.length;
  }

  /** Appends no more to the head: what it holds stays. */
  closeHead(): void {
    this.ends[this.head] = this.size;
  }

  /**
   * Opens the spare as the head, its header keeping the owner's `floor` and `schema`; the first
   * sector opened is the tail too. The sector after it is then the owner's to retire (when `full`)
   * and `prepareSpare`.
   */
  open(floor: number, schema: number): void {
    const next = (this.head + 1) % this.sectors;
    const generation = this.head >= 0 ? this.generation[this.head] + 1 : 0;
    this.write(next, PHASE_TWO, encodeOpened(generation, floor, schema));
    this.state[next] = OPEN;
    this.generation[next] = generation;
    this.head = next;
    if (this.tail < 0) this.tail = next;
  }

  /** The oldest sector leaves the log, to be erased. */
  retire(): void {
    this.state[this.tail] = DIRTY;
    this.tail = (this.tail + 1) % this.sectors;
  }

  /** Makes the sector after the head the spare, unless it is: erased, its header's first half written. */
  prepareSpare(): void {
    const s = (this.head + 1) % this.sectors;
    if (this.state[s] === SPARE) return;
    this.state[s] = DIRTY;
    this.flash.erase(s);
    this.erased++;
    this.erases[s]++;
    this.write(s, 0, encodeErased(this.erases[s]));
    this.state[s] = SPARE;
    this.ends[s] = HEADER_BYTES;
    this.generation[s] = -1;
  }

  private write(sector: number, offset: number, bytes: Uint8Array): void {
    this.flash.write(sector * this.size + offset, bytes);
    this.bytesWritten += bytes.length;
  }

  // ---- reading ----

  /** Walks sector `s`'s frames in order, getting past garbage: the one parse that boot and reader share. */
  scan(s: number, visit: (frame: F) => void): Scan {
    const b = this.flash.read(s * this.size, this.size);
    const size = this.size;
    let at = HEADER_BYTES;
    let corrupt = 0;
    while (at < size) {
      if (b[at] === 0xff && isErased(b, at, size)) return { end: at, corrupt };
      const frame = this.format.parse(b, at, size);
      if (frame !== undefined) {
        visit(frame);
        at += frame.length;
        continue;
      }
      corrupt++;
      const next = this.format.find(b, at + 1, size);
      if (next < 0) return { end: size, corrupt };
      at = next;
    }
    return { end: size, corrupt };
  }

  /** The frame sector `s` opens with, or undefined. */
  firstFrame(s: number): F | undefined {
    const at = s * this.size + HEADER_BYTES;
    const length = frameLength(this.flash.read(at, 3), 0);
    if (length < this.format.minBytes || length > this.size - HEADER_BYTES) return undefined;
    return this.format.parse(this.flash.read(at, length), 0, length);
  }

  /**
   * Reads the frame at the cursor into its `frame` or, past garbage, the next valid one in its
   * sector (as `scan` would), moving the cursor there; with none, to the sector's end.
   */
  read(c: LogCursor<F>): F | undefined {
    const base = c.sector * this.size;
    const offset = c.offset;
    const limit = this.ends[c.sector];
    c.frame = undefined;
    if (limit - offset >= this.format.minBytes) {
      const length = frameLength(this.flash.read(base + offset, 3), 0);
      if (length >= this.format.minBytes && length <= limit - offset) {
        c.frame = this.format.parse(this.flash.read(base + offset, length), 0, length);
        if (c.frame !== undefined) return c.frame;
      }
      const rest = this.flash.read(base + offset, limit - offset);
      const at = this.format.find(rest, 1, rest.length);
      if (at >= 0) {
        c.offset = offset + at;
        c.frame = this.format.parse(rest, at, rest.length);
        return c.frame;
      }
    }
    c.offset = limit;
    return undefined;
  }

  // ---- boot ----

  /**
   * Reads every sector's header; the head is the opened sector of the newest generation. An erase
   * count a damaged header lost is taken as the most any sector has had. Returns the headers.
   */
  mount(): SectorHeader[] {
    const headers: SectorHeader[] = [];
    let mostErases = 0;
    this.head = -1;
    this.tail = -1;
    for (let s = 0; s < this.sectors; s++) {
      const h = parseHeader(this.flash.read(s * this.size, HEADER_BYTES));
      headers.push(h);
      this.state[s] = h.state === "open" ? OPEN : h.state === "spare" ? SPARE : DIRTY;
      this.erases[s] = h.erases;
      this.generation[s] = h.generation;
      this.ends[s] = HEADER_BYTES;
      if (h.erases > mostErases) mostErases = h.erases;
      if (this.state[s] === OPEN && (this.head < 0 || h.generation > this.generation[this.head])) this.head = s;
    }
    for (let s = 0; s < this.sectors; s++) if (this.erases[s] < 0) this.erases[s] = mostErases;
    return headers;
  }

  /**
   * Takes the log as a snapshot describes it instead of reading every header (journal-resume.ts):
   * the sectors from `tail` to `head` open, generations consecutive up to `headGeneration`, the
   * one after the head the spare, the others to be erased before use; each sector's erase count.
   */
  adopt(tail: number, head: number, headGeneration: number, erases: ArrayLike<number>): void {
    const n = this.sectors;
    // Filled whole, then the few sectors of the log walked: a wake resumes this way every time.
    this.state.fill(DIRTY);
    this.generation.fill(-1);
    this.ends.fill(HEADER_BYTES);
    this.erases.set(erases);
    for (let s = head, back = 0, length = (head - tail + n) % n; back <= length; back++, s = (s - 1 + n) % n) {
      this.state[s] = OPEN;
      this.generation[s] = headGeneration - back;
    }
    this.state[(head + 1) % n] = SPARE;
    this.head = head;
    this.tail = tail;
  }

  /** Sector `s`'s header as it is on flash. */
  header(s: number): SectorHeader {
    return parseHeader(this.flash.read(s * this.size, HEADER_BYTES));
  }

  /** The erase count of every sector (their headers' as of `mount`, and erases since). */
  eraseCounts(): ArrayLike<number> {
    return this.erases;
  }

  /** Makes sector `s`, whose header rotted after it was opened, the head: a generation past the last. */
  adoptHead(s: number): void {
    this.state[s] = OPEN;
    this.generation[s] = this.head >= 0 ? this.generation[this.head] + 1 : 0;
    this.head = s;
  }

  /**
   * Finds the log behind the head: the sectors before it, generations consecutive, a `damaged`
   * header taking the generation its place gives it. Any other opened sector leaves the log.
   * Returns its length in sectors.
   */
  findLog(damaged: Uint8Array): number {
    const n = this.sectors;
    const spare = (this.head + 1) % n;
    let length = 1;
    this.tail = this.head;
    while (length < n) {
      const p = (this.tail + n - 1) % n;
      const generation = this.generation[this.tail] - 1;
      // Not in the spare's place: what a torn erase left there is no part of the log.
      if (damaged[p] !== 0 && this.state[p] === DIRTY && p !== spare) {
        this.state[p] = OPEN;
        this.generation[p] = generation;
      }
      if (this.state[p] !== OPEN || this.generation[p] !== generation) break;
      this.tail = p;
      length++;
    }
    for (let s = 0; s < n; s++) {
      if (this.state[s] === OPEN && (s - this.tail + n) % n >= length) this.state[s] = DIRTY;
    }
    return length;
  }

  /** Scans log sector `s` at boot, noting where its frames end (the head's appends go on there). */
  mountSector(s: number, visit: (frame: F) => void): number {
    const scan = this.scan(s, visit);
    this.ends[s] = scan.end;
    return scan.corrupt;
  }
}
