// A log port that keeps every line in memory, so tests can read what was logged. Portable.

import type { Logger, LogLevel } from "../ports.js";

export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: LogLevel; message: string }> = [];
  log(level: LogLevel, message: string): void {
    this.lines.push({ level, message });
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message}`).join("\n");
  }
}
