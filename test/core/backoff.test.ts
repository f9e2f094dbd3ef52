import { describe, expect, it } from "vitest";
import { fullJitterMs, rateLimitWaitMs, untilNextMinuteMs } from "../../firmware/core/backoff.js";
import type { Random } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";

const fixed = (value: number): Random => ({ next: () => value });

describe("backoff", () => {
  it("draws full jitter below min(cap, base * 2^n)", () => {
    expect(fullJitterMs(0, 1000, 60_000, fixed(0.999999))).toBe(999);
    expect(fullJitterMs(3, 1000, 60_000, fixed(0.5))).toBe(4000);
    expect(fullJitterMs(10, 1000, 60_000, fixed(0.5))).toBe(30_000);
    expect(fullJitterMs(10_000, 1000, 60_000, fixed(0.999999))).toBeLessThan(60_000);
    expect(fullJitterMs(5, 1000, 60_000, fixed(0))).toBe(0);
  });

  it("spreads waits uniformly (a fleet does not retry in step)", () => {
    const random = new SeededRandom(1);
    const waits = Array.from({ length: 10_000 }, () => fullJitterMs(6, 1000, 300_000, random));
    const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
    expect(mean).toBeGreaterThan(30_000);
    expect(mean).toBeLessThan(34_000);
    expect(Math.max(...waits)).toBeLessThan(64_000);
  });

  it("waits for the next calendar minute when a 429 names no wait", () => {
    const wall = Date.UTC(2026, 10, 26, 12, 45, 9, 250);
    expect(untilNextMinuteMs(wall)).toBe(50_750);
    expect(rateLimitWaitMs(undefined, wall, 900_000, 0, fixed(0.5))).toBe(50_750);
    expect(rateLimitWaitMs(undefined, wall, 900_000, 5000, fixed(0.5))).toBe(53_250);
    expect(rateLimitWaitMs(undefined, -1, 900_000, 0, fixed(0.5))).toBe(60_000);
  });

  it("honours Retry-After but never more than the configured ceiling", () => {
    expect(rateLimitWaitMs(8000, 0, 900_000, 1000, fixed(0))).toBe(8000);
    expect(rateLimitWaitMs(86_400_000, 0, 900_000, 0, fixed(0))).toBe(900_000);
  });
});
