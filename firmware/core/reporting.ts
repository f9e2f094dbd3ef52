// Reporting filters: per variable, which readings are worth a TagoIO record. Applied at sampling,
// before the backlog, so a reading they hold back costs no RAM, flash, radio or transaction; it
// is counted `filtered`, never dropped. In the order they act on a reading:
// - window: numbers are aggregated over `samples` samples or `ms` milliseconds (mean, min, max or
//   median) and one value per window goes on, with the time of the window's last sample;
// - decimals: the value is rounded, so the value sent is the value stored;
// - throttle, heartbeat and delta: a value goes on only if `throttleMs` has passed since the last
//   one that went on, and then if it differs from it by `delta` (or `delta` percent of it), or
//   if `heartbeatMs` has passed. With `heartbeatMs` and no `delta`, any change goes on. Booleans
//   and strings go on when they change.
// With a flash journal, each variable resumes at boot from its newest value on flash (the last one
// that went on), as if it went on at the boot; without one, the first sample always goes on. With
// a journal, each number that joins a window is journaled as a window entry (reading-frame.ts),
// and a window a reboot left open is closed at the boot with what it held; without one, a window
// starts empty at every boot.

import type { WindowEntries } from "./reading-frame.js";
import type { ReadingValue } from "./ring.js";
import { AGGREGATES, type Aggregate, MEDIAN_MAX_SAMPLES, WindowState } from "./window.js";

export { AGGREGATES, MEDIAN_MAX_SAMPLES, type Aggregate };

/** A variable's reporting filters, as validated. */
export interface ReportingRules {
  decimals?: number;
  /** Least change that goes on, absolute. */
  delta?: number;
  /** Least change that goes on, in percent of the last value that went on. */
  deltaPercent?: number;
  heartbeatMs?: number;
  throttleMs?: number;
  window?: { samples?: number; ms?: number; aggregate: Aggregate };
}

/** The configuration keys of a variable that hold its filters. */
export const REPORTING_KEYS: readonly string[] = Object.freeze(["decimals", "delta", "heartbeatMs", "throttleMs", "window"]);

const DAY_MS = 86_400_000;

function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) ? n : undefined;
}

function inRange(entry: Record<string, unknown>, key: string, min: number, max: number, at: string, problems: string[]): number | undefined {
  if (entry[key] === undefined) return undefined;
  const n = wholeNumber(entry[key]);
  if (n === undefined || n < min || n > max) {
    problems.push(`${at}.${key}: must be a whole number from ${min} to ${max}`);
    return undefined;
  }
  return n;
}

/** A variable's filters from its configuration entry; each problem is added to `problems`, named by `at`. */
export function validateReporting(entry: Record<string, unknown>, at: string, problems: string[]): ReportingRules {
  const rules: ReportingRules = {};
  const decimals = inRange(entry, "decimals", 0, 9, at, problems);
  if (decimals !== undefined) rules.decimals = decimals;
  const delta = entry.delta;
  if (delta !== undefined) {
    const percent = typeof delta === "string" && /^\s*[0-9.]+\s*%\s*$/.test(delta) ? Number(delta.replace("%", "")) : undefined;
    const absolute = typeof delta === "number" ? delta : typeof delta === "string" && percent === undefined && delta.trim() !== "" ? Number(delta) : NaN;
    if (percent !== undefined && percent > 0 && percent <= 1000) rules.deltaPercent = percent;
    else if (percent === undefined && absolute >= 0 && absolute < Infinity) rules.delta = absolute;
    else problems.push(`${at}.delta: must be a number of at least 0, or a percentage such as "5%" (above 0%, at most 1000%)`);
  }
  const heartbeatMs = inRange(entry, "heartbeatMs", 1_000, 7 * DAY_MS, at, problems);
  if (heartbeatMs !== undefined) rules.heartbeatMs = heartbeatMs;
  const throttleMs = inRange(entry, "throttleMs", 1, DAY_MS, at, problems);
  if (throttleMs !== undefined) rules.throttleMs = throttleMs;
  if (heartbeatMs !== undefined && throttleMs !== undefined && throttleMs >= heartbeatMs) {
    problems.push(`${at}.throttleMs: ${throttleMs} must be below heartbeatMs (${heartbeatMs})`);
  }
  const window = entry.window;
  if (window !== undefined) {
    const w = typeof window === "object" && window !== null && !Array.isArray(window) ? (window as Record<string, unknown>) : undefined;
    const aggregate = w?.aggregate ?? "mean";
    if (w === undefined || (w.samples === undefined) === (w.ms === undefined)) {
      problems.push(`${at}.window: must be {"samples": N} or {"ms": T}, with an optional "aggregate" (${AGGREGATES.join(", ")})`);
    } else if (!AGGREGATES.includes(aggregate as Aggregate)) {
      problems.push(`${at}.window.aggregate: ${JSON.stringify(aggregate)} must be one of ${AGGREGATES.join(", ")}`);
    } else {
      const max = aggregate === "median" ? MEDIAN_MAX_SAMPLES : 100_000;
      const samples = inRange(w, "samples", 2, max, `${at}.window`, problems);
      const ms = inRange(w, "ms", 1_000, DAY_MS, `${at}.window`, problems);
      if (samples !== undefined) rules.window = { samples, aggregate: aggregate as Aggregate };
      if (ms !== undefined) rules.window = { ms, aggregate: aggregate as Aggregate };
    }
  }
  return rules;
}

/** What a configuration's filters ask of its sample interval (a median over a time window keeps every value of it). */
export function reportingProblems(variables: readonly { reporting?: ReportingRules }[], sampleIntervalMs: number): string[] {
  const problems: string[] = [];
  variables.forEach((v, i) => {
    const w = v.reporting?.window;
    if (w?.ms !== undefined && w.aggregate === "median" && w.ms / sampleIntervalMs > MEDIAN_MAX_SAMPLES) {
      problems.push(`variables[${i}].window: a median over ${w.ms} ms at one sample every ${sampleIntervalMs} ms keeps more than ${MEDIAN_MAX_SAMPLES} values`);
    }
  });
  return problems;
}

/** One variable's filters and their state. */
class VariableFilter {
  private readonly scale: number;
  private readonly delta: number;
  private readonly percent: number;
  private readonly heartbeatMs: number;
  private readonly throttleMs: number;
  /** Whether a value goes on only when it changed (or the heartbeat is due). */
  private readonly onChange: boolean;
  private readonly gated: boolean;
  private readonly windowSamples: number;
  private readonly windowMs: number;
  private readonly aggregate: Aggregate | undefined;
  private sent: ReadingValue | undefined;
  private sentAt = 0;
  private readonly window: WindowState;

  constructor(rules: ReportingRules) {
    this.scale = rules.decimals === undefined ? 0 : Math.pow(10, rules.decimals);
    this.delta = rules.delta ?? -1;
    this.percent = rules.deltaPercent ?? -1;
    this.heartbeatMs = rules.heartbeatMs ?? Infinity;
    this.throttleMs = rules.throttleMs ?? 0;
    this.onChange = rules.delta !== undefined || rules.deltaPercent !== undefined || rules.heartbeatMs !== undefined;
    this.gated = this.onChange || rules.throttleMs !== undefined;
    this.windowSamples = rules.window?.samples ?? 0;
    this.windowMs = rules.window?.ms ?? 0;
    this.aggregate = rules.window?.aggregate;
    this.window = new WindowState(this.aggregate === "median");
  }

  /** `value` went on at monotonic `now` (before a reboot): throttle, delta and heartbeat start from it. */
  resume(value: ReadingValue, now: number): void {
    this.sent = value;
    this.sentAt = now;
  }

  /** The value a window a reboot left open goes on with at the boot: its aggregate (the mean with no window now), rounded. */
  closeAtBoot(open: WindowState, now: number): number {
    const value = this.rounded(open.close(this.aggregate ?? "mean"));
    this.resume(value, now);
    return value;
  }

  /** Closes its window, when one is open: its aggregate, rounded; undefined when none is open. */
  closeOpen(): number | undefined {
    return this.aggregate !== undefined && this.window.count > 0 ? this.rounded(this.window.close(this.aggregate)) : undefined;
  }

  private rounded(value: number): number {
    return this.scale > 0 ? Math.round(value * this.scale) / this.scale : value;
  }

  /**
   * The value that goes on for `value` taken at monotonic `now`, or undefined when it is held
   * back. A number that joins a window is added to `entries`, and so is the window's close.
   */
  pass(value: ReadingValue, now: number, intervalMs: number, variable: number, entries: WindowEntries): ReadingValue | undefined {
    if (typeof value === "number" && value - value === 0) {
      if (this.aggregate !== undefined) {
        const closed = this.add(value, now, intervalMs);
        entries.variables.push(variable);
        entries.values.push(closed === undefined ? value : NaN);
        if (closed === undefined) return undefined;
        value = closed;
      }
      value = this.rounded(value);
    }
    if (this.gated && this.sent !== undefined) {
      const age = now - this.sentAt;
      if (age < this.throttleMs) return undefined;
      if (this.onChange && age < this.heartbeatMs && !this.changed(value, this.sent)) return undefined;
    }
    this.sent = value;
    this.sentAt = now;
    return value;
  }

  private changed(value: ReadingValue, sent: ReadingValue): boolean {
    if (typeof value !== "number" || typeof sent !== "number") return value !== sent;
    // Within a billionth of the threshold counts as reaching it: 20.15 - 20.05 is 0.0999...98 in binary.
    const change = Math.abs(value - sent) * (1 + 1e-9);
    if (change === 0) return false;
    if (this.delta >= 0) return change >= this.delta;
    if (this.percent > 0) return change >= (Math.abs(sent) * this.percent) / 100;
    return true;
  }

  /** Adds a number to the window; returns the window's aggregate when this sample closes it. */
  private add(value: number, now: number, intervalMs: number): number | undefined {
    const window = this.window;
    window.add(value, now);
    // A time window closes with its last sample: the one after it would fall outside.
    const full = this.windowSamples > 0 ? window.count >= this.windowSamples : now + intervalMs - window.start >= this.windowMs;
    return full ? window.close(this.aggregate as Aggregate) : undefined;
  }
}

/** The filters of every variable that has any; applied to each sample before the backlog takes it. */
export class Reporting {
  private readonly filters: (VariableFilter | undefined)[];
  private readonly intervalMs: number;
  /** The last sample's window entries, for the journal. */
  private readonly entries: WindowEntries = { variables: [], values: [] };

  /** Undefined when no variable has a filter: sampling then skips this stage. */
  static of(variables: readonly { reporting?: ReportingRules }[], sampleIntervalMs: number): Reporting | undefined {
    const filters = variables.map((v) => (v.reporting !== undefined && Object.keys(v.reporting).length > 0 ? new VariableFilter(v.reporting) : undefined));
    return filters.some((f) => f !== undefined) ? new Reporting(filters, sampleIntervalMs) : undefined;
  }

  private constructor(filters: (VariableFilter | undefined)[], sampleIntervalMs: number) {
    this.filters = filters;
    this.intervalMs = sampleIntervalMs;
  }

  /** Each variable's last value that went on, `values[i]` of variable `i` (undefined: none known), as of monotonic `now`. */
  resume(values: ReadonlyArray<ReadingValue | undefined>, now: number): void {
    values.forEach((value, i) => {
      if (value !== undefined) this.filters[i]?.resume(value, now);
    });
  }

  /** The value variable `variable`'s window a reboot left open goes on with at monotonic `now`; undefined when it has no filters now. */
  closeAtBoot(variable: number, open: WindowState, now: number): number | undefined {
    return this.filters[variable]?.closeAtBoot(open, now);
  }

  /** Closes the windows open now, as their rules are being replaced: each variable into `variables`, the value it goes on with into `values`. */
  closeOpen(variables: number[], values: number[]): void {
    this.filters.forEach((filter, variable) => {
      const value = filter?.closeOpen();
      if (value === undefined) return;
      variables.push(variable);
      values.push(value);
    });
  }

  /**
   * Applies the filters to a sample taken at monotonic `now`: `values[i]` of variable
   * `variables[i]`, `count` of them. What goes on is moved to the front, in order, with its value
   * as filtered; returns how many went on.
   */
  apply(variables: number[], values: ReadingValue[], count: number, now: number): number {
    const entries = this.entries;
    entries.variables.length = 0;
    entries.values.length = 0;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const filter = this.filters[variables[i]];
      const value = filter === undefined ? values[i] : filter.pass(values[i], now, this.intervalMs, variables[i], entries);
      if (value === undefined) continue;
      variables[kept] = variables[i];
      values[kept++] = value;
    }
    return kept;
  }

  /** The last sample's window entries, for the journal; undefined when it has none. */
  windowEntries(): WindowEntries | undefined {
    return this.entries.values.length > 0 ? this.entries : undefined;
  }
}
