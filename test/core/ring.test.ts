// Model-based test of the RAM ring: random push / batch / acknowledge / keep / discard sequences
// run against the ring and against a plain array model, compared after every step.

import { describe, expect, it } from "vitest";
import {
  FLAG_GROUPED,
  FLAG_UPTIME,
  KIND_BOOLEAN,
  KIND_NUMBER,
  KIND_STRING,
  PUSH_DROPPED_ONE,
  PUSH_REFUSED_STRING,
  PUSH_STORED,
  RECORD_BYTES,
  Ring,
  type ReadingValue,
} from "../../firmware/core/ring.js";
import { codePointLength } from "../../firmware/core/text.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";

interface ModelRecord {
  variable: number;
  value: ReadingValue;
  time: number;
  flags: number;
}

class Model {
  records: ModelRecord[] = [];
  flight = 0;
  evicted = 0;
  dropped = 0;
  delivered = 0;
  constructor(
    readonly capacity: number,
    readonly dropNewest: boolean,
    readonly budget: number,
  ) {}
  stringChars(): number {
    return this.records.reduce((n, r) => n + (typeof r.value === "string" ? codePointLength(r.value) : 0), 0);
  }
  push(r: ModelRecord): number {
    if (typeof r.value === "string" && this.stringChars() + codePointLength(r.value) > this.budget) return PUSH_REFUSED_STRING;
    let result = PUSH_STORED;
    if (this.records.length === this.capacity) {
      if (this.dropNewest) return PUSH_DROPPED_ONE;
      this.records.shift();
      if (this.flight > 0) {
        this.flight--;
        this.evicted++;
      } else result = PUSH_DROPPED_ONE;
    }
    this.records.push(r);
    return result;
  }
}

function kindOf(value: ReadingValue): number {
  return typeof value === "number" ? KIND_NUMBER : typeof value === "boolean" ? KIND_BOOLEAN : KIND_STRING;
}

function randomValue(random: SeededRandom): ReadingValue {
  const k = random.below(10);
  if (k < 6) return (random.next() - 0.5) * 10 ** random.below(12);
  if (k < 8) return random.next() < 0.5;
  const alphabet = ["a", "Z", " ", "é", "😀", '"', "\\", "\n", "中"];
  let s = "";
  for (let i = random.below(12); i > 0; i--) s += alphabet[random.below(alphabet.length)];
  return s;
}

function check(ring: Ring, model: Model): void {
  expect(ring.count).toBe(model.records.length);
  expect(ring.inFlight).toBe(model.flight);
  expect(ring.flightSize).toBe(model.flight + model.evicted);
  expect(ring.pending).toBe(model.records.length - model.flight);
  expect(ring.stringsHeld).toBe(model.stringChars());
  model.records.forEach((r, i) => {
    expect(ring.variableAt(i)).toBe(r.variable);
    expect(ring.timeAt(i)).toBe(r.time);
    expect(ring.flagsAt(i)).toBe(r.flags | kindOf(r.value));
    expect(ring.valueAt(i)).toBe(r.value);
  });
}

function run(seed: number, capacity: number, dropNewest: boolean, steps: number): void {
  const random = new SeededRandom(seed);
  const budget = 40;
  const ring = new Ring(capacity, dropNewest ? "drop-newest" : "drop-oldest", budget);
  const model = new Model(capacity, dropNewest, budget);
  let sampled = 0;
  for (let step = 0; step < steps; step++) {
    const op = random.below(10);
    if (op < 6) {
      const r: ModelRecord = {
        variable: random.below(256),
        value: randomValue(random),
        time: random.below(2) ? 1_764_000_000_000 + random.below(1e9) : random.below(2 ** 31),
        flags: (random.below(2) ? FLAG_UPTIME : 0) | (random.below(2) ? FLAG_GROUPED : 0),
      };
      const got = ring.push(r.variable, r.value, r.time, r.flags);
      const want = model.push(r);
      expect(got).toBe(want);
      sampled++;
      if (want !== PUSH_STORED) model.dropped++;
    } else if (op < 7 && ring.flightSize === 0 && ring.count > 0) {
      const n = 1 + random.below(ring.count);
      ring.beginBatch(n);
      model.flight = n;
    } else if (op < 8 && ring.flightSize > 0) {
      expect(ring.acknowledge()).toBe(model.flight + model.evicted);
      model.delivered += model.flight + model.evicted;
      model.records.splice(0, model.flight);
      model.flight = model.evicted = 0;
    } else if (op < 9 && ring.flightSize > 0) {
      expect(ring.keepBatch()).toBe(model.evicted);
      model.dropped += model.evicted;
      model.flight = model.evicted = 0;
    } else if (ring.flightSize > 0) {
      expect(ring.discardBatch()).toBe(model.flight + model.evicted);
      model.dropped += model.flight + model.evicted;
      model.records.splice(0, model.flight);
      model.flight = model.evicted = 0;
    }
    check(ring, model);
    // Every record pushed is delivered, dropped, held, or settles with the batch on the wire.
    expect(model.delivered + model.dropped + ring.count + model.evicted).toBe(sampled);
  }
}

/**
 * Samples of finite numbers taken in place (claim, write, commit) among pushes and batches: a
 * claim succeeds exactly when the sample fits in the free slots after the newest record without
 * evicting or wrapping; a sample that cannot goes in with `push`, and a claim may lapse.
 */
function runInPlace(seed: number, capacity: number, steps: number): void {
  const random = new SeededRandom(seed);
  const ring = new Ring(capacity, "drop-oldest", 0);
  const model = new Model(capacity, false, 0);
  for (let step = 0; step < steps; step++) {
    const op = random.below(10);
    if (op < 5) {
      const n = 1 + random.below(4);
      const time = 1_764_000_000_000 + random.below(1e9);
      const flags = random.below(2) ? FLAG_UPTIME | FLAG_GROUPED : FLAG_GROUPED;
      const sample: ModelRecord[] = [];
      for (let i = 0; i < n; i++) sample.push({ variable: random.below(256), value: (random.next() - 0.5) * 1e6, time, flags });
      const next = (ring.released + ring.count) % capacity;
      const fits = ring.count + n <= capacity && next + n <= capacity;
      const slot = ring.claim(n);
      expect(slot).toBe(fits ? next : -1);
      if (slot < 0) {
        for (const r of sample) expect(ring.push(r.variable, r.value, r.time, r.flags)).toBe(model.push(r));
      } else {
        sample.forEach((r, i) => {
          ring.columns.variables[slot + i] = r.variable;
          ring.columns.values[slot + i] = r.value as number;
        });
        // Some readings of the claim may be left out (a sensor failed), or the claim lapse.
        const kept = random.below(n + 2) > n ? 0 : n - random.below(2);
        if (kept > 0) {
          expect(ring.commit(slot, kept, time, flags)).toBe(model.records.length + kept - model.flight);
          for (const r of sample.slice(0, kept)) expect(model.push(r)).toBe(PUSH_STORED);
        }
      }
    } else if (op < 7 && ring.flightSize === 0 && ring.count > 0) {
      const n = 1 + random.below(ring.count);
      ring.beginBatch(n);
      model.flight = n;
    } else if (ring.flightSize > 0) {
      ring.acknowledge();
      model.records.splice(0, model.flight);
      model.flight = model.evicted = 0;
    }
    check(ring, model);
  }
}

describe("Ring", () => {
  it("costs 16 bytes a record in one preallocated buffer", () => {
    expect(RECORD_BYTES).toBe(16);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("matches the model with drop-oldest (seed %i)", (seed) => {
    run(seed, 16, false, 2000);
  });

  it.each([11, 12, 13, 14])("matches the model with drop-newest (seed %i)", (seed) => {
    run(seed, 16, true, 2000);
  });

  it.each([21, 22, 23, 24])("takes samples in place, claim then commit, as the model (seed %i)", (seed) => {
    runInPlace(seed, 16, 2000);
  });

  it("claims only a run that neither wraps nor evicts, and counts what is committed", () => {
    const ring = new Ring(8, "drop-oldest", 0);
    for (let i = 0; i < 6; i++) ring.push(0, i, 0, 0);
    expect(ring.claim(3)).toBe(-1);
    ring.beginBatch(4);
    ring.acknowledge();
    // Slots 6 and 7 are free at the end, 0 to 3 after the wrap.
    expect(ring.claim(2)).toBe(6);
    expect(ring.claim(3)).toBe(-1);
    ring.commit(6, 2, 5, 0);
    expect(ring.claim(4)).toBe(0);
    expect(ring.claim(5)).toBe(-1);
    ring.commit(0, 4, 5, 0);
    expect(ring.claim(1)).toBe(-1);
    expect(ring.count).toBe(8);
    expect(ring.committed).toBe(6);
  });

  it("keeps 48-bit millisecond times exactly, pushed or committed", () => {
    const ring = new Ring(4, "drop-oldest", 0);
    const t = Date.UTC(2099, 11, 31, 23, 59, 59, 999);
    ring.push(3, 1.5, t, 0);
    expect(ring.timeAt(0)).toBe(t);
    // The columns' own conversions split a committed time: modulo 2^32, and the quotient's whole part.
    for (const time of [2 ** 32 - 1, 2 ** 32, 2 ** 48 - 1, t + 1]) {
      const slot = ring.claim(1);
      ring.commit(slot, 1, time, FLAG_GROUPED);
      expect(ring.timeAt(ring.count - 1)).toBe(time);
      expect(ring.flagsAt(ring.count - 1)).toBe(FLAG_GROUPED);
      ring.beginBatch(ring.count);
      ring.acknowledge();
    }
  });

  it("counts what is committed, apart from what is pushed, through evictions and acknowledgements", () => {
    const ring = new Ring(4, "drop-oldest", 0);
    let committed = 0;
    for (let i = 0; i < 40; i++) {
      if (i % 3 === 0) ring.push(0, i, i, 0);
      else {
        const slot = ring.claim(1);
        if (slot < 0) ring.dropOldest(1);
        else {
          ring.commit(slot, 1, i, 0);
          committed++;
        }
      }
      if (i % 7 === 6) {
        ring.beginBatch(ring.count);
        ring.acknowledge();
      }
      expect(ring.committed).toBe(committed);
    }
  });

  it("refuses a second batch while one is on the wire, and batches larger than it holds", () => {
    const ring = new Ring(4, "drop-oldest", 0);
    ring.push(0, 1, 0, 0);
    ring.push(0, 2, 0, 0);
    expect(() => ring.beginBatch(3)).toThrow(/cannot take 3 of 2/);
    ring.beginBatch(1);
    expect(() => ring.beginBatch(1)).toThrow(/already on the wire/);
  });

  it("settles a record evicted from the batch on the wire with that batch", () => {
    const ring = new Ring(2, "drop-oldest", 0);
    ring.push(0, 1, 0, 0);
    ring.push(0, 2, 0, 0);
    ring.beginBatch(2);
    expect(ring.push(0, 3, 0, 0)).toBe(PUSH_STORED);
    expect(ring.inFlight).toBe(1);
    expect(ring.flightSize).toBe(2);
    expect(ring.acknowledge()).toBe(2);
    expect(ring.count).toBe(1);
    expect(ring.valueAt(0)).toBe(3);
  });
});
