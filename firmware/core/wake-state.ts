// What a deep sleep must not lose, kept as the newest record of the state area (state-area.ts):
// the wake cycle's own figures, the accounting so far (so the invariant counts across boots) and
// the journal's snapshot for a cheap recovery. A record that does not parse, or whose fields are
// not what they must be, is ignored with a warning: the wake then starts afresh and recovers
// the journal in full, which loses no reading.

import type { Logger } from "../ports.js";
import { DROP_REASONS } from "./backlog.js";
import type { JournalSnapshot } from "./journal-resume.js";
import type { StateArea } from "./state-area.js";

/** The accounting over every boot so far, as the last sleep left it. */
export interface Totals {
  sampled: number;
  delivered: number;
  /** By reason, in DROP_REASONS order (a list keeps the record short: it is written at every wake). */
  dropped: number[];
  filtered: number;
  /** Readings still buffered then: the next boot recovers them, counting them sampled again. */
  buffered: number;
  requests: number;
  acknowledged: number;
  sensorErrors: number;
}

export interface WakeState {
  /** Boots in sleep mode so far, this one not included. */
  wakes: number;
  /** Wakes since the last upload that went through (or since the first). */
  sinceUpload: number;
  /** Upload wakes in a row that failed: the backoff's exponent. */
  failedUploads: number;
  /** Wall times (ms, 0: none): no upload before the first (backoff), the last acknowledged one, the next sample, the last health report. */
  uploadNotBefore: number;
  lastUpload: number;
  nextSample: number;
  lastTelemetry: number;
  /**
   * A batch went unanswered, or its landing check did not finish: the server may hold it. Until an
   * upload settles it, every boot recovers the journal in full, so the next upload checks first.
   */
  landingUnknown: boolean;
  totals: Totals;
  /** Absent when the next boot must recover the journal in full. */
  journal?: JournalSnapshot;
}

export function freshWakeState(): WakeState {
  const totals: Totals = { sampled: 0, delivered: 0, dropped: DROP_REASONS.map(() => 0), filtered: 0, buffered: 0, requests: 0, acknowledged: 0, sensorErrors: 0 };
  return { wakes: 0, sinceUpload: 0, failedUploads: 0, uploadNotBefore: 0, lastUpload: 0, nextSample: 0, lastTelemetry: 0, landingUnknown: false, totals };
}

const COUNT_FIELDS = Object.freeze(["wakes", "sinceUpload", "failedUploads", "uploadNotBefore", "lastUpload", "nextSample", "lastTelemetry"] as const);
const TOTAL_FIELDS = Object.freeze(["sampled", "delivered", "filtered", "buffered", "requests", "acknowledged", "sensorErrors"] as const);
const JOURNAL_FIELDS = Object.freeze(["schema", "head", "tail", "headGeneration", "headEnd", "nextSeq", "floor"] as const);

// The record is a JSON array of the fields in the orders above, without their names: it is
// written and its CRC computed at every wake, and the names made most of its bytes.
//   [...COUNT_FIELDS, landingUnknown, [...TOTAL_FIELDS, dropped], journal?]
//   journal: [...JOURNAL_FIELDS, erases, sectors, gaps, newest]
type Row = unknown[];

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

function isCountList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isCount);
}

/** A list of lists of `n` counts each. */
function isTupleList(v: unknown, n: number): boolean {
  return Array.isArray(v) && v.every((x) => isCountList(x) && x.length === n);
}

/** `row`'s first fields as counts named `names`, or the first name that is not one. */
function takeCounts<K extends string>(row: Row, names: readonly K[], out: Record<K, number>): string | undefined {
  for (let i = 0; i < names.length; i++) {
    const v = row[i];
    if (!isCount(v)) return names[i];
    out[names[i]] = v;
  }
  return undefined;
}

/** The WakeState a parsed record stands for, or the name of its first field that is not what it must be. */
function stateOf(row: unknown): WakeState | string {
  if (!Array.isArray(row) || row.length < COUNT_FIELDS.length + 2) return "the record";
  const s = freshWakeState();
  const problem = takeCounts(row, COUNT_FIELDS, s);
  if (problem !== undefined) return problem;
  // Indexed, not destructured: destructuring runs the iterator protocol, dearer on XS.
  const at = COUNT_FIELDS.length;
  const landingUnknown: unknown = row[at];
  const totals: unknown = row[at + 1];
  const journal: unknown = row[at + 2];
  if (typeof landingUnknown !== "boolean") return "landingUnknown";
  s.landingUnknown = landingUnknown;
  if (!Array.isArray(totals)) return "totals";
  const totalsProblem = takeCounts(totals, TOTAL_FIELDS, s.totals);
  if (totalsProblem !== undefined) return `totals.${totalsProblem}`;
  const dropped = totals[TOTAL_FIELDS.length];
  if (!isCountList(dropped) || dropped.length !== DROP_REASONS.length) return "totals.dropped";
  s.totals.dropped = dropped;
  if (journal === undefined) return s;
  if (!Array.isArray(journal)) return "journal";
  const j = {} as JournalSnapshot;
  const journalProblem = takeCounts(journal, JOURNAL_FIELDS, j);
  if (journalProblem !== undefined) return `journal.${journalProblem}`;
  const lists = JOURNAL_FIELDS.length;
  const erases: unknown = journal[lists];
  const sectors: unknown = journal[lists + 1];
  const gaps: unknown = journal[lists + 2];
  const newest: unknown = journal[lists + 3];
  if (!isTupleList(erases, 2)) return "journal.erases";
  if (!isTupleList(sectors, 5)) return "journal.sectors";
  if (!isCountList(gaps)) return "journal.gaps";
  if (!Array.isArray(newest)) return "journal.newest";
  s.journal = { ...j, erases: erases as JournalSnapshot["erases"], sectors: sectors as JournalSnapshot["sectors"], gaps, newest: newest as JournalSnapshot["newest"] };
  return s;
}

/** The record of `state`. */
function rowOf(state: WakeState): Row {
  const t = state.totals;
  const row: Row = COUNT_FIELDS.map((key) => state[key]);
  row.push(state.landingUnknown, [...TOTAL_FIELDS.map((key) => t[key]), t.dropped]);
  const j = state.journal;
  if (j !== undefined) row.push([...JOURNAL_FIELDS.map((key) => j[key]), j.erases, j.sectors, j.gaps, j.newest]);
  return row;
}

/** The state the last sleep left in `area`, or undefined (logged) when there is none to trust; throws what the flash throws. */
export function readWakeState(area: StateArea, logger: Logger): WakeState | undefined {
  const bytes = area.read();
  if (bytes === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    parsed = undefined;
  }
  const state = stateOf(parsed);
  if (typeof state !== "string") return state;
  logger.log("warn", `sleep: the saved state is not usable (${state}); starting afresh, the journal recovered in full`);
  return undefined;
}

export function writeWakeState(area: StateArea, state: WakeState): void {
  area.write(new TextEncoder().encode(JSON.stringify(rowOf(state))));
}
