// The outcome of one simulated run as one JSON object (the CLI prints it as its last line), and the
// invariant that decides the exit code: sampled = delivered + dropped + buffered.

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
  /** Real time the run took. */
  wallMs: number;
  invariantHolds: boolean;
}

export function invariantHolds(s: Snapshot): boolean {
  return s.sampled === s.delivered + s.droppedTotal + s.buffered;
}

export function summarize(
  s: Snapshot,
  run: { mode: "virtual" | "real"; deviceMs: number; wallMs: number; storedRecords?: number },
): RunSummary {
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
    wallMs: Math.round(run.wallMs),
    invariantHolds: invariantHolds(s),
  };
}
