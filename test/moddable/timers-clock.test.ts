import { describe, expect, it } from "vitest";
import { ModdableClock } from "../../firmware/moddable/clock.js";
import { ModdableTimers } from "../../firmware/moddable/timers.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { FakeTimer } from "./fakes.js";

describe("ModdableTimers", () => {
  it("runs one-shot callbacks and never clears a fired or cleared timer twice (the SDK throws)", () => {
    const timer = new FakeTimer();
    const timers = new ModdableTimers(timer, new MemoryLogger());
    const fired: string[] = [];
    const a = timers.set(() => fired.push("a"), 10);
    const b = timers.set(() => fired.push("b"), 20);
    timer.advance(10);
    expect(() => timers.clear(a)).not.toThrow();
    timers.clear(b);
    expect(() => timers.clear(b)).not.toThrow();
    timer.advance(100);
    expect(fired).toEqual(["a"]);
  });

  it("logs a callback that throws instead of letting it reach the host, and goes on", () => {
    const timer = new FakeTimer();
    const logger = new MemoryLogger();
    const timers = new ModdableTimers(timer, logger);
    let later = false;
    timers.set(() => {
      throw new Error("boom");
    }, 1);
    timers.set(() => (later = true), 2);
    expect(() => timer.advance(5)).not.toThrow();
    expect(later).toBe(true);
    expect(logger.text()).toContain("timer callback threw: boom");
  });

  it("passes delays the module accepts: whole, non-negative, at most 2^31 - 1 ms", () => {
    const timer = new FakeTimer();
    const timers = new ModdableTimers(timer, new MemoryLogger());
    timers.set(() => {}, -5);
    timers.set(() => {}, 1.2);
    timers.set(() => {}, 1e12);
    expect(timer.delays).toEqual([0, 2, 0x7fffffff]);
  });
});

describe("ModdableClock", () => {
  it("keeps monotonic time across the 32-bit tick wrap (signed, as ESP32 reports it)", () => {
    const time = { ticks: 0x7fffff00 | 0 };
    const clock = new ModdableClock(time, () => 0, false);
    expect(clock.monotonicMs()).toBe(0);
    time.ticks = (0x7fffff00 + 0x200) | 0; // wrapped to a negative int32
    expect(time.ticks).toBeLessThan(0);
    expect(clock.monotonicMs()).toBe(0x200);
    time.ticks = (time.ticks + 1000) | 0;
    expect(clock.monotonicMs()).toBe(0x200 + 1000);
  });

  it("never goes backwards when the tick source steps back", () => {
    const time = { ticks: 1_700_000_000_000 };
    const clock = new ModdableClock(time, () => 0, true);
    time.ticks += 500;
    expect(clock.monotonicMs()).toBe(500);
    time.ticks -= 10_000;
    expect(clock.monotonicMs()).toBe(500);
    time.ticks += 250;
    expect(clock.monotonicMs()).toBe(750);
  });

  it("trusts the wall clock only after synced(), unless told to trust the host clock", () => {
    const device = new ModdableClock({ ticks: 0 }, () => 1_800_000_000_000, false);
    expect(device.wallTrusted()).toBe(false);
    device.synced();
    expect(device.wallTrusted()).toBe(true);
    expect(device.wallMs()).toBe(1_800_000_000_000);
    expect(new ModdableClock({ ticks: 0 }, () => 0, true).wallTrusted()).toBe(true);
  });
});
