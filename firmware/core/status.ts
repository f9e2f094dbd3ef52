// The agent's status as one line of text, for people: the simulator's terminal status line and
// the firmware's periodic `status:` trace print the same words, and tools read them back
// (npm run firmware:sim parses `sampled N`, `delivered N`, ... from the device's trace).

import type { Snapshot } from "./agent.js";
import type { JournalStats } from "./journal.js";

/** 59s, 12m05s, 3h07m, 2d04h. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor(s / 3_600) % 24)}h`;
}

/** 512 B, 12.3 KB, 4.5 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The journal's figures: readings held on flash, recovered at start, corrupt frames skipped, wear this run. */
export function formatJournal(j: JournalStats): string {
  const foreign = j.foreign > 0 ? ` (${j.foreign} of other variable lists)` : "";
  return `journal held ${j.held}, recovered ${j.recovered}${foreign}, corrupt ${j.corruptSkipped}, written ${formatBytes(j.bytesWritten)}, erased ${j.erases}`;
}

/**
 * One line: device time, state and the counters (with the readings the reporting filters held
 * back, once there are any, and those on the wire while an upload is out), then when the last upload was and the next try, the flash journal's figures when there
 * is one, and the last error.
 */
export function formatStatus(s: Snapshot, deviceMs: number): string {
  const parts = [
    `[${formatDuration(deviceMs)}] ${s.state}`,
    `sampled ${s.sampled}`,
    `buffered ${s.buffered}`,
    `delivered ${s.delivered}`,
    `dropped ${s.droppedTotal}`,
  ];
  if (s.filtered > 0) parts.push(`filtered ${s.filtered}`);
  if (s.inFlight > 0) parts.push(`on the wire ${s.inFlight}`);
  parts.push(`last upload ${s.lastUploadMs === null ? "never" : formatDuration(deviceMs - s.lastUploadMs) + " ago"}`);
  if (s.nextAttemptInMs !== null) parts.push(`next try in ${formatDuration(s.nextAttemptInMs)}`);
  if (s.journal !== undefined) parts.push(formatJournal(s.journal));
  if (s.lastError !== null && s.state !== "idle" && s.state !== "uploading") parts.push(`last error ${s.lastError}`);
  return parts.join(" | ");
}
