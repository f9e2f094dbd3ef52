// The outcome of one simulated run as one JSON object (the CLI prints it as its last line), the
// invariant that decides the exit code: sampled = delivered + dropped + buffered + filtered (the
// readings a flash journal recovered at start count as sampled), and why nothing went out when
// nothing did.

import type { AgentState, DropReason, Snapshot } from "../../firmware/core/agent.js";
import type { FailureClass } from "../../firmware/core/classify.js";
import type { LandingCounts } from "../../firmware/core/landing-check.js";
import type { ParamsCounts } from "../../firmware/core/remote-params.js";
import type { SleepFigures } from "./phases.js";

export interface RunSummary {
  mode: "virtual" | "real";
  /** Device time the run covered. */
  deviceMs: number;
  sampled: number;
  delivered: number;
  dropped: number;
  droppedByReason: Record<DropReason, number>;
  buffered: number;
  /** Readings the reporting filters held back. */
  filtered: number;
  requests: number;
  acknowledged: number;
  failures: Record<FailureClass, number>;
  /** Landing checks after ambiguous outcomes (their GETs are among `requests`). */
  landing: LandingCounts;
  /** The agent's state when the run ended (before it was stopped). */
  state: AgentState;
  /** The last upload failure, or null. */
  lastError: string | null;
  /** Sensor reads that failed or lacked a field. */
  sensorErrors: number;
  /** Why nothing was delivered while readings waited; absent when something was, or nothing waited. */
  undelivered?: string;
  /** Records the local endpoint holds for this device (local runs only). */
  storedRecords?: number;
  /** With a flash journal: where it lives and its figures (bytes written and erases: this run). */
  journal?: JournalSummary;
  /** With a settings file: TagoIO device parameters polled and taken (their requests are not among `requests`). */
  params?: ParamsCounts;
  /** Sleep mode: wakes, upload (radio) wakes, flash bytes read and time awake per wake. */
  sleep?: SleepFigures;
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
  /** Unreleased readings missing from flash (rotted), dropped as corrupt. */
  corruptLost: number;
  /** Sector headers found damaged at start (their frames were still read). */
  damagedHeaders: number;
  /** Readings found at start under another variable list, not sent. */
  foreign: number;
  /** Unreleased readings on flash at the end: what the next start recovers. */
  held: number;
  bytesWritten: number;
  erases: number;
}

/** The states in which readings wait, said for people. */
const WAITING: Record<AgentState, string> = {
  stopped: "stopped",
  idle: "idle",
  "waiting-for-clock": "waiting for a trusted clock (none before 2024 is ever sent; check --start)",
  offline: "offline (no network)",
  uploading: "an upload was on the wire",
  checking: "checking whether the server stored a batch it gave no answer for",
  "backing-off": "backing off",
  "rate-limited": "rate limited by the server",
  "auth-failed": "the server refused the token",
  refused: "the server refused the device (nothing dropped; it retries every refusedRetryMs)",
};

/** Why `s` delivered nothing while readings waited, or undefined. */
function undelivered(s: Snapshot): string | undefined {
  if (s.delivered > 0 || s.buffered === 0) return undefined;
  const cause =
    s.lastError !== null ? ` after ${s.lastError}` : s.requests === 0 && s.state === "idle" ? ", no upload was due yet (see --upload-interval)" : "";
  return `nothing delivered, ${s.buffered} readings waiting: ${WAITING[s.state]}${cause}`;
}

export function invariantHolds(s: Snapshot): boolean {
  return s.sampled === s.delivered + s.droppedTotal + s.buffered + s.filtered;
}

/** `s` is the agent's last snapshot before it was stopped. */
export function summarize(
  s: Snapshot,
  run: {
    mode: "virtual" | "real";
    deviceMs: number;
    wallMs: number;
    storedRecords?: number;
    /** The flash the journal is on, if any: its file (null: in memory) and size. */
    flash?: { file: string | null; bytes: number };
    sleep?: SleepFigures;
  },
): RunSummary {
  const why = undelivered(s);
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
          corruptLost: j.corruptLost,
          damagedHeaders: j.damagedHeaders,
          foreign: j.foreign,
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
    filtered: s.filtered,
    requests: s.requests,
    acknowledged: s.acknowledged,
    failures: s.failures,
    landing: s.landing,
    state: s.state,
    lastError: s.lastError,
    sensorErrors: s.sensorErrors,
    ...(run.storedRecords === undefined ? {} : { storedRecords: run.storedRecords }),
    ...(journal === undefined ? {} : { journal }),
    ...(s.params === undefined ? {} : { params: s.params }),
    ...(run.sleep === undefined ? {} : { sleep: run.sleep }),
    ...(why === undefined ? {} : { undelivered: why }),
    wallMs: Math.round(run.wallMs),
    invariantHolds: invariantHolds(s),
  };
}
