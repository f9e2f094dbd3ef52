// The journal's cheap recovery at a wake: instead of reading every sector (recovery.ts), the
// journal resumes from the snapshot it left in the sleep mode's state area before the deep sleep,
// after checking that the flash is as the snapshot describes it: the head's header and
// generation, the spare's header (opening it is the only way the log moves on), and nothing
// appended after the head's end (every append and release goes there). Any other finding (a
// power cut struck the last wake, a header rotted, the variables changed) means the full
// recovery. A wake reads two headers and a few bytes at the head's end and, for an upload only,
// the unreleased readings the ring takes: from where the reader stopped when all it had read was
// released, not from the start of their sector.

import { HEADER_BYTES } from "./frame.js";
import type { Frame } from "./reading-frame.js";
import { missingIn, type Recovered } from "./recovery.js";
import type { ReadingValue } from "./ring.js";
import type { LogCursor, SectorLog } from "./sector-log.js";
import type { Variable } from "./variables.js";

/** Bytes past the head's end that must still be erased: any append since would have cleared some. */
const END_CHECK_BYTES = 32;

/** The journal as a sleep left it, kept in the wake state (wake-state.ts). */
export interface JournalSnapshot {
  /** Its variable list's id: a boot with another list recovers in full. */
  schema: number;
  head: number;
  tail: number;
  headGeneration: number;
  /** Every sector's erase count, in runs of [sectors, erases] (wear is even, so a few runs). */
  erases: Array<[number, number]>;
  headEnd: number;
  nextSeq: number;
  /** The greatest floor on flash. */
  floor: number;
  /**
   * Each sector holding unreleased readings: [sector, readings, one past its last seq, where its
   * frames end, where reading them starts (the oldest: past released frames when known)].
   */
  sectors: Array<[number, number, number, number, number]>;
  /** Seq ranges found missing (recovery.ts), still counted. */
  gaps: number[];
  /** This list's variables' newest values that went on (null: none; trailing ones left out), for the reporting filters. */
  newest: Array<ReadingValue | null>;
}

// Both run over every sector at every wake, so they are plain indexed loops.
/** `counts` as runs of equal values: [how many, value]... */
function runsOf(counts: ArrayLike<number>): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let run: [number, number] | undefined;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (run !== undefined && run[1] === c) run[0]++;
    else runs.push((run = [1, c]));
  }
  return runs;
}

/** The `n` counts `runs` stand for, or undefined when they stand for another number. */
function countsOf(runs: ReadonlyArray<readonly [number, number]>, n: number): Float64Array | undefined {
  const counts = new Float64Array(n);
  let at = 0;
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r];
    if (at + run[0] > n) return undefined;
    counts.fill(run[1], at, at + run[0]);
    at += run[0];
  }
  return at === n ? counts : undefined;
}

/** The Recovered state `snapshot` describes, or undefined when the flash is not as it says (then: `recover`). */
export function resume(log: SectorLog<Frame>, cursor: LogCursor<Frame>, variables: readonly Variable[], schema: number, snapshot: JournalSnapshot): Recovered | undefined {
  const n = log.sectors;
  const { head, tail, headGeneration } = snapshot;
  const erases = countsOf(snapshot.erases, n);
  if (snapshot.schema !== schema || snapshot.newest.length > variables.length || head >= n || tail >= n || erases === undefined) return undefined;
  if ((head - tail + n) % n >= n - 1) return undefined;
  const spare = (head + 1) % n;
  const atHead = log.header(head);
  if (atHead.state !== "open" || atHead.generation !== headGeneration) return undefined;
  const atSpare = log.header(spare);
  if (atSpare.state !== "spare" || atSpare.erases !== erases[spare]) return undefined;
  log.adopt(tail, head, headGeneration, erases);
  const end = snapshot.headEnd;
  if (end < HEADER_BYTES || end > log.size) return undefined;
  if (!log.erasedAt(log.head, end, Math.min(END_CHECK_BYTES, log.size - end))) return undefined;

  const r: Recovered = {
    lists: [variables],
    listOf: new Int32Array(n),
    count: new Uint32Array(n),
    last: new Float64Array(n),
    nextSeq: snapshot.nextSeq,
    floor: snapshot.floor,
    durableFloor: snapshot.floor,
    gaps: snapshot.gaps.slice(),
    unloaded: snapshot.nextSeq - snapshot.floor - missingIn(snapshot.gaps, snapshot.floor, snapshot.nextSeq),
    dropped: 0,
    corruptLost: 0,
    corruptSkipped: 0,
    damagedHeaders: 0,
    foreign: 0,
    newest: variables.map((_, i) => snapshot.newest[i] ?? undefined),
    // Sleep mode refuses windows (sleep-settings.ts): no sleep leaves one open.
    windows: [],
  };
  // Closed log sectors hold no unreleased reading unless the snapshot lists them: none is read.
  for (let i = 0, s = log.tail; i < n && s !== log.head; i++, s = (s + 1) % n) log.setEnd(s, log.size);
  for (const [s, count, last, sectorEnd, start] of snapshot.sectors) {
    if (s >= n || !log.isOpen(s) || start < HEADER_BYTES || start > sectorEnd) return undefined;
    r.count[s] = count;
    r.last[s] = last;
    log.setEnd(s, sectorEnd);
  }
  log.setEnd(log.head, end);
  cursor.sector = log.head;
  cursor.offset = end;
  for (let i = 0, s = log.tail; i < n; i++, s = (s + 1) % n) {
    if (r.last[s] > r.floor) {
      cursor.moveTo(s);
      // Its entry, the oldest listed, says where reading starts.
      const first = snapshot.sectors[0];
      if (first[0] === s) cursor.offset = first[4];
      break;
    }
    if (s === log.head) break;
  }
  return r;
}

/**
 * What `resume` needs of a journal, from its state (`erases`: the erase counts' runs when known
 * to be current); undefined when a sector to resume names another list.
 */
export function snapshotOf(
  log: SectorLog<Frame>,
  j: {
    schema: number;
    listOf: Int32Array;
    count: Uint32Array;
    last: Float64Array;
    nextSeq: number;
    floor: number;
    gaps: readonly number[];
    erases?: JournalSnapshot["erases"];
    /** Where the reader may start again ([sector, offset], journal-reader.ts `resumePoint`). */
    readFrom?: [number, number];
  },
  newest: ReadonlyArray<ReadingValue | undefined>,
): JournalSnapshot | undefined {
  if (log.head < 0) return undefined;
  const sectors: JournalSnapshot["sectors"] = [];
  for (let i = 0, s = log.tail; i < log.sectors; i++, s = (s + 1) % log.sectors) {
    if (j.last[s] > j.floor) {
      if (j.listOf[s] !== 0) return undefined;
      // Only the oldest can hold the reader's point: any later one follows unreleased readings.
      const start = sectors.length === 0 && j.readFrom !== undefined && j.readFrom[0] === s ? j.readFrom[1] : HEADER_BYTES;
      sectors.push([s, j.count[s], j.last[s], log.end(s), start]);
    }
    if (s === log.head) break;
  }
  return {
    schema: j.schema,
    head: log.head,
    tail: log.tail,
    headGeneration: log.generationOf(log.head),
    erases: j.erases ?? runsOf(log.eraseCounts()),
    headEnd: log.end(log.head),
    nextSeq: j.nextSeq,
    floor: j.floor,
    sectors,
    gaps: j.gaps.slice(),
    newest: trimmed(newest),
  };
}

/** `values` with undefined as null, and none at the end. */
function trimmed(values: ReadonlyArray<ReadingValue | undefined>): Array<ReadingValue | null> {
  let end = values.length;
  while (end > 0 && values[end - 1] === undefined) end--;
  return values.slice(0, end).map((v) => (v === undefined ? null : v));
}
