// Time trust. A reading is stamped with wall time only while the clock is trusted (and says a
// year from 2024 on); otherwise it carries milliseconds since boot and is rebased exactly once
// the clock is trusted in the same boot. A reading that cannot be rebased is sent without a
// time, so the server stamps its arrival: never a 1970 or any pre-2024 time.

import type { Clock } from "../ports.js";
import { FLAG_NO_TIME, FLAG_UPTIME } from "./ring.js";

/** 2024-01-01T00:00:00Z: no time before this is ever sent. */
export const EARLIEST_TRUSTED_MS = 1_704_067_200_000;

export class TimeBase {
  private readonly clock: Clock;
  /** wall - monotonic, learned from the last trusted reading of the clock in this boot. */
  private offset: number | undefined;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Reads the wall clock; learns the offset while it is trusted. Returns the current wall time or -1. */
  observe(): number {
    return this.observeAt(this.clock.monotonicMs());
  }

  /** `observe`, with `now` the monotonic time the caller has just read. */
  observeAt(now: number): number {
    // Trust, once given, lasts the boot (the Clock port's promise): a learned offset means it was given.
    if (this.offset === undefined && !this.clock.wallTrusted()) return -1;
    const wall = this.clock.wallMs();
    if (!(wall >= EARLIEST_TRUSTED_MS)) return -1;
    this.offset = wall - now;
    return wall;
  }

  get trusted(): boolean {
    return this.offset !== undefined;
  }

  /**
   * This moment's rebasing, kept apart: the times a batch encoded now carries, whatever the clock
   * learns before its landing is checked.
   */
  frozen(): Pick<TimeBase, "wallOf"> {
    const kept = new TimeBase(this.clock);
    kept.offset = this.offset;
    return kept;
  }

  /** The wall time of a stored reading, or -1 when it has none that can be trusted. */
  wallOf(timeMs: number, flags: number): number {
    if (flags & FLAG_NO_TIME) return -1;
    let wall = timeMs;
    if (flags & FLAG_UPTIME) {
      if (this.offset === undefined) return -1;
      wall = timeMs + this.offset;
    }
    return wall >= EARLIEST_TRUSTED_MS ? wall : -1;
  }
}
