// Calendar-minute rate limits: the limiter alone, then through the server with a virtual clock.

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CalendarMinuteLimiter, PLANS } from "../../host-sim/endpoint/ratelimit.js";
import { call, start } from "./helpers.js";

const AT_12_45_09 = Date.UTC(2026, 10, 26, 12, 45, 9);
const AT_12_46 = Date.UTC(2026, 10, 26, 12, 46, 0);

describe("CalendarMinuteLimiter", () => {
  it("refuses past the limit until the next calendar minute, per route", () => {
    let t = AT_12_45_09;
    const limiter = new CalendarMinuteLimiter({ ...PLANS.free, postData: 2 }, () => t);
    expect(limiter.take("postData")).toEqual({ ok: true });
    expect(limiter.take("postData")).toEqual({ ok: true });
    expect(limiter.take("postData")).toEqual({ ok: false, retryAfterSeconds: 51 });
    // Refusals do not spend budget, and other routes have their own.
    expect(limiter.take("getData")).toEqual({ ok: true });
    t = AT_12_46 - 1;
    expect(limiter.take("postData")).toEqual({ ok: false, retryAfterSeconds: 1 });
    t = AT_12_46;
    expect(limiter.take("postData")).toEqual({ ok: true });
  });

  it("takes Infinity as no limit and zero as always refused", () => {
    const limiter = new CalendarMinuteLimiter({ ...PLANS.free, postData: Infinity, info: 0 }, () => AT_12_45_09);
    for (let i = 0; i < 1000; i++) expect(limiter.take("postData").ok).toBe(true);
    expect(limiter.take("info").ok).toBe(false);
  });

  it("refuses nonsense limits", () => {
    expect(() => new CalendarMinuteLimiter({ ...PLANS.free, getData: -1 }, Date.now)).toThrow(RangeError);
    expect(() => new CalendarMinuteLimiter({ ...PLANS.free, getData: 1.5 }, Date.now)).toThrow(RangeError);
    expect(() => new CalendarMinuteLimiter({ ...PLANS.free, getData: Number.NaN }, Date.now)).toThrow(RangeError);
  });
});

describe("rate limits through the server", () => {
  it("answers 429 with the envelope and Retry-After at the limit, summed over devices, and reopens on the minute", async () => {
    let t = AT_12_45_09;
    const [one, two] = [randomUUID(), randomUUID()];
    const { endpoint } = await start({ now: () => t, rateLimits: { postData: 3 }, devices: [{ token: one }, { token: two }] });
    const record = { variable: "v", value: 1 };

    for (const token of [one, two, one]) {
      expect((await call(endpoint, "POST", "/data", { token, body: record })).status).toBe(200);
    }
    const refused = await call(endpoint, "POST", "/data", { token: two, body: record });
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ status: false, message: "Too many requests (Retry-After: 51)" });
    expect(refused.headers["retry-after"]).toBe("51");
    // Other routes keep their own budget.
    expect((await call(endpoint, "GET", "/data", { token: two })).status).toBe(200);

    t = AT_12_46 - 500;
    const late = await call(endpoint, "POST", "/data", { token: one, body: record });
    expect(late.status).toBe(429);
    expect(late.headers["retry-after"]).toBe("1");

    t = AT_12_46;
    expect((await call(endpoint, "POST", "/data", { token: one, body: record })).status).toBe(200);
    expect(endpoint.records()).toHaveLength(4);
    expect(endpoint.counts().byStatus).toEqual({ "200": 5, "429": 2 });
  });

  it("defaults to the Free plan: 60 GET /info a minute", async () => {
    const t = AT_12_45_09;
    const { endpoint, token } = await start({ now: () => t });
    for (let i = 0; i < 60; i++) expect((await call(endpoint, "GET", "/info", { token })).status).toBe(200);
    expect((await call(endpoint, "GET", "/info", { token })).status).toBe(429);
    expect((await call(endpoint, "GET", "/device/params", { token })).status).toBe(200);
  });

  it("does not count requests it refuses for a bad token", async () => {
    const { endpoint, token } = await start({ now: () => AT_12_45_09, rateLimits: { info: 1 } });
    expect((await call(endpoint, "GET", "/info", { token: "not-a-device" })).status).toBe(401);
    expect((await call(endpoint, "GET", "/info", { token })).status).toBe(200);
    expect((await call(endpoint, "GET", "/info", { token })).status).toBe(429);
  });
});
