// Which settings a running agent takes without a reboot, and which only at the next boot.
// Live (Agent.retune): the sampler's interval and every variable's filters (the sampler is
// rescheduled and its filters rebuilt: their state starts over, so the next reading of each
// variable goes on), the upload interval (an upload is tried at once, then at the new interval),
// the request ceiling, telemetry's interval (while it stays on), the params interval, and the
// settings the uplink reads at each use (timeouts, backoff, waits, response bound,
// uploadWithoutTime). Everything else shapes memory or what is on flash (buffer, batch bytes,
// strings, journal, the variable list, telemetry on or off and its prefix, the landing deadline)
// and waits for the next boot. Where and as whom the agent connects is never changed remotely.

import type { AgentConfig } from "./config.js";

type Key = keyof AgentConfig;

/** Read by the uplink and the wire at each use: a new value needs nothing but to be in the config. */
const READ_AT_USE: readonly Key[] = Object.freeze([
  "requestTimeoutMs",
  "maxResponseBytes",
  "backoffBaseMs",
  "backoffCapMs",
  "rateLimitJitterMs",
  "maxRetryAfterMs",
  "authRetryMs",
  "refusedRetryMs",
  "uploadWithoutTime",
]);

/** The keys Agent.retune takes; `variables` only for its entries' filters. */
export const LIVE_KEYS: readonly Key[] = Object.freeze([
  ...READ_AT_USE,
  "sampleIntervalMs",
  "uploadIntervalMs",
  "maxRequestsPerMinute",
  "telemetryIntervalMs",
  "paramsIntervalMs",
]);

/** Never from a TagoIO parameter: the token and where the agent connects. */
export const LOCAL_ONLY_KEYS: readonly string[] = Object.freeze(["token", "region", "host", "port", "https", "verifyTls"]);

function sameVariable(a: AgentConfig["variables"][number], b: AgentConfig["variables"][number]): boolean {
  return a.name === b.name && a.unit === b.unit && a.sensor === b.sensor && a.field === b.field;
}

/** Whether the two lists differ in their filters only (same variables, order, units, fields). */
export function filtersOnly(running: AgentConfig["variables"], next: AgentConfig["variables"]): boolean {
  return running.length === next.length && running.every((v, i) => sameVariable(v, next[i]));
}

/** The keys whose value differs between the two configurations (variables compared as JSON). */
export function changedKeys(running: AgentConfig, next: AgentConfig): Key[] {
  return (Object.keys(next) as Key[]).filter((key) => JSON.stringify(running[key]) !== JSON.stringify(next[key]));
}

/** Whether `key` may change while running, from `running` to `next`. */
export function isLive(key: Key, running: AgentConfig, next: AgentConfig): boolean {
  if (key === "variables") return filtersOnly(running.variables, next.variables);
  // Telemetry on or off changes the journal's variable list.
  if (key === "telemetryIntervalMs") return (running.telemetryIntervalMs === 0) === (next.telemetryIntervalMs === 0);
  return LIVE_KEYS.includes(key);
}
