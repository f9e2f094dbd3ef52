// The log port on the console: one line per message with a timestamp and the level, below a
// threshold nothing. Defensive redaction: every UUID-shaped run (the shape of every token the agent
// can hold, since configuration and setToken refuse others) is cut to its last four characters,
// whatever code produced the message.

import { redactTokens } from "../../firmware/core/config.js";
import type { LogLevel, Logger } from "../../firmware/ports.js";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];


export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** Wall time for the stamp (the virtual clock's in virtual runs). */
  now?: () => number;
  /** Where lines go; stderr by default, so stdout stays for results. */
  write?: (line: string) => void;
}

export class ConsoleLogger implements Logger {
  private level: number;
  private readonly now: () => number;
  private readonly write: (line: string) => void;

  constructor(options: ConsoleLoggerOptions = {}) {
    this.level = RANK[options.level ?? "info"];
    this.now = options.now ?? Date.now;
    this.write = options.write ?? ((line) => process.stderr.write(line + "\n"));
  }

  /** A new level at once (a TagoIO parameter `logLevel`). */
  setLevel(level: LogLevel): void {
    this.level = RANK[level];
  }

  log(level: LogLevel, message: string): void {
    if (RANK[level] < this.level) return;
    this.write(`${new Date(this.now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${redactTokens(message)}`);
  }
}
