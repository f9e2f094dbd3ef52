// The Logger port on `trace` (the serial console or xsbug). Lines below the configured level
// are dropped. The token never appears whole: the configured token and anything shaped like a
// device token (a UUID, e.g. one set later with setToken) are cut to their last four characters
// before a line is written, whatever the caller already did.
// Policy when failing: logging never throws into the caller; a write that fails is dropped.

import { redactToken, redactTokens } from "../core/config.js";
import type { Logger, LogLevel } from "../ports.js";

const RANK: Readonly<Record<LogLevel, number>> = Object.freeze({ debug: 0, info: 1, warn: 2, error: 3 });

export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(Object.keys(RANK) as LogLevel[]);

export class TraceLogger implements Logger {
  private readonly write: (text: string) => void;
  private threshold: number;
  private readonly token: string | undefined;

  /** `token` is redacted only when long enough to be told apart from ordinary text. */
  constructor(write: (text: string) => void, level: LogLevel, token?: string) {
    this.write = write;
    this.threshold = RANK[level];
    this.token = token !== undefined && token.length >= 8 ? token : undefined;
  }

  /** A new level at once (a TagoIO parameter `logLevel`). */
  setLevel(level: LogLevel): void {
    this.threshold = RANK[level];
  }

  log(level: LogLevel, message: string): void {
    if (RANK[level] < this.threshold) return;
    try {
      this.write(`${level}: ${this.redact(message)}\n`);
    } catch {
      // nothing sensible to do when the console itself fails
    }
  }

  private redact(message: string): string {
    const token = this.token;
    return redactTokens(token === undefined ? message : message.split(token).join(redactToken(token)));
  }
}
