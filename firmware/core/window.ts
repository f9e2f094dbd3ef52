// One reporting window's state: what joined it since it opened. The reporting filter keeps it as
// samples arrive (reporting.ts); at boot, recovery rebuilds it from the journal's window entries
// (recovery.ts), so a window a reboot interrupted is closed with what it held instead of lost.

export type Aggregate = "mean" | "min" | "max" | "median";

export const AGGREGATES: readonly Aggregate[] = Object.freeze(["mean", "min", "max", "median"]);

/** A median keeps its window's values: at most this many. */
export const MEDIAN_MAX_SAMPLES = 256;

export class WindowState {
  count = 0;
  /** Monotonic time of its first sample. */
  start = 0;
  private sum = 0;
  private min = 0;
  private max = 0;
  /** Its values, for a median: the first MEDIAN_MAX_SAMPLES. */
  private readonly values: number[] = [];
  private readonly keep: boolean;

  /** `keep`: whether to keep the values, which only a median needs. */
  constructor(keep: boolean) {
    this.keep = keep;
  }

  add(value: number, now: number): void {
    if (this.count === 0) {
      this.start = now;
      this.sum = 0;
      this.min = value;
      this.max = value;
      this.values.length = 0;
    }
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (this.keep && this.values.length < MEDIAN_MAX_SAMPLES) this.values.push(value);
  }

  /** Takes in what joined `later`, after its own; returns itself. */
  absorb(later: WindowState): WindowState {
    if (later.count === 0) return this;
    if (this.count === 0) {
      this.sum = 0;
      this.min = later.min;
      this.max = later.max;
      this.values.length = 0;
    }
    if (later.min < this.min) this.min = later.min;
    if (later.max > this.max) this.max = later.max;
    this.sum += later.sum;
    this.count += later.count;
    for (let i = 0; i < later.values.length && this.values.length < MEDIAN_MAX_SAMPLES; i++) this.values.push(later.values[i]);
    return this;
  }

  /** Its `aggregate`; the window starts over. */
  close(aggregate: Aggregate): number {
    const count = this.count;
    this.count = 0;
    if (aggregate === "min") return this.min;
    if (aggregate === "max") return this.max;
    if (aggregate === "mean" || this.values.length === 0) return this.sum / count;
    const sorted = this.values.sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }
}
