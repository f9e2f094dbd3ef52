// The journal's recovery at boot: from what power cuts and bit rot left in the log, the state the
// journal starts from. It mounts the log, gives each sector its variable list, reads every frame,
// finds the floor and the unreleased readings, and puts the reader on the oldest of them.
// Failing: torn or corrupt frames are skipped and counted. Readings missing from the run of sequence
// numbers, or that no list left on flash names, are dropped as corrupt; a rotted last frame cannot
// be told from a torn append. A sector whose list frame rotted takes the list from any other sector
// with the same id (its header's schema). Readings that a torn erase (a full journal's drop-oldest)
// left in the spare's place are reported dropped, as that drop meant.
// Window entries (reading-frame.ts) rebuild each window a reboot left open: what joined it since
// its last close, found under the same name and unit.

import type { SectorHeader } from "./frame.js";
import type { Frame } from "./reading-frame.js";
import type { ReadingValue } from "./ring.js";
import type { LogCursor, SectorLog } from "./sector-log.js";
import type { Variable } from "./variables.js";
import { WindowState } from "./window.js";

/** A reporting window a reboot left open: what joined it, and its last sample's time and flags. */
export interface OpenWindow {
  state: WindowState;
  time: number;
  flags: number;
}

/** What boot found: the journal's state to start from, and its figures. */
export interface Recovered {
  /** The variable lists readings are handed out with: this boot's first, then those found. */
  lists: Array<readonly Variable[]>;
  /** Each sector's list, an index into `lists`; -1 when its list is lost. */
  listOf: Int32Array;
  /** Each sector's readings, and one past the seq of its last (0 when it holds none). */
  count: Uint32Array;
  last: Float64Array;
  nextSeq: number;
  /** Every reading before it is settled; `durableFloor` is the greatest on flash. */
  floor: number;
  durableFloor: number;
  /** Seq ranges found missing, and counted: from, to, from, to... */
  gaps: number[];
  /** Unreleased readings found, to hand out. */
  unloaded: number;
  /** Unreleased readings a torn erase left, and those found unreadable: both reported dropped. */
  dropped: number;
  corruptLost: number;
  corruptSkipped: number;
  damagedHeaders: number;
  /** Unreleased readings found under another variable list (among `unloaded`). */
  foreign: number;
  /**
   * This boot's variables' newest values on flash, released or not, found under the same name and
   * unit in any list: the last values that went on, for the reporting filters to resume from.
   */
  newest: Array<ReadingValue | undefined>;
  /** This boot's variables' windows left open on flash, by index. */
  windows: Array<OpenWindow | undefined>;
}

/** How many seqs in [from, to) the `gaps` found at boot cover. */
export function missingIn(gaps: readonly number[], from: number, to: number): number {
  let total = 0;
  for (let i = 0; i < gaps.length; i += 2) total += Math.max(0, Math.min(to, gaps[i + 1]) - Math.max(from, gaps[i]));
  return total;
}

/** Recovers the journal in `log` (this boot's list `variables`, of id `schema`), its reader at `cursor`. */
export function recover(log: SectorLog<Frame>, cursor: LogCursor<Frame>, variables: readonly Variable[], schema: number): Recovered {
  const n = log.sectors;
  const r: Recovered = {
    lists: [variables],
    listOf: new Int32Array(n),
    count: new Uint32Array(n),
    last: new Float64Array(n),
    nextSeq: 0,
    floor: 0,
    durableFloor: 0,
    gaps: [],
    unloaded: 0,
    dropped: 0,
    corruptLost: 0,
    corruptSkipped: 0,
    damagedHeaders: 0,
    foreign: 0,
    newest: variables.map(() => undefined),
    windows: [],
  };
  const headers = log.mount();
  const damaged = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    damaged[s] = headers[s].state === "dirty" ? 1 : 0;
    r.damagedHeaders += damaged[s];
  }
  adoptDamagedHead(log, headers, damaged);
  const held = new Float64Array(n);
  if (log.head >= 0) readLog(log, r, headers, damaged, schema, held);

  const next = (log.head + 1) % n;
  if (log.isOpen(next)) {
    // Only a torn erase leaves the oldest sector right after the head (its readings under the
    // head's floor): it becomes the spare again.
    r.dropped = held[next];
    r.floor = Math.max(r.floor, r.last[next]);
    held[next] = 0;
    log.retire();
  }
  log.prepareSpare();

  cursor.sector = log.head;
  cursor.offset = log.head >= 0 ? log.end(log.head) : 0;
  if (log.head >= 0) {
    for (let s = log.head, i = 0; i < n; i++, s = (s + n - 1) % n) {
      r.unloaded += held[s];
      if (held[s] > 0) cursor.moveTo(s);
      if (s === log.tail) break;
    }
  }
  return r;
}

/**
 * A head whose header rotted after it was opened: the damaged sector right after the newest valid
 * header (with none, the damaged sector with the newest frames) holding a frame past that header's
 * floor, which nothing older there (what a torn erase left) can.
 */
function adoptDamagedHead(log: SectorLog<Frame>, headers: readonly SectorHeader[], damaged: Uint8Array): void {
  const n = log.sectors;
  const head = log.head;
  let best = -1;
  let newest = head >= 0 ? headers[head].floor : 0;
  for (let s = 0; s < n; s++) {
    if (damaged[s] === 0 || (head >= 0 && s !== (head + 1) % n)) continue;
    let seq = 0;
    log.scan(s, (frame) => {
      seq = Math.max(seq, frame.kind === "release" ? frame.seq : frame.seq + frame.values.length);
    });
    if (seq > newest) {
      best = s;
      newest = seq;
    }
  }
  if (best >= 0) log.adoptHead(best);
}

/** Finds the log and reads it: its readings, the floor, the gaps, and each sector's `held` readings. */
function readLog(log: SectorLog<Frame>, r: Recovered, headers: readonly SectorHeader[], damaged: Uint8Array, schema: number, held: Float64Array): void {
  const n = log.sectors;
  const length = log.findLog(damaged);
  const own = resolveLists(log, r, headers, damaged, schema, length);

  const first = new Float64Array(n).fill(-1);
  const current = new Map(r.lists[0].map((v, i) => [nameAndUnit(v), i]));
  let floor = 0;
  let expect = 0;
  for (let i = 0, s = log.tail; i < length; i++, s = (s + 1) % n) {
    floor = Math.max(floor, headers[s].floor);
    const gapsBefore = r.gaps.length;
    const expectBefore = expect;
    let widest = -1;
    // The sector's newest value of each of its list's variables, and its windows (what joined
    // each since its last close here: one state a variable, however many entries), taken once
    // the list is known good.
    const newest: Array<ReadingValue | undefined> = [];
    const windows: Array<SectorWindow | undefined> = [];
    r.corruptSkipped += log.mountSector(s, (frame) => {
      if (frame.kind === "release") floor = Math.max(floor, frame.seq);
      if (frame.kind !== "data") return;
      if (first[s] < 0) first[s] = frame.seq;
      // Sequence numbers run without gaps: those missing before a frame rotted (or were released).
      if (frame.seq > expect) r.gaps.push(expect, frame.seq);
      expect = Math.max(expect, frame.seq + frame.values.length);
      r.count[s] += frame.values.length;
      r.last[s] = Math.max(r.last[s], frame.seq + frame.values.length);
      for (let j = 0; j < frame.variables.length; j++) {
        widest = Math.max(widest, frame.variables[j]);
        newest[frame.variables[j]] = frame.values[j];
      }
      const w = frame.window;
      if (w === undefined) return;
      for (let j = 0; j < w.variables.length; j++) {
        widest = Math.max(widest, w.variables[j]);
        joinWindow(windows, w.variables[j], w.values[j], frame.time, frame.flags);
      }
    });
    r.nextSeq = Math.max(r.nextSeq, r.last[s]);
    if (widest >= (r.listOf[s] < 0 ? 0 : r.lists[r.listOf[s]].length)) {
      // No list names these readings (lost, or not theirs): every seq up to the sector's last is missing.
      r.listOf[s] = -1;
      r.count[s] = 0;
      r.gaps.length = gapsBefore;
      if (r.last[s] > expectBefore) r.gaps.push(expectBefore, r.last[s]);
    } else {
      const list = r.lists[r.listOf[s]];
      newest.forEach((value, j) => {
        const at = current.get(nameAndUnit(list[j]));
        if (at !== undefined && value !== undefined) r.newest[at] = value;
      });
      windows.forEach((w, j) => {
        const at = current.get(nameAndUnit(list[j]));
        if (w === undefined || at === undefined) return;
        const before = r.windows[at];
        // Closed in this sector: what joined since; else what joined here follows what was open.
        if (w.closed || before === undefined) r.windows[at] = w.open;
        else if (w.open !== undefined) r.windows[at] = { ...w.open, state: before.state.absorb(w.open.state) };
      });
    }
  }
  // Appending to a sector under another list, or one without its own list frame, would muddle
  // it: close it. (A torn tail already closes it: scanning garbage to the sector's end leaves no room.)
  if (r.listOf[log.head] !== 0 || own[log.head] === 0) log.closeHead();
  r.floor = floor;
  r.durableFloor = floor;
  r.corruptLost = missingIn(r.gaps, floor, r.nextSeq);
  fillHeld(log, r, first, held, length);
  for (let s = 0; s < n; s++) if (r.listOf[s] > 0) r.foreign += held[s];
}

/** A sector's window of one variable: whether one closed in it, and what joined since. */
interface SectorWindow {
  closed: boolean;
  open: OpenWindow | undefined;
}

/** A window entry of variable `at`: `value` joined its window (the window's close when NaN). */
function joinWindow(windows: Array<SectorWindow | undefined>, at: number, value: number, time: number, flags: number): void {
  const w = windows[at] ?? (windows[at] = { closed: false, open: undefined });
  if (value !== value) {
    w.closed = true;
    w.open = undefined;
    return;
  }
  // Every value is kept: the aggregate is chosen at the boot, by the rules then.
  const open = w.open ?? (w.open = { state: new WindowState(true), time, flags });
  open.state.add(value, 0);
  open.time = time;
  open.flags = flags;
}

function nameAndUnit(v: Variable): string {
  return `${v.name}\u0000${v.unit ?? ""}`;
}

/**
 * Gives each log sector its variable list (`listOf`): the list frame it opens with, else the list
 * its header names (a damaged header: its older neighbour's, as a list changes only at a boot),
 * found in any sector. Returns which sectors have their own list frame.
 */
function resolveLists(log: SectorLog<Frame>, r: Recovered, headers: readonly SectorHeader[], damaged: Uint8Array, schema: number, length: number): Uint8Array {
  const n = log.sectors;
  const schemas = headers.map((h) => h.schema);
  const found = new Map<number, readonly Variable[]>();
  const own = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    const frame = log.firstFrame(s);
    if (frame === undefined || frame.kind !== "list") continue;
    found.set(frame.listId, frame.list);
    schemas[s] = frame.listId;
    own[s] = 1;
  }
  const unknown = (s: number): boolean => damaged[s] !== 0 && own[s] === 0;
  let current = schema;
  for (let i = 0, s = log.head; i < length; i++, s = (s + n - 1) % n) if (!unknown(s)) current = schemas[s];
  const indexes = new Map<number, number>([[schema, 0]]);
  for (let i = 0, s = log.tail; i < length; i++, s = (s + 1) % n) {
    if (!unknown(s)) current = schemas[s];
    let index = indexes.get(current);
    if (index === undefined) {
      const list = found.get(current);
      index = list === undefined ? -1 : r.lists.push(list) - 1;
      indexes.set(current, index);
    }
    r.listOf[s] = index;
  }
  return own;
}

/** Fills `held` with each log sector's readings at or after the floor that have a list. */
function fillHeld(log: SectorLog<Frame>, r: Recovered, first: Float64Array, held: Float64Array, length: number): void {
  for (let i = 0, s = log.tail; i < length; i++, s = (s + 1) % log.sectors) {
    let k = 0;
    if (r.listOf[s] < 0 || r.last[s] <= r.floor) k = 0;
    else if (first[s] >= r.floor) k = r.count[s];
    else {
      log.scan(s, (frame) => {
        if (frame.kind !== "data") return;
        for (let j = 0; j < frame.values.length; j++) if (frame.seq + j >= r.floor) k++;
      });
    }
    held[s] = k;
  }
}
