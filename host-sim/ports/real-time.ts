// Real time for the Node host: a monotonic clock from performance.now() (zero at creation, like a
// boot), the wall clock from Date.now() and trusted (the host keeps it synchronised), and one-shot
// timers on setTimeout. Every delay the agent can ask for (at most a day) fits setTimeout's range.

import { performance } from "node:perf_hooks";
import type { Clock, TimerHandle, Timers } from "../../firmware/ports.js";

export class RealClock implements Clock {
  private readonly bootMs = performance.now();

  monotonicMs(): number {
    return Math.floor(performance.now() - this.bootMs);
  }

  wallMs(): number {
    return Date.now();
  }

  wallTrusted(): boolean {
    return true;
  }
}

export class RealTimers implements Timers {
  set(callback: () => void, delayMs: number): TimerHandle {
    return setTimeout(callback, Math.max(0, delayMs));
  }

  clear(handle: TimerHandle): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}
