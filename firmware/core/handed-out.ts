// The readings the journal has handed out to the RAM ring and not yet released: their seqs, oldest
// first, as runs of consecutive ones (start, n, start, n...), so a batch of any size costs two
// numbers. Bounded by the ring they wait in. Releasing more than were handed out throws.

export class HandedOut {
  private readonly runs: number[] = [];
  /** How many readings are out. */
  count = 0;

  /** Reading `seq`, newer than any out, is handed out. */
  add(seq: number): void {
    const runs = this.runs;
    const k = runs.length;
    if (k > 0 && runs[k - 2] + runs[k - 1] === seq) runs[k - 1]++;
    else runs.push(seq, 1);
    this.count++;
  }

  /** The oldest `n` (more than 0) are settled: returns one past the seq of the last of them. */
  settle(n: number): number {
    const runs = this.runs;
    let left = n;
    let floor = 0;
    while (left > 0 && runs.length > 0) {
      const k = Math.min(left, runs[1]);
      floor = runs[0] + k;
      left -= k;
      if (k === runs[1]) runs.splice(0, 2);
      else {
        runs[0] += k;
        runs[1] -= k;
      }
    }
    if (left > 0) throw new Error(`journal: ${n} readings released, only ${n - left} were handed out`);
    this.count -= n;
    return floor;
  }

  /** How many have a seq below `floor`; when `remove`, they are no longer out. */
  below(floor: number, remove: boolean): number {
    const runs = this.runs;
    let total = 0;
    let i = 0;
    while (i < runs.length && runs[i] < floor) {
      const k = Math.min(runs[i + 1], floor - runs[i]);
      total += k;
      if (remove && k === runs[i + 1]) {
        runs.splice(i, 2);
        continue;
      }
      if (remove) {
        runs[i] += k;
        runs[i + 1] -= k;
      }
      i += 2;
    }
    if (remove) this.count -= total;
    return total;
  }
}
