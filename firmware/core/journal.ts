// The flash journal, the readings' front: it journals each sample's readings as frames
// (reading-frame.ts) in a log on flash (sector-log.ts), so that they outlive a reboot or a power
// cut, hands them out to the RAM ring (journal-reader.ts) and, once they are settled, appends a
// release frame: "every reading before seq F is settled" (records are never rewritten). Every
// sector opens with the list of variables its readings index, so readings taken under an earlier
// list are sent under the names they were taken with. What boot finds is recovery.ts's.
// When full: "drop-oldest" erases the oldest sector and reports its unreleased readings dropped,
// once the header of the sector being opened records a floor past them (so a torn erase cannot
// bring them back); "drop-newest" refuses new readings until releases free that sector.
// A power cut costs at most the frame being written: every frame whose append returned survives.

import type { Flash } from "../ports.js";
import type { WhenFull } from "./config.js";
import { maxFrameBytes } from "./frame.js";
import { HandedOut } from "./handed-out.js";
import { JournalReader } from "./journal-reader.js";
import { DATA_OVERHEAD, encodeData, encodeList, encodeRelease, type Frame, listBytes, listId, READING_FRAMES, readingBytes, RELEASE_BYTES, STRING_OVERHEAD, type WindowEntries, windowBytes } from "./reading-frame.js";
import { resume, snapshotOf, type JournalSnapshot } from "./journal-resume.js";
import { type OpenWindow, recover } from "./recovery.js";
import type { ReadingValue } from "./ring.js";
import { LogCursor, SectorLog } from "./sector-log.js";
import type { Variable } from "./variables.js";

/** The least flash a journal works on: this many sectors, of this many bytes. */
export const MIN_SECTORS = 3;
export const MIN_SECTOR_BYTES = 256;

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
  /** Sleep mode: the snapshot the last sleep left, to resume from when the flash is as it says. */
  resume?: JournalSnapshot;
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
  /** True when this boot resumed from a sleep's snapshot instead of reading the whole log. */
  resumed: boolean;
}

/** What keeps `flash` from holding a journal, naming the setting to change; empty when it can. */
export function journalProblems(
  flash: Pick<Flash, "sectorCount" | "sectorSize">,
  maxStringLength: number,
  variables: readonly (Variable & { reporting?: { window?: unknown } })[],
): string[] {
  const size = flash.sectorSize;
  if (flash.sectorCount < MIN_SECTORS || size < MIN_SECTOR_BYTES) {
    return [
      `journal: the flash partition has ${flash.sectorCount} sectors of ${size} bytes; the journal needs at least ${MIN_SECTORS} of ${MIN_SECTOR_BYTES} (or set journal=false)`,
    ];
  }
  const list = listBytes(variables);
  // A sample's first frame holds its window entries, a float's 10 bytes each at most.
  const windows = variables.filter((v) => v.reporting?.window !== undefined).length;
  const room = dataRoom(size, list) - 10 * windows;
  // Room for one reading of a float, the largest number.
  if (room < DATA_OVERHEAD + 10) {
    const entries = windows > 0 ? ` and the window entries of ${windows} variables take ${10 * windows}` : "";
    return [
      `variables: the list of ${variables.length} variables takes ${list} bytes at the start of every ${size}-byte journal sector${entries}, leaving no room for readings; use fewer or shorter names and units, or set journal=false`,
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

export class Journal {
  private readonly options: JournalOptions;
  private readonly log: SectorLog<Frame>;
  private readonly reader: JournalReader;
  /** This boot's list frame, written first into every sector it opens. */
  private readonly listFrame: Uint8Array;
  /** Its id, kept in every sector's header. */
  private readonly schema: number;
  private readonly maxFrame: number;
  /** The variable lists readings are handed out with: this boot's first, then those recovered. */
  private readonly lists: Array<readonly Variable[]>;
  /** Each sector's list, an index into `lists`; -1 when its list is lost. */
  private readonly listOf: Int32Array;
  private readonly count: Uint32Array;
  /** One past the seq of a sector's last reading, 0 when it holds none. */
  private readonly last: Float64Array;
  private nextSeq: number;
  /** Every reading before this seq is settled. */
  private floor: number;
  /** The greatest floor on flash, in a release frame or a header. */
  private durableFloor: number;
  private readonly handedOut = new HandedOut();
  private readonly recoveredCount: number;
  private readonly corruptLost: number;
  private readonly damagedHeaders: number;
  private readonly foreign: number;
  /** This boot's variables' newest values and open windows found on flash at boot (see Recovered). */
  readonly newestAtBoot: ReadonlyArray<ReadingValue | undefined>;
  readonly windowsAtBoot: ReadonlyArray<OpenWindow | undefined>;
  private dropping = 0;
  private readonly resumed: boolean;
  /** The erase counts of the snapshot this boot resumed from, as runs; undefined after a full recovery. */
  private readonly resumedErases: JournalSnapshot["erases"] | undefined;

  /** Recovers the journal on `flash` (see `journalProblems` for what it must offer). */
  constructor(flash: Flash, options: JournalOptions) {
    this.options = options;
    this.log = new SectorLog(flash, READING_FRAMES);
    this.listFrame = encodeList(options.variables);
    this.schema = listId(this.listFrame);
    this.maxFrame = dataRoom(flash.sectorSize, this.listFrame.length);
    const cursor = new LogCursor<Frame>();
    const fast = options.resume === undefined ? undefined : resume(this.log, cursor, options.variables, this.schema, options.resume);
    this.resumed = fast !== undefined;
    this.resumedErases = fast === undefined ? undefined : options.resume?.erases;
    const r = fast ?? recover(this.log, cursor, options.variables, this.schema);
    this.reader = new JournalReader(this.log, cursor, r, options);
    this.lists = r.lists;
    this.listOf = r.listOf;
    this.count = r.count;
    this.last = r.last;
    this.nextSeq = r.nextSeq;
    this.floor = r.floor;
    this.durableFloor = r.durableFloor;
    this.recoveredCount = r.unloaded + r.dropped + r.corruptLost;
    this.corruptLost = r.corruptLost;
    this.damagedHeaders = r.damagedHeaders;
    this.foreign = r.foreign;
    this.newestAtBoot = r.newest;
    this.windowsAtBoot = r.windows;
    if (r.dropped > 0) options.onDrop(0, r.dropped, false);
    if (r.corruptLost > 0) options.onDrop(0, r.corruptLost, true);
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
    return this.reader.waiting;
  }

  stats(): JournalStats {
    return {
      sectors: this.log.sectors,
      held: this.handedOut.count + this.reader.waiting,
      recovered: this.recoveredCount,
      corruptSkipped: this.reader.corrupt,
      corruptLost: this.corruptLost,
      damagedHeaders: this.damagedHeaders,
      foreign: this.foreign,
      dropping: this.dropping,
      bytesWritten: this.log.bytesWritten,
      erases: this.log.erased,
      resumed: this.resumed,
    };
  }

  /** What the next wake resumes from (journal-resume.ts), with `newest` values for the filters; undefined when it must recover in full. */
  snapshot(newest: ReadonlyArray<ReadingValue | undefined>): JournalSnapshot | undefined {
    const { schema, listOf, count, last, nextSeq, durableFloor: floor } = this;
    // Until a sector is erased, the erase counts are still those this boot resumed from.
    const erases = this.log.erased === 0 ? this.resumedErases : undefined;
    const readFrom = this.reader.resumePoint(floor);
    return snapshotOf(this.log, { schema, listOf, count, last, nextSeq, floor, gaps: this.reader.gaps, erases, readFrom }, newest);
  }

  /**
   * The share of the sectors a writer may fill (all but the spare) that hold unreleased readings,
   * in whole percent: at 100 the next sector opened drops (drop-oldest) or refuses (drop-newest).
   */
  fill(): number {
    const log = this.log;
    let used = 0;
    for (let s = log.tail; s >= 0; s = (s + 1) % log.sectors) {
      if (this.last[s] > this.floor) used++;
      if (s === log.head) break;
    }
    return Math.round((100 * used) / (log.sectors - 1));
  }

  /** The most erases of any sector, over the flash's life (as its headers count them). */
  wear(): number {
    return this.log.mostErases();
  }

  /**
   * Journals one sample's readings, and its window entries (in the first frame): one frame, or
   * more when they do not fit one sector. Returns how many readings, from the first, were stored:
   * fewer only under drop-newest when the journal is full.
   */
  append(variables: readonly number[], values: readonly ReadingValue[], time: number, flags: number, window?: WindowEntries): number {
    let from = 0;
    let entries = window;
    while (from < values.length || entries !== undefined) {
      let bytes = DATA_OVERHEAD + windowBytes(entries);
      let to = from;
      for (; to < values.length; to++) {
        const more = readingBytes(values[to]);
        if (to > from && bytes + more > this.maxFrame) break;
        bytes += more;
      }
      if (bytes > this.maxFrame) throw new RangeError(`journal: a reading of ${bytes} bytes does not fit a frame`);
      if (!this.reserve(bytes)) return from;
      this.log.append(encodeData(this.nextSeq, time, flags, variables, values, from, to, entries, bytes));
      entries = undefined;
      this.count[this.log.head] += to - from;
      this.nextSeq += to - from;
      this.last[this.log.head] = this.nextSeq;
      this.reader.waiting += to - from;
      from = to;
    }
    return from;
  }

  /** The oldest unreleased reading not yet handed out, or undefined when there is none. */
  peek(): JournalReading | undefined {
    return this.reader.peek(this.floor, this.nextSeq);
  }

  /** Hands out the reading `peek` just showed: it now waits in the ring for its release. */
  take(): void {
    this.handedOut.add(this.reader.take());
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
    this.log.append(encodeRelease(this.floor));
    this.durableFloor = this.floor;
  }

  // ---- writing ----

  /** Makes room for `length` bytes at the head, opening the next sector if need be. */
  private reserve(length: number): boolean {
    return this.log.hasRoom(length) || this.advance();
  }

  /**
   * Opens the next sector. When that retires the oldest, still holding unreleased readings, the
   * journal is full: drop-oldest drops them, drop-newest refuses (returns false, nothing changed).
   */
  private advance(): boolean {
    const full = this.log.full;
    const oldest = this.log.tail;
    let floor = this.floor;
    let loaded = 0;
    let unloaded = 0;
    if (full) {
      floor = Math.max(floor, this.last[oldest]);
      loaded = this.handedOut.below(floor, false);
      if (this.reader.isIn(oldest)) unloaded = Math.max(0, this.reader.waiting - this.countAfter(oldest));
      if (loaded + unloaded > 0 && this.options.whenFull === "drop-newest") return false;
    }
    this.dropping = loaded + unloaded;
    const first = this.log.tail < 0;
    this.log.open(floor, this.schema);
    const head = this.log.head;
    this.durableFloor = floor;
    this.listOf[head] = 0;
    this.count[head] = 0;
    this.last[head] = 0;
    this.log.append(this.listFrame);
    if (first) this.reader.moveTo(head);
    if (full) {
      this.floor = floor;
      this.log.retire();
      this.handedOut.below(floor, true);
      this.reader.waiting -= unloaded;
      if (this.reader.isIn(oldest)) this.reader.moveTo(this.log.tail);
      this.dropping = 0;
      if (loaded + unloaded > 0) this.options.onDrop(loaded, unloaded, false);
    }
    this.log.prepareSpare();
    return true;
  }

  /** Readings in the sectors after `s`, up to the head. */
  private countAfter(s: number): number {
    let total = 0;
    for (let x = s; x !== this.log.head; ) {
      x = (x + 1) % this.log.sectors;
      total += this.count[x];
    }
    return total;
  }
}
