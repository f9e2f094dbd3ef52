// What a sleep-mode run must show, whatever engine ran it: the invariant at every wake that
// ended by sleeping (a cut ends one mid-operation), no wake stuck awake, nothing left buffered or
// dropped after the last, every reading taken outside a cut boot stored, nothing stored twice or
// that no sensor gave.

import { expect } from "vitest";
import type { SleepScenarioResult } from "../xs/sleep-scenario.js";

const key = (r: { variable: string; time?: string }): string => `${r.variable}@${Date.parse(r.time ?? "")}`;

export function expectNothingLost(r: SleepScenarioResult): void {
  for (const w of r.wakes.filter((x) => x.endedBy === "sleep")) expect(w.sampled, JSON.stringify(w)).toBe(w.delivered + w.dropped + w.buffered + w.filtered);
  expect(r.wakes.filter((w) => w.endedBy === "stuck")).toEqual([]);
  const last = r.wakes[r.wakes.length - 1];
  expect(last.buffered).toBe(0);
  expect(last.dropped).toBe(0);
  const stored = new Set(r.stored.map(key));
  expect(r.taken.filter((k) => !stored.has(k))).toEqual([]);
  const taken = new Set([...r.taken, ...r.takenAtCut]);
  expect(r.stored.map(key).filter((k) => !taken.has(k))).toEqual([]);
  expect(r.duplicates).toBe(0);
}
