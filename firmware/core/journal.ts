// The flash journal: an append-only log of readings over the Flash port, in a ring of sectors.
// Each sample is appended at the head as one CRC-checked frame; after an acknowledgement a small
// release frame says "every reading before seq F is settled" (records are never rewritten). At
// boot, recovery reads every sector, orders the live ones by generation, skips torn or corrupt
// frames (counting them) and finds the unreleased readings; a reader then hands them out, oldest
// first, to the RAM ring in front. One erased sector is always kept ahead of the writer, so the
// sectors are erased in turn and wear evenly.
// When full: "drop-oldest" erases the oldest sector and reports its unreleased readings dropped,
// once the header of the sector being opened records a floor past them (so a torn erase cannot
// bring them back); "drop-newest" refuses new readings until releases free that sector.
// A power cut costs at most the frame being written: every frame whose append returned survives.
// A sector whose header rotted is still read (its frames carry their own CRC). Readings missing
// from the run of sequence numbers at boot, or whose frame rots after it, are reported dropped as
// corrupt; only a rotted last frame cannot be told from a torn append.
// Every sector opens with a frame listing the variables (names and units) its readings index, so
// readings taken under an earlier variable list are handed out with that list, to be sent under
// the names they were taken with. A sector whose list frame rotted takes the list from any other
// sector with the same id (its header's schema); with none left, its readings are dropped as corrupt.

import type { Flash } from "../ports.js";
import type { WhenFull } from "./config.js";
import { encodeErased, encodeOpened, HEADER_BYTES, isErased, maxFrameBytes, parseHeader, PHASE_TWO } from "./frame.js";
import { HandedOut } from "./handed-out.js";
import {
  DATA_OVERHEAD,
  encodeData,
  encodeList,
  encodeRelease,
  findFrame,
  listId,
  MIN_FRAME,
  parseFrame,
  readingBytes,
  RELEASE_BYTES,
  STRING_OVERHEAD,
  type Frame,
} from "./reading-frame.js";
import { FLAG_NO_TIME, FLAG_UPTIME, type ReadingValue } from "./ring.js";
import type { Variable } from "./variables.js";

/** Must be erased before use: damaged, blank, or no longer part of the log. */
const DIRTY = 0;
/** Erased, its erase count written: ready to open. */
const SPARE = 1;
/** Part of the log. */
const OPEN = 2;

/** The least flash a journal works on: this many sectors, of this many bytes. */
export const MIN_SECTORS = 3;
export const MIN_SECTOR_BYTES = 256;
/**
 * The time given to a previous boot's uptime reading: no clock can place it any more, so it is
 * sent without one, and this (never a real uptime) keeps its group apart from this boot's.
 */
const OLD_UPTIME_BASE = 2 ** 47;

export interface JournalReading {
  /** The variable list the reading was journaled under: 0 for this boot's, else see `variablesOf`. */
  list: number;
  /** Its index in that list. */
  variable: number;
  value: ReadingValue;
  time: number;
  flags: number;
}

export interface JournalOptions {
  whenFull: WhenFull;
  /** The variables this boot's readings index. */
  variables: readonly Variable[];
  /**
   * Unreleased readings were dropped, to make room (drop-oldest) or, when `corrupt`, because they
   * rotted on flash: `loaded` of them were the oldest handed out by `take`, `unloaded` had not been.
   */
  onDrop(loaded: number, unloaded: number, corrupt: boolean): void;
}

export interface JournalStats {
  sectors: number;
  /** Unreleased readings in the journal. */
  held: number;
  /** Unreleased readings found at boot. */
  recovered: number;
  /** Torn or corrupt frames skipped at boot. */
  corruptSkipped: number;
  /** Unreleased readings found unreadable at boot (among `recovered`, reported dropped as corrupt). */
  corruptLost: number;
  /** Sectors whose header was damaged at boot (their frames were read all the same). */
  damagedHeaders: number;
  /** Unreleased readings found at boot under another variable list (among `recovered`, sent under their own names). */
  foreign: number;
  /** Readings a full-journal drop was removing when a power cut stopped it (0 otherwise). */
  dropping: number;
  /** Flash bytes written and sectors erased in this boot. */
  bytesWritten: number;
  erases: number;
}

/** What keeps `flash` from holding a journal, naming the setting to change; empty when it can. */
export function journalProblems(
  flash: Pick<Flash, "sectorCount" | "sectorSize">,
  maxStringLength: number,
  variables: readonly Variable[],
): string[] {
  const size = flash.sectorSize;
  if (flash.sectorCount < MIN_SECTORS || size < MIN_SECTOR_BYTES) {
    return [
      `journal: the flash partition has ${flash.sectorCount} sectors of ${size} bytes; the journal needs at least ${MIN_SECTORS} of ${MIN_SECTOR_BYTES} (or set journal=false)`,
    ];
  }
  const list = encodeList(variables).length;
  const room = dataRoom(size, list);
  // Room for one reading of a float, the largest number.
  if (room < DATA_OVERHEAD + 10) {
    return [
      `variables: the list of ${variables.length} variables takes ${list} bytes at the start of every ${size}-byte journal sector, leaving no room for readings; use fewer or shorter names and units, or set journal=false`,
    ];
  }
  // A character takes at most 4 bytes of UTF-8, and one reading must fit one frame.
  const most = Math.floor((room - DATA_OVERHEAD - STRING_OVERHEAD) / 4);
  if (maxStringLength > most) {
    return [
      `maxStringLength: ${maxStringLength} characters may not fit one journal frame beside the variable list in a ${size}-byte flash sector (at most ${most}); lower it or set journal=false`,
    ];
  }
  return [];
}

/** The largest data frame a sector holds after its header and its list frame of `listBytes`. */
function dataRoom(sectorSize: number, listBytes: number): number {
  return maxFrameBytes(sectorSize) - listBytes;
}

interface ScanResult {
  /** Where the sector's frames end: erased from there on, or the sector's size. */
  end: number;
  corrupt: number;
}

/** Walks a sector's frames in order, getting past garbage; the one parse that boot and reader share. */
function scanSector(b: Uint8Array, visit: (frame: Frame) => void): ScanResult {
  const size = b.length;
  let at = HEADER_BYTES;
  let corrupt = 0;
  while (at < size) {
    if (b[at] === 0xff && isErased(b, at, size)) return { end: at, corrupt };
    const frame = parseFrame(b, at, size);
    if (frame !== undefined) {
      visit(frame);
      at += frame.length;
      continue;
    }
    corrupt++;
    const next = findFrame(b, at + 1, size);
    if (next < 0) return { end: size, corrupt };
    at = next;
  }
  return { end: size, corrupt };
}

export class Journal {
  private readonly flash: Flash;
  private readonly options: JournalOptions;
  /** This boot's list frame, written first into every sector it opens. */
  private readonly listFrame: Uint8Array;
  /** Its id, kept in every sector's header. */
  private readonly schema: number;
  /** The variable lists readings are handed out with: this boot's first, then those recovered. */
  private readonly lists: Array<readonly Variable[]>;
  /** Each sector's list, an index into `lists`; -1 when its list is lost. */
  private readonly listOf: Int32Array;
  private readonly size: number;
  private readonly sectors: number;
  private readonly maxFrame: number;
  private readonly state: Uint8Array;
  private readonly generation: Float64Array;
  private readonly erases: Float64Array;
  /** Where a sector's frames end: the head's next append goes there; the sector size once closed. */
  private readonly end: Uint32Array;
  private readonly count: Uint32Array;
  /** One past the seq of a sector's last reading, 0 when it holds none. */
  private readonly last: Float64Array;
  private head = -1;
  private tail = -1;
  private lastGeneration = -1;
  private nextSeq = 0;
  /** Every reading before this seq is settled. */
  private floor = 0;
  /** The greatest floor on flash, in a release frame or a header. */
  private durableFloor = 0;
  /** Readings before this seq were journaled by an earlier boot. */
  private readonly bootSeq: number;
  private readonly handedOut = new HandedOut();
  private unloadedCount = 0;
  private readSector = -1;
  private readOffset = 0;
  private readIndex = 0;
  private readFrame: Frame | undefined;
  /** One past the last reading the reader passed: a frame further on means those between rotted. */
  private readExpect = 0;
  /** Seq ranges found missing at boot, and counted then: from, to, from, to... */
  private readonly bootGaps: number[] = [];
  private recoveredCount = 0;
  private corrupt = 0;
  private corruptLost = 0;
  private damagedHeaders = 0;
  private foreign = 0;
  private dropping = 0;
  private bytesWritten = 0;
  private erasedCount = 0;

  /** Recovers the journal on `flash` (see `journalProblems` for what it must offer). */
  constructor(flash: Flash, options: JournalOptions) {
    this.flash = flash;
    this.options = options;
    this.size = flash.sectorSize;
    this.sectors = flash.sectorCount;
    this.listFrame = encodeList(options.variables);
    this.schema = listId(this.listFrame);
    this.lists = [options.variables];
    this.maxFrame = dataRoom(this.size, this.listFrame.length);
    const n = this.sectors;
    this.listOf = new Int32Array(n);
    this.state = new Uint8Array(n);
    this.generation = new Float64Array(n);
    this.erases = new Float64Array(n);
    this.end = new Uint32Array(n);
    this.count = new Uint32Array(n);
    this.last = new Float64Array(n);
    this.recover();
    this.bootSeq = this.nextSeq;
  }

  /** Unreleased readings found at boot. */
  get recovered(): number {
    return this.recoveredCount;
  }

  /** The variables of list `list` (see JournalReading). */
  variablesOf(list: number): readonly Variable[] {
    return this.lists[list];
  }

  /** Unreleased readings on flash not yet handed out by `take`. */
  get waiting(): number {
    return this.unloadedCount;
  }

  stats(): JournalStats {
    return {
      sectors: this.sectors,
      held: this.handedOut.count + this.unloadedCount,
      recovered: this.recoveredCount,
      corruptSkipped: this.corrupt,
      corruptLost: this.corruptLost,
      damagedHeaders: this.damagedHeaders,
      foreign: this.foreign,
      dropping: this.dropping,
      bytesWritten: this.bytesWritten,
      erases: this.erasedCount,
    };
  }

  /**
   * Journals one sample's readings: one frame, or more when they do not fit one sector. Returns
   * how many, from the first, were stored: fewer only under drop-newest when the journal is full.
   */
  append(variables: readonly number[], values: readonly ReadingValue[], time: number, flags: number): number {
    let from = 0;
    while (from < values.length) {
      let bytes = DATA_OVERHEAD + readingBytes(values[from]);
      let to = from + 1;
      for (; to < values.length; to++) {
        const more = readingBytes(values[to]);
        if (bytes + more > this.maxFrame) break;
        bytes += more;
      }
      if (bytes > this.maxFrame) throw new RangeError(`journal: a reading of ${bytes} bytes does not fit a frame`);
      if (!this.reserve(bytes)) return from;
      this.writeHead(encodeData(this.nextSeq, time, flags, variables, values, from, to));
      this.count[this.head] += to - from;
      this.nextSeq += to - from;
      this.last[this.head] = this.nextSeq;
      this.unloadedCount += to - from;
      from = to;
    }
    return from;
  }

  /** The oldest unreleased reading not yet handed out, or undefined when there is none. */
  peek(): JournalReading | undefined {
    if (this.unloadedCount === 0) return undefined;
    for (;;) {
      const frame = this.currentFrame();
      if (frame === undefined) {
        // The newest frames rotted on flash after boot: what cannot be read any more is dropped, counted.
        const unreadable = this.unloadedCount;
        this.unloadedCount = 0;
        this.readExpect = this.nextSeq;
        this.corrupt++;
        this.options.onDrop(0, unreadable, true);
        return undefined;
      }
      if (this.readIndex >= frame.values.length) {
        this.readOffset += frame.length;
        this.readFrame = undefined;
        continue;
      }
      const seq = frame.seq + this.readIndex;
      if (seq < this.floor) {
        this.readIndex++;
        continue;
      }
      let flags = frame.flags;
      let time = frame.time;
      if (seq < this.bootSeq && flags & FLAG_UPTIME) {
        flags = (flags & ~FLAG_UPTIME) | FLAG_NO_TIME;
        time = OLD_UPTIME_BASE + frame.seq;
      }
      return { list: this.listOf[this.readSector], variable: frame.variables[this.readIndex], value: frame.values[this.readIndex], time, flags };
    }
  }

  /** Hands out the reading `peek` just showed: it now waits in the ring for its release. */
  take(): void {
    const frame = this.readFrame;
    if (this.unloadedCount === 0 || frame === undefined || this.readIndex >= frame.values.length) {
      throw new Error("journal: take without a reading shown by peek");
    }
    this.handedOut.add(frame.seq + this.readIndex);
    this.readIndex++;
    this.unloadedCount--;
  }

  /**
   * The oldest `n` readings handed out are settled for good (delivered, or refused by the
   * server): a release frame records it, unless a header already does.
   */
  release(n: number): void {
    if (n <= 0) return;
    const floor = this.handedOut.settle(n);
    if (floor > this.floor) this.floor = floor;
    // When the head is full and drop-newest cannot make room, the next header or release carries it.
    // A header that just took the floor gets the release frame all the same: were that header to
    // rot, the frame keeps these readings released.
    if (this.floor <= this.durableFloor || !this.reserve(RELEASE_BYTES)) return;
    this.writeHead(encodeRelease(this.floor));
    this.durableFloor = this.floor;
  }

  // ---- writing ----

  private write(sector: number, offset: number, bytes: Uint8Array): void {
    this.flash.write(sector * this.size + offset, bytes);
    this.bytesWritten += bytes.length;
  }

  private writeHead(bytes: Uint8Array): void {
    this.write(this.head, this.end[this.head], bytes);
    this.end[this.head] += bytes.length;
  }

  /** Makes room for `length` bytes at the head, opening the next sector if need be. */
  private reserve(length: number): boolean {
    if (this.head >= 0 && this.end[this.head] + length <= this.size) return true;
    return this.advance();
  }

  /** Erases a sector and writes the first half of its header: it becomes the spare. */
  private prepare(s: number): void {
    this.state[s] = DIRTY;
    this.flash.erase(s);
    this.erasedCount++;
    this.erases[s]++;
    this.write(s, 0, encodeErased(this.erases[s]));
    this.state[s] = SPARE;
    this.end[s] = HEADER_BYTES;
    this.count[s] = 0;
    this.last[s] = 0;
    this.generation[s] = -1;
  }

  /**
   * Opens the spare after the head and prepares the sector after it as the new spare. When that
   * sector is the oldest and still holds unreleased readings, the journal is full: drop-oldest
   * drops them, drop-newest refuses (returns false, nothing changed).
   */
  private advance(): boolean {
    const n = this.sectors;
    const next = (this.head + 1) % n;
    const after = (next + 1) % n;
    const full = this.state[after] === OPEN;
    let floor = this.floor;
    let loaded = 0;
    let unloaded = 0;
    if (full) {
      floor = Math.max(floor, this.last[after]);
      loaded = this.handedOut.below(floor, false);
      if (this.readSector === after) unloaded = Math.max(0, this.unloadedCount - this.countAfter(after));
      if (loaded + unloaded > 0 && this.options.whenFull === "drop-newest") return false;
    }
    this.dropping = loaded + unloaded;
    const generation = this.lastGeneration + 1;
    this.write(next, PHASE_TWO, encodeOpened(generation, floor, this.schema));
    this.lastGeneration = generation;
    this.durableFloor = floor;
    this.state[next] = OPEN;
    this.generation[next] = generation;
    this.listOf[next] = 0;
    this.head = next;
    this.writeHead(this.listFrame);
    if (this.tail < 0) {
      this.tail = next;
      this.moveReader(next);
    }
    if (full) {
      this.floor = floor;
      this.state[after] = DIRTY;
      this.tail = (after + 1) % n;
      this.handedOut.below(floor, true);
      this.unloadedCount -= unloaded;
      if (this.readSector === after) this.moveReader(this.tail);
      this.dropping = 0;
      if (loaded + unloaded > 0) this.options.onDrop(loaded, unloaded, false);
    }
    if (this.state[after] !== SPARE) this.prepare(after);
    return true;
  }

  /** Readings in the sectors after `s`, up to the head. */
  private countAfter(s: number): number {
    let total = 0;
    for (let x = s; x !== this.head; ) {
      x = (x + 1) % this.sectors;
      total += this.count[x];
    }
    return total;
  }

  // ---- reading ----

  private moveReader(s: number): void {
    this.readSector = s;
    this.readOffset = HEADER_BYTES;
    this.readIndex = 0;
    this.readFrame = undefined;
  }

  /** The frame at the reader's position, moving over garbage and into the next sector as needed. */
  private currentFrame(): Frame | undefined {
    for (;;) {
      if (this.readFrame !== undefined) return this.readFrame;
      const s = this.readSector;
      if (s < 0) return undefined;
      // A sector whose list is lost holds nothing to hand out: its readings were counted at boot.
      if (this.readOffset >= this.end[s] || this.listOf[s] < 0) {
        if (s === this.head) return undefined;
        this.moveReader((s + 1) % this.sectors);
        continue;
      }
      this.readOffset = this.frameAt(s, this.readOffset);
      this.readIndex = 0;
      const frame = this.readFrame as Frame | undefined; // set by frameAt
      if (frame === undefined) this.readOffset = this.end[s];
      else if (frame.kind === "data") this.passTo(frame);
    }
  }

  /** The reader meets a data frame: the unreleased readings it skipped to get there rotted after boot. */
  private passTo(frame: Frame): void {
    const from = Math.max(this.readExpect, this.floor);
    const lost = Math.min(this.unloadedCount, frame.seq - from - this.missingAtBoot(from, frame.seq));
    this.readExpect = Math.max(this.readExpect, frame.seq + frame.values.length);
    if (lost <= 0) return;
    this.unloadedCount -= lost;
    this.corrupt++;
    this.options.onDrop(0, lost, true);
  }

  /** How many seqs in [from, to) were found missing at boot. */
  private missingAtBoot(from: number, to: number): number {
    let total = 0;
    const gaps = this.bootGaps;
    for (let i = 0; i < gaps.length; i += 2) total += Math.max(0, Math.min(to, gaps[i + 1]) - Math.max(from, gaps[i]));
    return total;
  }

  /**
   * Parses the frame at `offset` in sector `s` into readFrame or, past garbage, the next valid one
   * (as scanSector would); returns where it starts.
   */
  private frameAt(s: number, offset: number): number {
    const base = s * this.size;
    const limit = this.end[s];
    this.readFrame = undefined;
    if (limit - offset < MIN_FRAME) return offset;
    const head = this.flash.read(base + offset, 3);
    const length = head[1] | (head[2] << 8);
    if (length >= MIN_FRAME && length <= limit - offset) {
      this.readFrame = parseFrame(this.flash.read(base + offset, length), 0, length);
      if (this.readFrame !== undefined) return offset;
    }
    const rest = this.flash.read(base + offset, limit - offset);
    const at = findFrame(rest, 1, rest.length);
    if (at < 0) return offset;
    this.readFrame = parseFrame(rest, at, rest.length);
    return offset + at;
  }

  // ---- recovery ----

  private recover(): void {
    const n = this.sectors;
    const floors = new Float64Array(n);
    const schemas = new Float64Array(n);
    const damaged = new Uint8Array(n);
    let mostErases = 0;
    for (let s = 0; s < n; s++) {
      const h = parseHeader(this.flash.read(s * this.size, HEADER_BYTES));
      this.state[s] = h.state === "open" ? OPEN : h.state === "spare" ? SPARE : DIRTY;
      damaged[s] = h.state === "dirty" ? 1 : 0;
      this.damagedHeaders += damaged[s];
      this.erases[s] = h.erases;
      this.generation[s] = h.generation;
      this.end[s] = HEADER_BYTES;
      floors[s] = h.floor;
      schemas[s] = h.schema;
      if (h.erases > mostErases) mostErases = h.erases;
      if (this.state[s] === OPEN && (this.head < 0 || h.generation > this.generation[this.head])) this.head = s;
    }
    // An erase count a damaged header lost: assume the most any sector has had.
    for (let s = 0; s < n; s++) if (this.erases[s] < 0) this.erases[s] = mostErases;

    this.adoptDamagedHead(floors, damaged);
    const held = new Float64Array(n);
    if (this.head >= 0) this.recoverLog(floors, schemas, damaged, held);
    this.lastGeneration = this.head >= 0 ? this.generation[this.head] : -1;

    const next = (this.head + 1) % n;
    let dropped = 0;
    if (this.state[next] === OPEN) {
      // Only a torn erase leaves the oldest sector right after the head (its readings under the
      // head's floor): it becomes the spare again.
      dropped = held[next];
      this.floor = Math.max(this.floor, this.last[next]);
      this.tail = (next + 1) % n;
      held[next] = 0;
    }
    if (this.state[next] !== SPARE) this.prepare(next);

    this.readSector = this.head;
    this.readOffset = this.head >= 0 ? this.end[this.head] : 0;
    if (this.head >= 0) {
      for (let s = this.head, i = 0; i < n; i++, s = (s + n - 1) % n) {
        this.unloadedCount += held[s];
        if (held[s] > 0) this.moveReader(s);
        if (s === this.tail) break;
      }
    }
    this.readExpect = this.floor;
    this.recoveredCount = this.unloadedCount + dropped + this.corruptLost;
    if (dropped > 0) this.options.onDrop(0, dropped, false);
    if (this.corruptLost > 0) this.options.onDrop(0, this.corruptLost, true);
  }

  /**
   * A head whose header rotted after it was opened: the damaged sector right after the newest valid
   * header (with none, the damaged sector with the newest frames) holding a frame past that header's
   * floor, which nothing older there (what a torn erase left) can.
   */
  private adoptDamagedHead(floors: Float64Array, damaged: Uint8Array): void {
    const n = this.sectors;
    let best = -1;
    let newest = this.head >= 0 ? floors[this.head] : 0;
    for (let s = 0; s < n; s++) {
      if (damaged[s] === 0 || (this.head >= 0 && s !== (this.head + 1) % n)) continue;
      let seq = 0;
      scanSector(this.flash.read(s * this.size, this.size), (frame) => {
        seq = Math.max(seq, frame.kind === "release" ? frame.seq : frame.seq + frame.values.length);
      });
      if (seq > newest) {
        best = s;
        newest = seq;
      }
    }
    if (best < 0) return;
    this.state[best] = OPEN;
    this.generation[best] = this.head >= 0 ? this.generation[this.head] + 1 : 0;
    this.head = best;
  }

  /**
   * Finds the log (the head and the sectors before it, generations consecutive, a damaged header
   * taking the generation its place gives it) and reads it.
   */
  private recoverLog(floors: Float64Array, schemas: Float64Array, damaged: Uint8Array, held: Float64Array): void {
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
    const own = this.resolveLists(schemas, damaged, length);

    const first = new Float64Array(n).fill(-1);
    let floor = 0;
    let expect = 0;
    for (let i = 0, s = this.tail; i < length; i++, s = (s + 1) % n) {
      floor = Math.max(floor, floors[s]);
      const gapsBefore = this.bootGaps.length;
      const expectBefore = expect;
      let widest = -1;
      const scan = scanSector(this.flash.read(s * this.size, this.size), (frame) => {
        if (frame.kind === "release") floor = Math.max(floor, frame.seq);
        if (frame.kind !== "data") return;
        if (first[s] < 0) first[s] = frame.seq;
        // Sequence numbers run without gaps: those missing before a frame rotted (or were released).
        if (frame.seq > expect) this.bootGaps.push(expect, frame.seq);
        expect = Math.max(expect, frame.seq + frame.values.length);
        this.count[s] += frame.values.length;
        this.last[s] = Math.max(this.last[s], frame.seq + frame.values.length);
        for (let j = 0; j < frame.variables.length; j++) widest = Math.max(widest, frame.variables[j]);
      });
      this.end[s] = scan.end;
      this.corrupt += scan.corrupt;
      this.nextSeq = Math.max(this.nextSeq, this.last[s]);
      if (widest >= (this.listOf[s] < 0 ? 0 : this.lists[this.listOf[s]].length)) {
        // No list names these readings (lost, or not theirs): every seq up to the sector's last is missing.
        this.listOf[s] = -1;
        this.count[s] = 0;
        this.bootGaps.length = gapsBefore;
        if (this.last[s] > expectBefore) this.bootGaps.push(expectBefore, this.last[s]);
      }
    }
    // Appending to a sector under another list, or one without its own list frame, would muddle
    // it: close it. (A torn tail already closes it: scanning garbage to the sector's end leaves no room.)
    if (this.listOf[this.head] !== 0 || own[this.head] === 0) this.end[this.head] = this.size;
    this.floor = floor;
    this.durableFloor = floor;
    this.corruptLost = this.missingAtBoot(floor, this.nextSeq);
    this.fillHeld(floor, first, held, length);
    for (let s = 0; s < n; s++) if (this.listOf[s] > 0) this.foreign += held[s];
  }

  /**
   * Gives each log sector its variable list (`listOf`): the list frame it opens with, else the list
   * its header names (a damaged header: its older neighbour's, as a list changes only at a boot),
   * found in any sector. Returns which sectors have their own list frame.
   */
  private resolveLists(schemas: Float64Array, damaged: Uint8Array, length: number): Uint8Array {
    const n = this.sectors;
    const found = new Map<number, readonly Variable[]>();
    const own = new Uint8Array(n);
    for (let s = 0; s < n; s++) {
      const frame = this.listIn(s);
      if (frame === undefined) continue;
      found.set(frame.listId, frame.list);
      schemas[s] = frame.listId;
      own[s] = 1;
    }
    const unknown = (s: number): boolean => damaged[s] !== 0 && own[s] === 0;
    let schema = this.schema;
    for (let i = 0, s = this.head; i < length; i++, s = (s + n - 1) % n) if (!unknown(s)) schema = schemas[s];
    const indexes = new Map<number, number>([[this.schema, 0]]);
    for (let i = 0, s = this.tail; i < length; i++, s = (s + 1) % n) {
      if (unknown(s)) schemas[s] = schema;
      else schema = schemas[s];
      let index = indexes.get(schema);
      if (index === undefined) {
        const list = found.get(schema);
        index = list === undefined ? -1 : this.lists.push(list) - 1;
        indexes.set(schema, index);
      }
      this.listOf[s] = index;
    }
    return own;
  }

  /** The list frame sector `s` opens with, or undefined. */
  private listIn(s: number): Frame | undefined {
    const at = s * this.size + HEADER_BYTES;
    const head = this.flash.read(at, 3);
    const length = head[1] | (head[2] << 8);
    if (length < MIN_FRAME || length > this.size - HEADER_BYTES) return undefined;
    const frame = parseFrame(this.flash.read(at, length), 0, length);
    return frame !== undefined && frame.kind === "list" ? frame : undefined;
  }

  /** Fills `held` with each log sector's readings at or after `floor` that have a list. */
  private fillHeld(floor: number, first: Float64Array, held: Float64Array, length: number): void {
    for (let i = 0, s = this.tail; i < length; i++, s = (s + 1) % this.sectors) {
      let k = 0;
      if (this.listOf[s] < 0 || this.last[s] <= floor) k = 0;
      else if (first[s] >= floor) k = this.count[s];
      else {
        scanSector(this.flash.read(s * this.size, this.size), (frame) => {
          if (frame.kind !== "data") return;
          for (let j = 0; j < frame.values.length; j++) if (frame.seq + j >= floor) k++;
        });
      }
      held[s] = k;
    }
  }
}
