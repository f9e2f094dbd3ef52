// Waiting policy, driven only by the injected clock and random source so tests replay exactly.
// Failures back off with full jitter (uniform in [0, min(cap, base * 2^n))); a 429 waits what
// the server named, else until the next calendar minute (TagoIO's windows), plus jitter so a
// fleet does not come back in step.

import type { Random } from "../ports.js";

export function fullJitterMs(failures: number, baseMs: number, capMs: number, random: Random): number {
  const ceiling = Math.min(capMs, baseMs * Math.pow(2, Math.min(failures, 40)));
  return Math.floor(random.next() * ceiling);
}

/** Milliseconds until the next calendar minute starts, from a trusted wall time. */
export function untilNextMinuteMs(wallMs: number): number {
  return 60_000 - (wallMs % 60_000);
}

/**
 * The wait after a 429: the server's Retry-After (capped), else the rest of the calendar minute
 * (a whole minute when the wall time is unknown), plus up to `jitterMs` of random spread.
 */
export function rateLimitWaitMs(
  retryAfterMs: number | undefined,
  wallMs: number,
  maxRetryAfterMs: number,
  jitterMs: number,
  random: Random,
): number {
  let wait: number;
  if (retryAfterMs !== undefined) wait = Math.min(retryAfterMs, maxRetryAfterMs);
  else if (wallMs >= 0) wait = untilNextMinuteMs(wallMs);
  else wait = 60_000;
  return wait + Math.floor(random.next() * jitterMs);
}
