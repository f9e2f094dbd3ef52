// Per-route request budgets over calendar minutes, shared by every device (profile-wide, as TagoIO
// counts them). A budget spent at 12:45:09 opens again at 12:46:00; a refusal says how many whole
// seconds away that is. Only requests the limiter lets through are counted.

export type RateRoute = "postData" | "getData" | "getParams" | "info";
export type RateLimits = Record<RateRoute, number>;

/** Requests per minute per plan, from TagoIO's rate-limit table. */
export const PLANS: Readonly<Record<"free" | "starter" | "scale", Readonly<RateLimits>>> = {
  free: { postData: 250, getData: 250, getParams: 100, info: 60 },
  starter: { postData: 5_000, getData: 5_000, getParams: 1_000, info: 5_000 },
  scale: { postData: 15_000, getData: 15_000, getParams: 5_000, info: 10_000 },
};

const MINUTE_MS = 60_000;

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export class CalendarMinuteLimiter {
  private minute = Number.NaN;
  private readonly used: RateLimits = { postData: 0, getData: 0, getParams: 0, info: 0 };

  constructor(
    private readonly limits: Readonly<RateLimits>,
    private readonly now: () => number,
  ) {
    for (const [route, limit] of Object.entries(limits)) {
      if (!(limit >= 0) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
        throw new RangeError(`rate limit for ${route} must be a non-negative integer or Infinity`);
      }
    }
  }

  /** Spends one request of `route`'s budget, or says how long until the next minute opens. */
  take(route: RateRoute): RateDecision {
    const t = this.now();
    const minute = Math.floor(t / MINUTE_MS);
    if (minute !== this.minute) {
      this.minute = minute;
      for (const key of Object.keys(this.used) as RateRoute[]) this.used[key] = 0;
    }
    if (this.used[route] >= this.limits[route]) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((minute + 1) * MINUTE_MS - t) / 1000)) };
    }
    this.used[route]++;
    return { ok: true };
  }
}
