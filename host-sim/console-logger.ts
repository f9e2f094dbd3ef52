// The log port on the console: one line per message with a timestamp and the level, below a
// threshold nothing. Defensive redaction: every UUID-shaped run (the shape of every token the agent
// can hold, since configuration and setToken refuse others) is cut to its last four characters,
// whatever code produced the message.

import { redactToken } from "../firmware/core/config.js";
import type { LogLevel, Logger } from "../firmware/ports.js";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };
const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

/** A message with every token-shaped run redacted. */
export function redactSecrets(message: string): string {
  return message.replace(UUID_ANYWHERE, redactToken);
}

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** Wall time for the stamp (the virtual clock's in virtual runs). */
  now?: () => number;
  /** Where lines go; stderr by default, so stdout stays for results. */
  write?: (line: string) => void;
}

export class ConsoleLogger implements Logger {
  private readonly level: number;
  private readonly now: () => number;
  private readonly write: (line: string) => void;

  constructor(options: ConsoleLoggerOptions = {}) {
    this.level = RANK[options.level ?? "info"];
    this.now = options.now ?? Date.now;
    this.write = options.write ?? ((line) => process.stderr.write(line + "\n"));
  }

  log(level: LogLevel, message: string): void {
    if (RANK[level] < this.level) return;
    this.write(`${new Date(this.now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${redactSecrets(message)}`);
  }
}
