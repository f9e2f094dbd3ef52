// Clock synchronisation on the Moddable `sntp` module: runs at start (as soon as the link is
// up), again every `resyncMs`, and after a failure with a full-jitter backoff. On success it sets
// the system clock (Time.set) and marks the Clock trusted, which is what lets the Network port
// report online for HTTPS: certificate dates are checked against Date.now().
// Policy when failing: hosts are tried in order, an attempt that has no answer within
// `attemptTimeoutMs` is closed, a time before 2024 is refused; the clock stays untrusted (or
// keeps its earlier trusted setting) and the next attempt is scheduled.

import { fullJitterMs } from "../core/backoff.js";
import { EARLIEST_TRUSTED_MS } from "../core/timebase.js";
import type { Logger, Random, TimerHandle, Timers } from "../ports.js";
import type { Link } from "./wifi.js";
import { errorMessage } from "../core/text.js";

/**
 * The `sntp` module (typings/sntp.d.ts): messages 1 (time, in seconds since 1970), 2 (retrying),
 * -1 (failed; returning another host name from the callback makes it try that host).
 */
export interface SntpModule {
  /** The instance is a UDP socket; typings/sntp.d.ts omits its close(). */
  new (options: { host: string }, callback: (message: number, value?: unknown) => unknown): { close?(): void };
}

/** Sets the system clock, in seconds since 1970 (Time.set). */
export type SetTime = (seconds: number) => void;

export interface SntpSchedule {
  resyncMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  attemptTimeoutMs: number;
}

export const SNTP_SCHEDULE: Readonly<SntpSchedule> = Object.freeze({
  resyncMs: 6 * 3_600_000,
  retryBaseMs: 5_000,
  retryCapMs: 600_000,
  attemptTimeoutMs: 60_000,
});

/** How often to look again while the link is down. */
const LINK_POLL_MS = 2_000;

export interface Synchronisable {
  synced(): void;
}

export class SntpSync {
  private readonly SNTP: SntpModule;
  private readonly setTime: SetTime;
  private readonly clock: Synchronisable;
  private readonly link: Link;
  private readonly timers: Timers;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly hosts: readonly string[];
  private readonly schedule: SntpSchedule;
  private timer: TimerHandle | undefined;
  private client: { close?(): void } | undefined;
  /** Identifies the current attempt, so a late answer from an abandoned one is ignored. */
  private attemptId = 0;
  private failures = 0;

  constructor(
    modules: { SNTP: SntpModule; setTime: SetTime },
    clock: Synchronisable,
    link: Link,
    timers: Timers,
    random: Random,
    logger: Logger,
    hosts: readonly string[],
    schedule: SntpSchedule = SNTP_SCHEDULE,
  ) {
    this.SNTP = modules.SNTP;
    this.setTime = modules.setTime;
    this.clock = clock;
    this.link = link;
    this.timers = timers;
    this.random = random;
    this.logger = logger;
    this.hosts = hosts;
    this.schedule = schedule;
  }

  start(): void {
    this.next(0);
  }

  private next(delayMs: number): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.attempt();
    }, delayMs);
  }

  private attempt(): void {
    if (!this.link.up()) {
      this.next(LINK_POLL_MS);
      return;
    }
    const id = ++this.attemptId;
    let host = 0;
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.abandon();
      this.failed(id, `no answer within ${this.schedule.attemptTimeoutMs} ms`);
    }, this.schedule.attemptTimeoutMs);
    try {
      this.client = new this.SNTP({ host: this.hosts[host] }, (message, value) => {
        if (id !== this.attemptId) return undefined;
        if (message === 1) {
          this.client = undefined;
          this.answered(id, Number(value));
        } else if (message === -1) {
          if (++host < this.hosts.length) return this.hosts[host];
          this.client = undefined;
          this.failed(id, String(value));
        }
        return undefined;
      });
    } catch (e) {
      this.failed(id, errorMessage(e));
    }
  }

  private answered(id: number, seconds: number): void {
    if (!(seconds * 1000 >= EARLIEST_TRUSTED_MS)) {
      this.failed(id, `implausible time ${seconds} s`);
      return;
    }
    this.setTime(Math.round(seconds));
    this.clock.synced();
    this.failures = 0;
    this.attemptId++;
    this.logger.log("info", `clock: set by SNTP to ${new Date(seconds * 1000).toISOString()}`);
    this.next(this.schedule.resyncMs);
  }

  private failed(id: number, why: string): void {
    if (id !== this.attemptId) return;
    this.attemptId++;
    const { retryBaseMs, retryCapMs } = this.schedule;
    const wait = retryBaseMs + fullJitterMs(this.failures, retryBaseMs, retryCapMs, this.random);
    this.failures++;
    this.logger.log("warn", `clock: SNTP (${this.hosts.join(", ")}) failed: ${why}; next try in ${Math.round(wait / 1000)} s`);
    this.next(wait);
  }

  /** Closes an attempt that did not answer in time. */
  private abandon(): void {
    const client = this.client;
    this.client = undefined;
    try {
      client?.close?.();
    } catch {
      // already closed by the module itself
    }
  }
}
