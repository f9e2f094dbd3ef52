// The Timers port on the Moddable `timer` module (one-shot Timer.set, Timer.clear).
// Timer.clear throws "invalid timer" on a timer that already fired or was cleared, so each
// handle remembers whether it is still pending and clearing it twice is harmless.
// Policy when failing: a callback that throws is logged and swallowed, because an exception
// escaping to the XS host from a timer callback can stop the VM; other timers still run.

import type { Logger, TimerHandle, Timers } from "../ports.js";
import { errorMessage } from "../core/text.js";

/** The part of the `timer` module this port uses (typings/timer.d.ts). */
export interface TimerModule<Native> {
  set(callback: () => void, delayMs: number): Native;
  clear(timer: Native): void;
}

/** Timer.set takes a signed 32-bit delay. */
const MAX_DELAY_MS = 0x7fffffff;

interface Pending<Native> {
  native: Native | undefined;
  pending: boolean;
}

export class ModdableTimers<Native> implements Timers {
  private readonly timer: TimerModule<Native>;
  private readonly logger: Logger;

  constructor(timer: TimerModule<Native>, logger: Logger) {
    this.timer = timer;
    this.logger = logger;
  }

  set(callback: () => void, delayMs: number): TimerHandle {
    const entry: Pending<Native> = { native: undefined, pending: true };
    entry.native = this.timer.set(() => {
      if (!entry.pending) return;
      entry.pending = false;
      try {
        callback();
      } catch (e) {
        this.logger.log("error", `timer callback threw: ${errorMessage(e)}`);
      }
    }, Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil(delayMs))));
    return entry;
  }

  clear(handle: TimerHandle): void {
    const entry = handle as Pending<Native> | undefined;
    if (entry === undefined || !entry.pending) return;
    entry.pending = false;
    if (entry.native !== undefined) this.timer.clear(entry.native);
  }
}
