// A task run every `intervalMs` on the Timers port, without drift: each run is scheduled from the
// previous one's due time, not from when it ran, and one that falls behind runs at once and then
// keeps step. Sampling and telemetry both run on one.

import type { Clock, TimerHandle, Timers } from "../ports.js";

export class Periodic {
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly intervalMs: number;
  /** The task, given the monotonic time it runs at. */
  private readonly run: (now: number) => void;
  private timer: TimerHandle | undefined;
  private nextAt = 0;

  constructor(clock: Clock, timers: Timers, intervalMs: number, run: (now: number) => void) {
    this.clock = clock;
    this.timers = timers;
    this.intervalMs = intervalMs;
    this.run = run;
  }

  /** The first run after `firstDelayMs` (0: at once), then one every interval. */
  start(firstDelayMs: number): void {
    this.nextAt = this.clock.monotonicMs() + firstDelayMs;
    this.timer = this.timers.set(this.tick, firstDelayMs);
  }

  stop(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }

  /** The timer's callback, made once rather than a closure a run; it schedules the next run itself (a call less a run). */
  private readonly tick = (): void => {
    const now = this.clock.monotonicMs();
    this.timer = undefined;
    this.run(now);
    // Due one interval after this run was due; at once when that has passed already.
    let next = this.nextAt + this.intervalMs;
    if (next < now) next = now;
    this.nextAt = next;
    this.timer = this.timers.set(this.tick, next - now);
  };
}
