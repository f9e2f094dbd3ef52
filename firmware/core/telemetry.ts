// Health telemetry: every `telemetryIntervalMs` (the first report one interval after start, so a
// short run or a test sees only its sensors) the agent adds readings about itself, as ordinary
// variables named under `telemetryPrefix`. They go through the backlog like a sample: the same
// ring, journal, batches and accounting (counted sampled, delivered, dropped or buffered).
// The variables join the journal's variable list after the configured ones, so readings a boot
// journaled come back under their own names. A figure the host's Health port lacks is left out,
// never invented; figures that rarely change go out only when they do (see `report`).

import type { Health, Ports } from "../ports.js";
import type { Snapshot } from "./agent.js";
import type { Backlog } from "./backlog.js";
import { Periodic } from "./periodic.js";
import { FLAG_GROUPED, FLAG_UPTIME, type ReadingValue } from "./ring.js";
import type { TimeBase } from "./timebase.js";
import type { Variable } from "./variables.js";

export interface TelemetrySettings {
  /** How often the agent reports on itself; 0: never. */
  telemetryIntervalMs: number;
  /** The start of every telemetry variable's name: [a-z0-9_], 1 to 20 characters. */
  telemetryPrefix: string;
}

export const TELEMETRY_DEFAULTS: Readonly<TelemetrySettings> = Object.freeze({ telemetryIntervalMs: 900_000, telemetryPrefix: "agent_" });

/** The shortest interval that is not 0 (off): a report costs several billed records. */
const MIN_TELEMETRY_INTERVAL_MS = 60_000;

/** Each figure's name after the prefix and its unit; its place here is its slot in a report. */
export const TELEMETRY_FIGURES: ReadonlyArray<readonly [string, string]> = Object.freeze([
  Object.freeze(["uptime", "s"] as const),
  Object.freeze(["boots", "boots"] as const),
  Object.freeze(["reset_reason", ""] as const),
  Object.freeze(["heap_free", "B"] as const),
  Object.freeze(["rssi", "dBm"] as const),
  Object.freeze(["buffered_ram", "readings"] as const),
  Object.freeze(["buffered_flash", "readings"] as const),
  Object.freeze(["dropped", "readings"] as const),
  Object.freeze(["drop_reasons", ""] as const),
  Object.freeze(["filtered", "readings"] as const),
  Object.freeze(["requests", "requests"] as const),
  Object.freeze(["failures", "failures"] as const),
  Object.freeze(["failure_classes", ""] as const),
  Object.freeze(["last_error", ""] as const),
  Object.freeze(["journal_fill", "%"] as const),
  Object.freeze(["journal_erases", "erases"] as const),
]);

const [UPTIME, BOOTS, RESET_REASON, HEAP_FREE, RSSI, BUFFERED_RAM, BUFFERED_FLASH, DROPPED, DROP_REASONS, FILTERED, REQUESTS, FAILURES, FAILURE_CLASSES, LAST_ERROR, JOURNAL_FILL, JOURNAL_ERASES] =
  TELEMETRY_FIGURES.map((_, i) => i);

const PREFIX = /^[a-z0-9_]{1,20}$/;

/** The telemetry variables under `prefix`, in slot order; none when telemetry is off. */
export function telemetryVariables(settings: TelemetrySettings): Variable[] {
  if (settings.telemetryIntervalMs === 0) return [];
  return TELEMETRY_FIGURES.map(([name, unit]) => (unit === "" ? { name: settings.telemetryPrefix + name } : { name: settings.telemetryPrefix + name, unit }));
}

/**
 * Checks the telemetry settings of a configuration being validated (the interval's range is
 * config.ts's): takes `raw.telemetryPrefix` into `config` when valid, adds each problem to
 * `problems`, and refuses configured variables whose names telemetry would take.
 */
export function applyTelemetry(raw: Record<string, unknown>, config: TelemetrySettings & { variables: readonly Variable[] }, problems: string[]): void {
  const prefix = raw.telemetryPrefix;
  if (prefix !== undefined && prefix !== "") {
    if (typeof prefix === "string" && PREFIX.test(prefix)) config.telemetryPrefix = prefix;
    else problems.push(`telemetryPrefix: must be 1 to 20 characters of a-z, 0-9 and _ (it starts TagoIO variable names)`);
  }
  const interval = config.telemetryIntervalMs;
  if (interval > 0 && interval < MIN_TELEMETRY_INTERVAL_MS) {
    problems.push(`telemetryIntervalMs: ${interval} must be 0 (off) or at least ${MIN_TELEMETRY_INTERVAL_MS}`);
  }
  for (const t of telemetryVariables(config)) {
    const i = config.variables.findIndex((v) => v.name === t.name);
    if (i >= 0) problems.push(`variables[${i}].name: "${t.name}" is a telemetry variable's name; rename it, or change telemetryPrefix`);
  }
}

/** Counts as "name N, name N" for those above 0. */
function breakdown(counts: Readonly<Record<string, number>>): string {
  const parts: string[] = [];
  for (const key of Object.keys(counts)) if (counts[key] > 0) parts.push(`${key} ${counts[key]}`);
  return parts.join(", ");
}

export class Telemetry {
  private readonly ports: Ports;
  private readonly intervalMs: number;
  /** The variable index of slot 0. */
  private readonly first: number;
  private readonly maxStringLength: number;
  private readonly backlog: Backlog;
  private readonly timebase: TimeBase;
  private readonly snapshot: () => Snapshot;
  private readonly variables: number[] = [];
  private readonly values: ReadingValue[] = [];
  private readonly periodic: Periodic;
  /** Reports made in this boot, and what the last one said of the figures sent only on change. */
  private reports = 0;
  private lastDropped = 0;
  private lastFailures = 0;
  private lastError: string | null = null;

  constructor(
    ports: Ports,
    settings: TelemetrySettings & { maxStringLength: number },
    first: number,
    backlog: Backlog,
    timebase: TimeBase,
    snapshot: () => Snapshot,
  ) {
    this.ports = ports;
    this.intervalMs = settings.telemetryIntervalMs;
    this.maxStringLength = settings.maxStringLength;
    this.first = first;
    this.backlog = backlog;
    this.timebase = timebase;
    this.snapshot = snapshot;
    this.periodic = new Periodic(ports.clock, ports.timers, this.intervalMs, (now: number) => this.report(now));
  }

  /** The first report one interval after start, then one every interval; none when the interval is 0. */
  start(): void {
    if (this.intervalMs > 0) this.periodic.start(this.intervalMs);
  }

  stop(): void {
    this.periodic.stop();
  }

  /**
   * One report, of the figures as they stand before it is added. Boot count and reset reason go
   * in a boot's first report only, the breakdowns of drops and failures when their totals moved,
   * the last error when it changed: the dashboard shows each variable's newest value anyway.
   */
  report(now: number = this.ports.clock.monotonicMs()): void {
    const s = this.snapshot();
    const health: Health = this.ports.health ?? {};
    const backlog = this.backlog;
    let n = 0;
    const put = (slot: number, value: ReadingValue | undefined): void => {
      if (value === undefined) return;
      this.variables[n] = this.first + slot;
      this.values[n++] = value;
    };
    put(UPTIME, Math.floor(now / 1000));
    if (this.reports === 0) {
      put(BOOTS, health.bootCount?.());
      put(RESET_REASON, health.resetReason?.());
    }
    put(HEAP_FREE, health.freeMemory?.());
    put(RSSI, health.rssi?.());
    put(BUFFERED_RAM, s.buffered - backlog.bufferedInFlash);
    put(DROPPED, s.droppedTotal);
    if (s.droppedTotal !== this.lastDropped) put(DROP_REASONS, breakdown(s.dropped));
    put(FILTERED, s.filtered);
    put(REQUESTS, s.requests);
    let failures = 0;
    for (const key of Object.keys(s.failures)) failures += s.failures[key as keyof Snapshot["failures"]];
    put(FAILURES, failures);
    if (failures !== this.lastFailures) put(FAILURE_CLASSES, breakdown(s.failures));
    if (s.lastError !== null && s.lastError !== this.lastError) put(LAST_ERROR, s.lastError.slice(0, this.maxStringLength));
    if (s.journal !== undefined) {
      put(BUFFERED_FLASH, backlog.bufferedInFlash);
      put(JOURNAL_FILL, backlog.journalFill());
      put(JOURNAL_ERASES, backlog.journalWear());
    }
    this.reports++;
    this.lastDropped = s.droppedTotal;
    this.lastFailures = failures;
    this.lastError = s.lastError;
    const wall = this.timebase.observeAt(now);
    this.variables.length = n;
    this.values.length = n;
    this.backlog.addSample(this.variables, this.values, n, wall >= 0 ? wall : now, wall >= 0 ? FLAG_GROUPED : FLAG_GROUPED | FLAG_UPTIME);
  }
}
