// The outcome of one simulated run as one JSON object (the CLI prints it as its last line), and the
// invariant that decides the exit code: sampled = delivered + dropped + buffered (the readings a
// flash journal recovered at start count as sampled).

import type { DropReason, Snapshot } from "../firmware/core/agent.js";
import type { FailureClass } from "../firmware/core/classify.js";

export interface RunSummary {
  mode: "virtual" | "real";
  /** Device time the run covered. */
  deviceMs: number;
  sampled: number;
  delivered: number;
  dropped: number;
  droppedByReason: Record<DropReason, number>;
  buffered: number;
  requests: number;
  acknowledged: number;
  failures: Record<FailureClass, number>;
  state: string;
  /** Records the local endpoint holds for this device (local runs only). */
  storedRecords?: number;
  /** With a flash journal: where it lives and its figures (bytes written and erases: this run). */
  journal?: JournalSummary;
  /** Real time the run took. */
  wallMs: number;
  invariantHolds: boolean;
}

export interface JournalSummary {
  /** The flash file, or null for a flash in memory. */
  file: string | null;
  flashBytes: number;
  sectors: number;
  /** Unreleased readings found on flash at start (counted in sampled). */
  recovered: number;
  /** Torn or corrupt frames skipped at start. */
  corruptSkipped: number;
  /** Readings found at start under another variable list, not sent. */
  foreignSkipped: number;
  /** Unreleased readings on flash at the end: what the next start recovers. */
  held: number;
  bytesWritten: number;
  erases: number;
}

export function invariantHolds(s: Snapshot): boolean {
  return s.sampled === s.delivered + s.droppedTotal + s.buffered;
}

export function summarize(
  s: Snapshot,
  run: {
    mode: "virtual" | "real";
    deviceMs: number;
    wallMs: number;
    storedRecords?: number;
    /** The flash the journal is on, if any: its file (null: in memory) and size. */
    flash?: { file: string | null; bytes: number };
  },
): RunSummary {
  const j = s.journal;
  const journal: JournalSummary | undefined =
    j === undefined || run.flash === undefined
      ? undefined
      : {
          file: run.flash.file,
          flashBytes: run.flash.bytes,
          sectors: j.sectors,
          recovered: j.recovered,
          corruptSkipped: j.corruptSkipped,
          foreignSkipped: j.foreignSkipped,
          held: j.held,
          bytesWritten: j.bytesWritten,
          erases: j.erases,
        };
  return {
    mode: run.mode,
    deviceMs: run.deviceMs,
    sampled: s.sampled,
    delivered: s.delivered,
    dropped: s.droppedTotal,
    droppedByReason: s.dropped,
    buffered: s.buffered,
    requests: s.requests,
    acknowledged: s.acknowledged,
    failures: s.failures,
    state: s.state,
    ...(run.storedRecords === undefined ? {} : { storedRecords: run.storedRecords }),
    ...(journal === undefined ? {} : { journal }),
    wallMs: Math.round(run.wallMs),
    invariantHolds: invariantHolds(s),
  };
}
