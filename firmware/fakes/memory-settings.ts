// A SettingsStore in memory, for tests of what is stored: it keeps the port's contract (string
// values, keys of at most 15 characters, a RangeError naming the key otherwise) and counts the
// writes and removals that reach it, since on a board each one wears the flash. Portable.

import type { SettingsStore } from "../ports.js";

const MAX_KEY_LENGTH = 15;

export class MemorySettings implements SettingsStore {
  private readonly values = new Map<string, string>();
  /** set and remove calls that reached the store. */
  writes = 0;

  constructor(initial: Readonly<Record<string, string>> = {}) {
    for (const [key, value] of Object.entries(initial)) this.values.set(key, value);
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  set(key: string, value: string): void {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new RangeError(`settings: key "${key}" must be 1 to ${MAX_KEY_LENGTH} characters`);
    this.writes++;
    this.values.set(key, value);
  }

  remove(key: string): void {
    this.writes++;
    this.values.delete(key);
  }

  keys(): string[] {
    return [...this.values.keys()];
  }

  /** Everything stored, for assertions. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}
