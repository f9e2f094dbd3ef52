// The live status of one device on a terminal stream: redrawn in place on a TTY ("\r" + clear line)
// a few times a second, one plain line every N seconds otherwise (logs, CI). Log lines are printed
// above the status line so the two never run into each other.

import type { Snapshot } from "../firmware/core/agent.js";
import type { JournalStats } from "../firmware/core/journal.js";
import { formatDuration } from "./duration.js";

const TTY_REDRAW_MS = 250;
const CLEAR_LINE = "\r\x1b[2K";

export interface StatusStream {
  isTTY?: boolean;
  /** Terminal width: a wrapped status line could not be redrawn in place. */
  columns?: number;
  write(text: string): unknown;
}

/** 512 B, 12.3 KB, 4.5 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The journal's figures: readings held on flash, recovered at start, corrupt frames skipped, wear this run. */
export function formatJournal(j: JournalStats): string {
  const foreign = j.foreignSkipped > 0 ? `, other variables ${j.foreignSkipped}` : "";
  return `journal held ${j.held}, recovered ${j.recovered}, corrupt ${j.corruptSkipped}${foreign}, written ${formatBytes(j.bytesWritten)}, erased ${j.erases}`;
}

/**
 * One line: device time, state and the counters, then when the last upload was and the next try,
 * the flash journal's figures when there is one, and the last error.
 */
export function formatStatus(s: Snapshot, deviceMs: number): string {
  const parts = [
    `[${formatDuration(deviceMs)}] ${s.state}`,
    `sampled ${s.sampled}`,
    `buffered ${s.buffered}`,
    `delivered ${s.delivered}`,
    `dropped ${s.droppedTotal}`,
    `last upload ${s.lastUploadMs === null ? "never" : formatDuration(deviceMs - s.lastUploadMs) + " ago"}`,
  ];
  if (s.nextAttemptInMs !== null) parts.push(`next try in ${formatDuration(s.nextAttemptInMs)}`);
  if (s.journal !== undefined) parts.push(formatJournal(s.journal));
  if (s.lastError !== null && s.state !== "idle" && s.state !== "uploading") parts.push(`last error ${s.lastError}`);
  return parts.join(" | ");
}

export class StatusLine {
  private readonly stream: StatusStream;
  private readonly render: () => string;
  private readonly everyMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = false;

  constructor(stream: StatusStream, render: () => string, everyMs: number) {
    this.stream = stream;
    this.render = render;
    this.everyMs = everyMs;
  }

  start(): void {
    const tty = this.stream.isTTY === true;
    this.timer = setInterval(() => this.draw(), tty ? TTY_REDRAW_MS : this.everyMs);
    this.timer.unref();
    if (tty) this.draw();
  }

  /** Prints a line (a log message) without breaking the status line. */
  print(line: string): void {
    if (this.shown) this.stream.write(CLEAR_LINE);
    this.stream.write(line + "\n");
    if (this.shown) this.stream.write(this.fitted());
  }

  /** Stops redrawing, leaving the final status on its own line. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    if (this.shown) this.stream.write("\n");
    this.shown = false;
  }

  private fitted(): string {
    const line = this.render();
    const width = this.stream.columns ?? 0;
    return width > 1 && line.length >= width ? line.slice(0, width - 2) + "…" : line;
  }

  private draw(): void {
    if (this.stream.isTTY === true) {
      this.stream.write(CLEAR_LINE + this.fitted());
      this.shown = true;
    } else {
      this.stream.write(this.render() + "\n");
    }
  }
}
