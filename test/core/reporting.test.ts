// The reporting filters reading by reading: each kind, their combinations, what a reboot does,
// and how their configuration is checked.

import { describe, expect, it } from "vitest";
import { validateConfig } from "../../firmware/core/config.js";
import { Reporting, validateReporting, type ReportingRules } from "../../firmware/core/reporting.js";
import type { ReadingValue } from "../../firmware/core/ring.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Feeds one variable's readings, one sample every `intervalMs` from monotonic 0, through filters
 * `rules`; returns what went on, as [time, value], and how many were held back.
 */
function run(rules: ReportingRules, values: readonly ReadingValue[], intervalMs = SECOND, reporting = Reporting.of([{ reporting: rules }], intervalMs)): { out: Array<[number, ReadingValue]>; held: number } {
  const out: Array<[number, ReadingValue]> = [];
  let held = 0;
  values.forEach((value, i) => {
    const now = i * intervalMs;
    const variables = [0];
    const sample = [value];
    const kept = reporting!.apply(variables, sample, 1, now);
    if (kept === 1) out.push([now, sample[0]]);
    else held++;
  });
  return { out, held };
}

describe("reporting filters, one kind at a time", () => {
  it("without filters there is no stage at all", () => {
    expect(Reporting.of([{}, { reporting: {} }], SECOND)).toBeUndefined();
  });

  it("decimals round every number (the value sent is the value stored), and leave other values alone", () => {
    const { out, held } = run({ decimals: 1 }, [21.449, 21.45, -0.04, 101325.26, true, "ok"]);
    expect(out.map(([, v]) => v)).toEqual([21.4, 21.5, -0, 101325.3, true, "ok"]);
    expect(held).toBe(0);
  });

  it("delta sends a number only when it moved by at least delta from the last one sent", () => {
    const { out } = run({ delta: 0.5 }, [20, 20.2, 20.4, 20.5, 20.6, 19.9, 20.1, 21.5]);
    expect(out).toEqual([
      [0, 20],
      [3000, 20.5],
      [5000, 19.9],
      [7000, 21.5],
    ]);
  });

  it("a percent delta is relative to the last value sent; from 0, any change goes on", () => {
    const { out } = run({ deltaPercent: 10 }, [100, 109, 110.5, 99, 0, 0, 0.001]);
    expect(out.map(([, v]) => v)).toEqual([100, 110.5, 99, 0, 0.001]);
  });

  it("booleans and strings under delta go on when they change", () => {
    const { out } = run({ delta: 1 }, [true, true, false, false, "a", "a", "b"]);
    expect(out.map(([, v]) => v)).toEqual([true, false, "a", "b"]);
  });

  it("heartbeat alone sends any change, and the unchanged value again once heartbeatMs has passed", () => {
    const { out } = run({ heartbeatMs: 5 * SECOND }, [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(out).toEqual([
      [0, 1],
      [3000, 2],
      [8000, 2],
      [13000, 2],
    ]);
  });

  it("throttle sends at most one value per throttleMs, whatever it is", () => {
    const { out, held } = run({ throttleMs: 3 * SECOND }, [1, 2, 3, 4, 5, 6, 7]);
    expect(out).toEqual([
      [0, 1],
      [3000, 4],
      [6000, 7],
    ]);
    expect(held).toBe(4);
  });

  it("a window of N samples sends one aggregate per N, stamped with its last sample", () => {
    const values = [4, 1, 3, 2, 10, 30, 20, 40];
    expect(run({ window: { samples: 4, aggregate: "mean" } }, values).out).toEqual([
      [3000, 2.5],
      [7000, 25],
    ]);
    expect(run({ window: { samples: 4, aggregate: "min" } }, values).out.map(([, v]) => v)).toEqual([1, 10]);
    expect(run({ window: { samples: 4, aggregate: "max" } }, values).out.map(([, v]) => v)).toEqual([4, 40]);
    expect(run({ window: { samples: 4, aggregate: "median" } }, values).out.map(([, v]) => v)).toEqual([2.5, 25]);
    expect(run({ window: { samples: 3, aggregate: "median" } }, [9, 1, 5, 7, 7, 0]).out.map(([, v]) => v)).toEqual([5, 7]);
    // 8 readings, 2 go on: 6 held back.
    expect(run({ window: { samples: 4, aggregate: "mean" } }, values).held).toBe(6);
  });

  it("a window of T milliseconds closes with the last sample that falls inside it", () => {
    const { out } = run({ window: { ms: 10 * SECOND, aggregate: "max" } }, [1, 5, 2, 8, 3, 9, 4, 7, 6, 0, 11, 1, 1], 2 * SECOND);
    // Samples at 0, 2 ... 8 s fill the first window; 10 ... 18 s the second; 20 s opens a third.
    expect(out).toEqual([
      [8000, 8],
      [18000, 9],
    ]);
  });

  it("a window passes values it cannot aggregate (booleans, strings, NaN) through at once", () => {
    const { out } = run({ window: { samples: 2, aggregate: "mean" } }, [1, true, 3, NaN, "x"]);
    expect(out.map(([, v]) => v)).toEqual([true, 2, NaN, "x"]);
  });
});

describe("reporting filters combined", () => {
  it("delta with a heartbeat: Tasmota's PowerDelta with TelePeriod, Zigbee's reportable change with a maximum interval", () => {
    const values = [20, 20.05, 20.08, 20.2, 20.2, 20.2, 20.2, 20.2, 20.2, 20.2];
    const { out } = run({ delta: 0.1, heartbeatMs: 5 * SECOND }, values);
    expect(out).toEqual([
      [0, 20],
      [3000, 20.2],
      [8000, 20.2],
    ]);
  });

  it("throttle, delta and heartbeat: Zigbee's minimum interval, reportable change and maximum interval", () => {
    const values = [0, 5, 5, 9, 9, 9, 9, 9, 9, 9, 9, 9];
    const { out } = run({ throttleMs: 2 * SECOND, delta: 1, heartbeatMs: 6 * SECOND }, values);
    // 5 at 1 s is within the throttle; at 2 s it goes on; 9 at 3 s waits for 4 s; then the heartbeat.
    expect(out).toEqual([
      [0, 0],
      [2000, 5],
      [4000, 9],
      [10000, 9],
    ]);
  });

  it("a window then decimals then delta: ESPHome's throttle_average with a delta after it", () => {
    const values = [20.01, 20.02, 20.03, 20.04, 20.31, 20.32, 20.33, 20.34, 20.35, 20.36, 20.37, 20.38];
    const { out } = run({ window: { samples: 4, aggregate: "mean" }, decimals: 1, delta: 0.2 }, values);
    // Means 20.025, 20.325, 20.365 round to 20, 20.3, 20.4: the second moved 0.3, the third 0.1.
    expect(out).toEqual([
      [3000, 20],
      [7000, 20.3],
    ]);
  });

  it("filters act per variable: a sample of two variables keeps its order and drops only what is held back", () => {
    const reporting = Reporting.of([{ reporting: { delta: 1 } }, {}], SECOND)!;
    const variables = [0, 1];
    const values: ReadingValue[] = [10, 50];
    expect(reporting.apply(variables, values, 2, 0)).toBe(2);
    const second = [0, 1];
    const secondValues: ReadingValue[] = [10.5, 51];
    expect(reporting.apply(second, secondValues, 2, SECOND)).toBe(1);
    expect(second[0]).toBe(1);
    expect(secondValues[0]).toBe(51);
  });
});

describe("reporting filters across a reboot", () => {
  it("start empty: the first sample after boot always goes on, and a half-full window starts again", () => {
    const rules: ReportingRules = { delta: 5, window: { samples: 3, aggregate: "mean" } };
    const before = run(rules, [10, 10, 10, 10, 10]);
    expect(before.out).toEqual([[2000, 10]]);
    // A new boot (a new agent, so new filters): the first window's aggregate goes on even unchanged.
    const after = run(rules, [10, 10, 10]);
    expect(after.out).toEqual([[2000, 10]]);
  });
});

describe("reporting filter configuration", () => {
  const at = "variables[0]";
  const check = (entry: Record<string, unknown>): { rules: ReportingRules; problems: string[] } => {
    const problems: string[] = [];
    return { rules: validateReporting(entry, at, problems), problems };
  };

  it("takes numbers as numbers or strings (as mcconfig gives them), and a delta in percent", () => {
    expect(check({ decimals: "2", delta: "0.25", heartbeatMs: 600000, throttleMs: "30000" })).toEqual({
      rules: { decimals: 2, delta: 0.25, heartbeatMs: 600000, throttleMs: 30000 },
      problems: [],
    });
    expect(check({ delta: "5%" }).rules).toEqual({ deltaPercent: 5 });
    expect(check({ window: { ms: 60000 } }).rules).toEqual({ window: { ms: 60000, aggregate: "mean" } });
  });

  it("names every bad filter with the rule it breaks", () => {
    const { problems } = check({ decimals: 12, delta: "lots", heartbeatMs: 500, throttleMs: -1, window: { samples: 3, ms: 1000 } });
    expect(problems).toEqual([
      `${at}.decimals: must be a whole number from 0 to 9`,
      `${at}.delta: must be a number of at least 0, or a percentage such as "5%" (above 0%, at most 1000%)`,
      `${at}.heartbeatMs: must be a whole number from 1000 to 604800000`,
      `${at}.throttleMs: must be a whole number from 1 to 86400000`,
      `${at}.window: must be {"samples": N} or {"ms": T}, with an optional "aggregate" (mean, min, max, median)`,
    ]);
    expect(check({ throttleMs: 60000, heartbeatMs: 60000 }).problems).toEqual([`${at}.throttleMs: 60000 must be below heartbeatMs (60000)`]);
    expect(check({ window: { samples: 300, aggregate: "median" } }).problems).toEqual([`${at}.window.samples: must be a whole number from 2 to 256`]);
    expect(check({ window: { samples: 10, aggregate: "average" } }).problems).toEqual([`${at}.window.aggregate: "average" must be one of mean, min, max, median`]);
    expect(check({ delta: "0%" }).problems).toHaveLength(1);
  });

  it("stops the start when a median over a time window would keep too many values", () => {
    const result = validateConfig({
      token: "6a2c1f0e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
      sampleIntervalMs: 1000,
      variables: [{ name: "t", sensor: "s", field: "t", window: { ms: 600000, aggregate: "median" } }],
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual(["variables[0].window: a median over 600000 ms at one sample every 1000 ms keeps more than 256 values"]);
  });

  it("keeps the filters on the validated variable", () => {
    const result = validateConfig({
      token: "6a2c1f0e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
      variables: [{ name: "t", unit: "°C", sensor: "s", field: "t", delta: 0.1, heartbeatMs: 600000 }],
    });
    expect(result.ok && result.config.variables[0]).toEqual({ name: "t", unit: "°C", sensor: "s", field: "t", reporting: { delta: 0.1, heartbeatMs: 600000 } });
  });
});

// Every value a window, decimals and delta produce below is checked against minutes of readings.
describe("reporting filters over time", () => {
  it("a 1 Hz signal with a delta and a heartbeat never strays further than the delta from what was sent", () => {
    const values = Array.from({ length: 30 * 60 }, (_, i) => 20 + 3 * Math.sin(i / 200) + ((i * 7919) % 13) / 100);
    const { out } = run({ decimals: 2, delta: 0.1, heartbeatMs: 10 * MINUTE }, values);
    let sent = 0;
    let worst = 0;
    values.forEach((v, i) => {
      while (sent + 1 < out.length && out[sent + 1][0] <= i * SECOND) sent++;
      worst = Math.max(worst, Math.abs(v - (out[sent][1] as number)));
    });
    expect(worst).toBeLessThan(0.1 + 0.005);
    // About one reading in nine goes on.
    expect(out.length).toBeLessThan(values.length / 8);
  });
});
