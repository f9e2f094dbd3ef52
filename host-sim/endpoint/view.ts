// What the dashboard page reads from the endpoint: the paths, the JSON of the one view route and
// the period arithmetic, shared by the server (dashboard.ts) and the page (page/), so both sides
// compile against one definition. Types and pure functions only: no Node, no DOM.

/** Every dashboard path but the page itself (`/`) lives under here. */
export const DASHBOARD_PREFIX = "/_local/dashboard/";
export const VIEW_PATH = `${DASHBOARD_PREFIX}view`;
export const SCRIPT_PATH = `${DASHBOARD_PREFIX}app.js`;
export const STYLE_PATH = `${DASHBOARD_PREFIX}app.css`;

/** Health telemetry's variables start with this (the agent's default prefix); the page shows them apart. */
export const HEALTH_PREFIX = "agent_";

/** Periods the page offers; null: everything stored. */
export const PERIODS: ReadonlyArray<{ label: string; ms: number | null }> = [
  { label: "15 min", ms: 15 * 60_000 },
  { label: "1 h", ms: 3_600_000 },
  { label: "24 h", ms: 86_400_000 },
  { label: "all", ms: null },
];

/** Points a view answer carries at most; the page asks again at once for the rest. */
export const MAX_POINTS_PER_ANSWER = 50_000;

export interface DeviceSummary {
  /** The device's public id, never its token. */
  id: string;
  name: string;
  active: boolean;
  /** ISO time of the last POST /data, null before the first. */
  lastInput: string | null;
  records: number;
}

/** A variable's newest reading (by its time). */
export interface Latest {
  variable: string;
  value: string | number | boolean;
  unit?: string;
  /** ISO 8601. */
  time: string;
}

export interface ParamView {
  key: string;
  value: string;
  /** The device has marked it read. */
  sent: boolean;
}

/** Numeric readings of one variable, in the order they arrived: times in ms and values. */
export interface Series {
  t: number[];
  v: number[];
}

export interface DeviceView {
  device: DeviceSummary;
  /** The newest reading's time in ms (the chosen period ends there); null without readings. */
  newestMs: number | null;
  latest: Latest[];
  params: ParamView[];
  /** Readings stored after the request's `after` mark, inside the period. */
  series: Record<string, Series>;
  /** Give as `after` next time: readings up to this mark have been sent. */
  mark: number;
  /** False when more readings wait past `mark`: ask again at once. */
  complete: boolean;
}

/**
 * `GET VIEW_PATH?device=<id>&period=<ms>&after=<mark>`: every device, and the one asked for (the
 * first without `device`); no `period`: all readings; no `after`: from the start.
 */
export interface ViewAnswer {
  devices: DeviceSummary[];
  view?: DeviceView;
}

/** Where a period ending at the newest reading starts: readings at or after it are inside. */
export function periodStart(newestMs: number, periodMs: number | null): number {
  return periodMs === null ? Number.NEGATIVE_INFINITY : newestMs - periodMs;
}
