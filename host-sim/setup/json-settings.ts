// A SettingsStore in a JSON file, for `npm start -- --setup` until the host's settings file store
// takes its place: one object of string values, rewritten whole at every change.
// Policy when failing: a missing file is an empty store; an unreadable one throws, naming it.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage } from "../../firmware/core/text.js";
import type { SettingsStore } from "../../firmware/ports.js";

function read(path: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
  } catch (e) {
    throw new Error(`${path}: not a settings file (${errorMessage(e)})`);
  }
}

export class JsonSettings implements SettingsStore {
  readonly path: string;
  private readonly values: Record<string, string>;

  constructor(path: string) {
    this.path = path;
    this.values = existsSync(path) ? read(path) : {};
  }

  get(key: string): string | undefined {
    return Object.hasOwn(this.values, key) ? this.values[key] : undefined;
  }

  set(key: string, value: string): void {
    if (key.length > 15) throw new RangeError(`settings: key "${key}" is longer than 15 characters`);
    this.values[key] = value;
    this.save();
  }

  remove(key: string): void {
    delete this.values[key];
    this.save();
  }

  keys(): string[] {
    return Object.keys(this.values);
  }

  private save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, JSON.stringify(this.values, null, 2) + "\n", { mode: 0o600 });
  }
}
