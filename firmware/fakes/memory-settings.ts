// A SettingsStore in memory, for tests of what is stored: it keeps the port's contract (string
// values within a board's limits, `storeLimitProblem`, a RangeError naming the key otherwise) and
// counts the writes and removals that reach it, since on a board each one wears the flash.
// Portable. (`nvs-preference.ts` fakes the SDK module one layer down, for the preference adapter.)

import { storeLimitProblem } from "../core/settings-layers.js";
import type { SettingsStore } from "../ports.js";

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
    const problem = storeLimitProblem(key, value);
    if (problem !== undefined) throw new RangeError(problem);
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
