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

const COUNT_FIELDS = ["wakes", "sinceUpload", "failedUploads", "uploadNotBefore", "lastUpload", "nextSample", "lastTelemetry"] as const;
const TOTAL_FIELDS = ["sampled", "delivered", "filtered", "buffered", "requests", "acknowledged", "sensorErrors"] as const;

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

function isCountList(v: unknown): boolean {
  return Array.isArray(v) && v.every(isCount);
}

/** A list of lists of `n` counts each. */
function isTupleList(v: unknown, n: number): boolean {
  return Array.isArray(v) && v.every((x) => isCountList(x) && (x as unknown[]).length === n);
}

/** What is wrong with a parsed record, or undefined when it is a WakeState. */
function problemOf(s: Record<string, unknown>): string | undefined {
  for (const key of COUNT_FIELDS) if (!isCount(s[key])) return key;
  if (typeof s.landingUnknown !== "boolean") return "landingUnknown";
  const t = s.totals as Record<string, unknown> | undefined;
  if (typeof t !== "object" || t === null) return "totals";
  for (const key of TOTAL_FIELDS) if (!isCount(t[key])) return `totals.${key}`;
  if (!isCountList(t.dropped) || (t.dropped as unknown[]).length !== DROP_REASONS.length) return "totals.dropped";
  const j = s.journal as Record<string, unknown> | undefined;
  if (j === undefined) return undefined;
  for (const key of ["schema", "head", "tail", "headGeneration", "headEnd", "nextSeq", "floor"]) if (!isCount(j[key])) return `journal.${key}`;
  if (!isCountList(j.gaps) || !Array.isArray(j.newest)) return "journal";
  if (!isTupleList(j.sectors, 4)) return "journal.sectors";
  if (!isTupleList(j.erases, 2)) return "journal.erases";
  return undefined;
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
  const problem = typeof parsed === "object" && parsed !== null ? problemOf(parsed as Record<string, unknown>) : "the record";
  if (problem === undefined) return parsed as WakeState;
  logger.log("warn", `sleep: the saved state is not usable (${problem}); starting afresh, the journal recovered in full`);
  return undefined;
}

export function writeWakeState(area: StateArea, state: WakeState): void {
  area.write(new TextEncoder().encode(JSON.stringify(state)));
}
