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

/** This device's own ceiling on requests started per minute. */
export class RequestCeiling {
  /** Changed live by a new maxRequestsPerMinute. */
  perMinute: number;
  /** Start times of the requests of the last minute. */
  private readonly recent: number[] = [];

  constructor(perMinute: number) {
    this.perMinute = perMinute;
  }

  /** Milliseconds until a request may start, from monotonic time `now`; 0 when it may now. */
  waitMs(now: number): number {
    const recent = this.recent;
    while (recent.length > 0 && recent[0] <= now - 60_000) recent.shift();
    return recent.length >= this.perMinute ? recent[0] + 60_000 - now : 0;
  }

  started(now: number): void {
    this.recent.push(now);
  }
}
