// The reporting filters reading by reading, as data: one variable's readings, one sample every
// `intervalMs` from monotonic 0, through its filters, and what must go on. Portable: the XS
// conformance runs every case on xsnap and on Node from one bundle; the unit tests run them too.

import { Reporting, type ReportingRules } from "../../firmware/core/reporting.js";
import type { ReadingValue } from "../../firmware/core/ring.js";

const SECOND = 1000;

export interface ReportingCase {
  rules: ReportingRules;
  values: ReadingValue[];
  intervalMs?: number;
  /** The value that went on before a reboot, as a journal hands it back at boot. */
  resumed?: ReadingValue;
  /** What goes on: [monotonic ms, value]. */
  expected: Array<[number, ReadingValue]>;
}

export interface CaseRun {
  out: Array<[number, ReadingValue]>;
  /** Readings held back. */
  held: number;
}

export function runCase(c: ReportingCase): CaseRun {
  const intervalMs = c.intervalMs ?? SECOND;
  const reporting = Reporting.of([{ reporting: c.rules }], intervalMs);
  if (reporting === undefined) throw new Error("a case needs filters");
  if (c.resumed !== undefined) reporting.resume([c.resumed], 0);
  const out: Array<[number, ReadingValue]> = [];
  let held = 0;
  c.values.forEach((value, i) => {
    const now = i * intervalMs;
    const variables = [0];
    const sample = [value];
    if (reporting.apply(variables, sample, 1, now) === 1) out.push([now, sample[0]]);
    else held++;
  });
  return { out, held };
}

const at = (values: ReadingValue[]): Array<[number, ReadingValue]> => values.map((v, i) => [i * SECOND, v]);

export const REPORTING_CASES: Readonly<Record<string, ReportingCase>> = {
  "decimals round numbers and leave other values alone": {
    rules: { decimals: 1 },
    values: [21.449, 21.45, -0.06, 101325.26, true, "ok"],
    expected: at([21.4, 21.5, -0.1, 101325.3, true, "ok"]),
  },
  "delta: a number goes on when it moved by at least delta from the last one sent": {
    rules: { delta: 0.5 },
    values: [20, 20.2, 20.4, 20.5, 20.6, 19.9, 20.1, 21.5],
    expected: [
      [0, 20],
      [3000, 20.5],
      [5000, 19.9],
      [7000, 21.5],
    ],
  },
  "delta in binary: a change of 0.1 written in decimals reaches a delta of 0.1": {
    rules: { delta: 0.1 },
    values: [20.05, 20.1, 20.15, 20.2],
    expected: [
      [0, 20.05],
      [2000, 20.15],
    ],
  },
  "a percent delta is relative to the last value sent; from 0, any change goes on": {
    rules: { deltaPercent: 10 },
    values: [100, 109, 110.5, 99, 0, 0, 0.001],
    expected: [
      [0, 100],
      [2000, 110.5],
      [3000, 99],
      [4000, 0],
      [6000, 0.001],
    ],
  },
  "booleans and strings under delta go on when they change": {
    rules: { delta: 1 },
    values: [true, true, false, false, "a", "a", "b"],
    expected: [
      [0, true],
      [2000, false],
      [4000, "a"],
      [6000, "b"],
    ],
  },
  "heartbeat alone: any change, and the unchanged value again once heartbeatMs has passed": {
    rules: { heartbeatMs: 5 * SECOND },
    values: [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
    expected: [
      [0, 1],
      [3000, 2],
      [8000, 2],
      [13000, 2],
    ],
  },
  "throttle: at most one value per throttleMs, whatever it is": {
    rules: { throttleMs: 3 * SECOND },
    values: [1, 2, 3, 4, 5, 6, 7],
    expected: [
      [0, 1],
      [3000, 4],
      [6000, 7],
    ],
  },
  "a mean over 4 samples, stamped with the window's last": {
    rules: { window: { samples: 4, aggregate: "mean" } },
    values: [4, 1, 3, 2, 10, 30, 20, 40],
    expected: [
      [3000, 2.5],
      [7000, 25],
    ],
  },
  "a min over 4 samples": {
    rules: { window: { samples: 4, aggregate: "min" } },
    values: [4, 1, 3, 2, 10, 30, 20, 40],
    expected: [
      [3000, 1],
      [7000, 10],
    ],
  },
  "a max over 4 samples": {
    rules: { window: { samples: 4, aggregate: "max" } },
    values: [4, 1, 3, 2, 10, 30, 20, 40],
    expected: [
      [3000, 4],
      [7000, 40],
    ],
  },
  "a median over 4 samples: the mean of the middle two": {
    rules: { window: { samples: 4, aggregate: "median" } },
    values: [4, 1, 3, 2, 10, 30, 20, 40],
    expected: [
      [3000, 2.5],
      [7000, 25],
    ],
  },
  "a median over 3 samples": {
    rules: { window: { samples: 3, aggregate: "median" } },
    values: [9, 1, 5, 7, 7, 0],
    expected: [
      [2000, 5],
      [5000, 7],
    ],
  },
  "a window of T ms closes with the last sample that falls inside it": {
    rules: { window: { ms: 10 * SECOND, aggregate: "max" } },
    values: [1, 5, 2, 8, 3, 9, 4, 7, 6, 0, 11, 1, 1],
    intervalMs: 2 * SECOND,
    expected: [
      [8000, 8],
      [18000, 9],
    ],
  },
  "a window passes booleans and strings through at once": {
    rules: { window: { samples: 2, aggregate: "mean" } },
    values: [1, true, 3, "x"],
    expected: [
      [1000, true],
      [2000, 2],
      [3000, "x"],
    ],
  },
  "delta with a heartbeat (Tasmota's PowerDelta with TelePeriod, Zigbee's reportable change with a maximum interval)": {
    rules: { delta: 0.1, heartbeatMs: 5 * SECOND },
    values: [20, 20.05, 20.08, 20.2, 20.2, 20.2, 20.2, 20.2, 20.2, 20.2],
    expected: [
      [0, 20],
      [3000, 20.2],
      [8000, 20.2],
    ],
  },
  "throttle, delta and heartbeat (Zigbee's minimum interval, reportable change and maximum interval)": {
    rules: { throttleMs: 2 * SECOND, delta: 1, heartbeatMs: 6 * SECOND },
    values: [0, 5, 5, 9, 9, 9, 9, 9, 9, 9, 9, 9],
    expected: [
      [0, 0],
      [2000, 5],
      [4000, 9],
      [10000, 9],
    ],
  },
  "a window, then decimals, then delta (ESPHome's throttle_average with a delta after it)": {
    rules: { window: { samples: 4, aggregate: "mean" }, decimals: 1, delta: 0.2 },
    values: [20.01, 20.02, 20.03, 20.04, 20.31, 20.32, 20.33, 20.34, 20.35, 20.36, 20.37, 20.38],
    expected: [
      [3000, 20],
      [7000, 20.3],
    ],
  },
  "after a reboot with a journal: resumed from the last value sent, an unchanged value waits for the heartbeat": {
    rules: { delta: 0.5, heartbeatMs: 4 * SECOND },
    resumed: 20,
    values: [20, 20.2, 20, 20, 20, 20.4],
    expected: [[4000, 20]],
  },
  "after a reboot without a journal: the first value goes on": {
    rules: { delta: 0.5, heartbeatMs: 4 * SECOND },
    values: [20, 20.2, 20, 20, 20, 20.4],
    expected: [
      [0, 20],
      [4000, 20],
    ],
  },
};
