// A virtual clock and timers: time stands still until the driver advances it, then jumps straight
// to the next due timer, so a day of device time runs in seconds with the same order of events.
// Portable (no Node imports): the XS conformance driver runs it on the XS engine as well.
// The wall clock starts untrusted or trusted as asked, and can be synced or jumped at any time
// to play SNTP arriving late or the clock being corrected.

import type { Clock, TimerHandle, Timers } from "../ports.js";

interface Entry {
  at: number;
  callback: () => void;
}

export interface VirtualClockOptions {
  /** Wall time at monotonic 0. */
  wallStartMs: number;
  /** Whether the wall clock is trusted from the start (false plays a device before SNTP). */
  trusted: boolean;
}

export class VirtualClock implements Clock, Timers {
  private now = 0;
  private wallOffset: number;
  private trusted: boolean;
  /**
   * Pending timers, soonest first (equal times in the order they were set). A sorted list, not a
   * heap: a device keeps a handful of timers and the one set most often (sampling) is due before
   * the others, so its place is found at the front; the list's native shift and splice cost the
   * XS benchmark no bytecode that it would bill to the device beside this clock.
   */
  private readonly queue: Entry[] = [];

  constructor(options: VirtualClockOptions) {
    this.wallOffset = options.wallStartMs;
    this.trusted = options.trusted;
  }

  monotonicMs(): number {
    return this.now;
  }

  wallMs(): number {
    return this.now + this.wallOffset;
  }

  wallTrusted(): boolean {
    return this.trusted;
  }

  /** SNTP answered: the wall clock now reads `wallMs` and is trusted. */
  sync(wallMs: number): void {
    this.wallOffset = wallMs - this.now;
    this.trusted = true;
  }

  /** The wall clock jumps by `deltaMs` (monotonic time does not). */
  jumpWall(deltaMs: number): void {
    this.wallOffset += deltaMs;
  }

  set(callback: () => void, delayMs: number): TimerHandle {
    const entry: Entry = { at: this.now + Math.max(0, delayMs), callback };
    const queue = this.queue;
    let i = 0;
    while (i < queue.length && queue[i].at <= entry.at) i++;
    queue.splice(i, 0, entry);
    return entry;
  }

  clear(handle: TimerHandle): void {
    const i = this.queue.indexOf(handle as Entry);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Monotonic time of the next live timer, or undefined when none is set. */
  nextDue(): number | undefined {
    return this.queue.length > 0 ? this.queue[0].at : undefined;
  }

  /** Jumps to the next timer due no later than `limit` and runs it; false when there is none. */
  runNext(limit: number = Infinity): boolean {
    const entry = this.queue[0];
    if (entry === undefined || entry.at > limit) return false;
    this.queue.shift();
    if (entry.at > this.now) this.now = entry.at;
    entry.callback();
    return true;
  }

  /** Moves time forward to `t` (never back) without running anything. */
  advanceTo(t: number): void {
    if (t > this.now) this.now = t;
  }
}
