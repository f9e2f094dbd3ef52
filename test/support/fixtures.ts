// Shared test fixtures: a valid token, the simulated board's variables, and a quiet logger that
// keeps what was logged.

import type { Logger, LogLevel } from "../../firmware/ports.js";

export { BOARD_VARIABLES } from "../../firmware/simulated/board.js";

export const TOKEN = "2f3c9a1e-8b7d-4c6a-9e5f-1a2b3c4d5e6f";
export const OTHER_TOKEN = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d";

export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: LogLevel; message: string }> = [];
  log(level: LogLevel, message: string): void {
    this.lines.push({ level, message });
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message}`).join("\n");
  }
}
