// The Clock port on the Moddable `time` module and Date.now().
// Monotonic time is built from Time.ticks, which on ESP32 is a 32-bit millisecond counter that
// wraps (as a signed integer after 24.8 days); each reading adds the elapsed ticks modulo 2^32,
// so the clock never jumps as long as it is read at least once every 24 days (the agent reads
// it on every sample). A tick counter that steps backwards (a host clock set back) adds nothing.
// The wall clock is trusted only after `synced()` (SNTP succeeded) or when built trusting the
// host clock (the Linux simulator, whose clock the host OS keeps).

import type { Clock } from "../ports.js";

/** The part of the `time` module this port reads (typings/time.d.ts). */
export interface TimeModule {
  readonly ticks: number;
}

const HALF_RANGE = 0x80000000;

export class ModdableClock implements Clock {
  private readonly time: TimeModule;
  private readonly now: () => number;
  private trusted: boolean;
  private lastTicks: number;
  private elapsed = 0;

  constructor(time: TimeModule, now: () => number, trustHostClock: boolean) {
    this.time = time;
    this.now = now;
    this.trusted = trustHostClock;
    this.lastTicks = time.ticks;
  }

  monotonicMs(): number {
    const ticks = this.time.ticks;
    const step = (ticks - this.lastTicks) >>> 0;
    this.lastTicks = ticks;
    if (step < HALF_RANGE) this.elapsed += step;
    return this.elapsed;
  }

  wallMs(): number {
    return this.now();
  }

  wallTrusted(): boolean {
    return this.trusted;
  }

  /** The wall clock was just set from a trusted source. */
  synced(): void {
    this.trusted = true;
  }
}
