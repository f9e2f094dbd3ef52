// The SettingsStore port for the host simulator: the board's stored settings as one JSON object
// in a file (`<data-dir>/settings.json` or `--settings <file>`), holding the same keys and within
// the same limits as NVS on a board (`storeLimitProblem`), so a setting that fits here fits there.
// Every set or removal rewrites the file through a temporary one and a rename: a crash leaves the
// old file or the new one, never half of one. A file that is not such an object is refused at
// open, naming the file: the simulator does not guess over a damaged settings file.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { storeLimitProblem } from "../../firmware/core/settings-layers.js";
import { errorMessage } from "../../firmware/core/text.js";
import type { SettingsStore } from "../../firmware/ports.js";

export class SettingsFile implements SettingsStore {
  readonly path: string;
  private readonly values: Record<string, string>;

  constructor(path: string) {
    this.path = path;
    this.values = existsSync(path) ? parse(path) : {};
  }

  get(key: string): string | undefined {
    return Object.hasOwn(this.values, key) ? this.values[key] : undefined;
  }

  set(key: string, value: string): void {
    const problem = storeLimitProblem(key, value);
    if (problem !== undefined) throw new RangeError(problem);
    this.values[key] = value;
    this.save();
  }

  remove(key: string): void {
    if (!Object.hasOwn(this.values, key)) return;
    delete this.values[key];
    this.save();
  }

  keys(): string[] {
    return Object.keys(this.values);
  }

  private save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.values, null, 2) + "\n", { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}

function parse(path: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not a settings file (${errorMessage(e)}); fix or delete it`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== "string")) {
    throw new Error(`${path}: not a settings file (must be a JSON object of strings); fix or delete it`);
  }
  return value as Record<string, string>;
}
