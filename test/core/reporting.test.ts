// The reporting filters reading by reading: each kind, their combinations and what a reboot does
// (test/xs/reporting-cases.ts, run on XS too), what only Node can show, and how their
// configuration is checked.

import { describe, expect, it } from "vitest";
import { validateConfig } from "../../firmware/core/config.js";
import { Reporting, validateReporting, type ReportingRules } from "../../firmware/core/reporting.js";
import type { ReadingValue } from "../../firmware/core/ring.js";
import { REPORTING_CASES, runCase } from "../xs/reporting-cases.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe("reporting filters, reading by reading (the cases the XS conformance runs too)", () => {
  it.each(Object.entries(REPORTING_CASES))("%s", (_name, c) => {
    const { out, held } = runCase(c);
    expect(out).toEqual(c.expected);
    expect(held).toBe(c.values.length - c.expected.length);
  });

  it("without filters there is no stage at all", () => {
    expect(Reporting.of([{}, { reporting: {} }], SECOND)).toBeUndefined();
  });

  it("rounding keeps the sign of a value that rounds to zero, which the encoder writes as 0", () => {
    expect(runCase({ rules: { decimals: 1 }, values: [-0.04], expected: [] }).out).toEqual([[0, -0]]);
  });

  it("a window passes NaN through unaggregated (the backlog drops it as nonFinite)", () => {
    expect(runCase({ rules: { window: { samples: 2, aggregate: "mean" } }, values: [1, NaN, 3], expected: [] }).out).toEqual([
      [1000, NaN],
      [2000, 2],
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

  it("a window starts empty at a boot: a half-full one before it is not carried over", () => {
    const rules: ReportingRules = { delta: 5, window: { samples: 3, aggregate: "mean" } };
    expect(runCase({ rules, values: [10, 10, 10, 10, 10], expected: [] }).out).toEqual([[2000, 10]]);
    expect(runCase({ rules, values: [10, 10, 10], expected: [] }).out).toEqual([[2000, 10]]);
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
    const { out } = runCase({ rules: { decimals: 2, delta: 0.1, heartbeatMs: 10 * MINUTE }, values, expected: [] });
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
