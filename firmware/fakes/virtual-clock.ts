// A virtual clock and timers: time stands still until the driver advances it, then jumps straight
// to the next due timer, so a day of device time runs in seconds with the same order of events.
// Portable (no Node imports): the XS conformance driver runs it on the XS engine as well.
// The wall clock starts untrusted or trusted as asked, and can be synced or jumped at any time
// to play SNTP arriving late or the clock being corrected.

import type { Clock, TimerHandle, Timers } from "../ports.js";

interface Entry {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
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
  private seq = 0;
  private readonly heap: Entry[] = [];

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
    const entry: Entry = { at: this.now + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    this.push(entry);
    return entry;
  }

  clear(handle: TimerHandle): void {
    (handle as Entry).cancelled = true;
  }

  /** Monotonic time of the next live timer, or undefined when none is set. */
  nextDue(): number | undefined {
    this.dropCancelled();
    return this.heap.length > 0 ? this.heap[0].at : undefined;
  }

  /** Jumps to the next timer due no later than `limit` and runs it; false when there is none. */
  runNext(limit: number = Infinity): boolean {
    const at = this.nextDue();
    if (at === undefined || at > limit) return false;
    const entry = this.pop();
    if (entry.at > this.now) this.now = entry.at;
    entry.callback();
    return true;
  }

  /** Moves time forward to `t` (never back) without running anything. */
  advanceTo(t: number): void {
    if (t > this.now) this.now = t;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
  }

  private before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.before(heap[l], heap[m])) m = l;
        if (r < heap.length && this.before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}
