// The encoder's output must parse back to exactly what was buffered, in ASCII only, within the
// byte bound, with `time` only when it can be trusted and `group` tying one sample's readings.

import { describe, expect, it } from "vitest";
import { TAGOIO_MAX_BODY_BYTES } from "../../firmware/core/config.js";
import { Encoder, type Batch } from "../../firmware/core/encoder.js";
import { FLAG_GROUPED, FLAG_NO_TIME, FLAG_UPTIME, Ring, type ReadingValue } from "../../firmware/core/ring.js";
import { codePointLength, jsonString } from "../../firmware/core/text.js";
import { TimeBase } from "../../firmware/core/timebase.js";
import { MAX_VARIABLES, VariableTable } from "../../firmware/core/variables.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";

const WALL = Date.UTC(2026, 10, 26, 1, 10, 55, 123);
const text = (batch: Batch): string => new TextDecoder().decode(batch.body);
const VARIABLES = [
  { name: "temperature", unit: "°C", sensor: "s", field: "t" },
  { name: "status", sensor: "s", field: "s" },
  { name: "door_open", unit: 'a "quoted" \\ unit', sensor: "s", field: "d" },
];

function randomString(random: SeededRandom): string {
  const pool = ["a", "~", " ", '"', "\\", "/", "\n", "\t", "\u0000", "\u001f", "\u007f", "é", "ß", "€", "中", "😀", "𝄞", "\u2028", "\ud800"];
  let s = "";
  for (let i = random.below(20); i > 0; i--) s += pool[random.below(pool.length)];
  return s;
}

function randomNumber(random: SeededRandom): number {
  const k = random.below(5);
  if (k === 0) return random.below(1000);
  if (k === 1) return -random.next() * 1e-7;
  if (k === 2) return (random.next() - 0.5) * 1e300;
  if (k === 3) return Number((random.next() * 100).toFixed(2));
  return random.next() * 2 ** 53;
}

function trustedClock(): VirtualClock {
  return new VirtualClock({ wallStartMs: WALL, trusted: true });
}

describe("jsonString", () => {
  it("writes printable ASCII only and parses back to the same string", () => {
    const random = new SeededRandom(42);
    for (let i = 0; i < 2000; i++) {
      const s = randomString(random);
      const out = jsonString(s);
      expect(out).toMatch(/^[\x20-\x7e]*$/);
      expect(JSON.parse(out)).toBe(s);
    }
  });

  it("counts code points, not UTF-16 units", () => {
    expect(codePointLength("a😀é")).toBe(3);
  });
});

describe("Encoder", () => {
  it("round-trips random readings through JSON.parse", () => {
    const random = new SeededRandom(7);
    const clock = trustedClock();
    const timebase = new TimeBase(clock);
    timebase.observe();
    for (let round = 0; round < 50; round++) {
      const ring = new Ring(64, "drop-oldest", 10_000);
      const want: Array<{ variable: number; value: ReadingValue; time: number }> = [];
      const n = 1 + random.below(60);
      for (let i = 0; i < n; i++) {
        const variable = random.below(3);
        const value: ReadingValue = variable === 0 ? randomNumber(random) : variable === 1 ? randomString(random) : random.below(2) === 1;
        const time = WALL + random.below(1e6);
        ring.push(variable, value, time, FLAG_GROUPED);
        want.push({ variable, value, time });
      }
      const batch = new Encoder(new VariableTable(VARIABLES)).encode(ring, timebase, 200_000, 8000);
      expect(batch.count).toBe(n);
      expect(batch.full).toBe(false);
      const body = text(batch);
      expect(body).toMatch(/^[\x20-\x7e]*$/);
      expect(body.length).toBe(batch.body.length);
      const parsed = JSON.parse(body) as Array<Record<string, unknown>>;
      expect(parsed).toEqual(
        want.map((w) => {
          const v = VARIABLES[w.variable];
          const o: Record<string, unknown> = { variable: v.name, value: Object.is(w.value, -0) ? 0 : w.value };
          if (v.unit !== undefined) o.unit = v.unit;
          o.time = new Date(w.time).toISOString();
          o.group = w.time.toString(36);
          return o;
        }),
      );
      // Same bytes as JSON.stringify would give for the same objects, but in ASCII.
      expect(batch.body.length).toBeGreaterThanOrEqual(new TextEncoder().encode(JSON.stringify(parsed)).length);
    }
  });

  it("fills a batch up to the byte bound and no further, always taking at least one record", () => {
    const clock = trustedClock();
    const timebase = new TimeBase(clock);
    timebase.observe();
    const ring = new Ring(1000, "drop-oldest", 0);
    for (let i = 0; i < 1000; i++) ring.push(0, i + 0.25, WALL + i * 1000, 0);
    const encoder = new Encoder(new VariableTable(VARIABLES));
    for (const maxBytes of [50, 1024, 4096, 32_768]) {
      const batch = encoder.encode(ring, timebase, maxBytes, 8000);
      expect(batch.count).toBeGreaterThanOrEqual(1);
      if (batch.count > 1) expect(batch.body.length).toBeLessThanOrEqual(maxBytes);
      // One more record would not have fit.
      const next = encoder.encode(ring, timebase, TAGOIO_MAX_BODY_BYTES, batch.count + 1);
      expect(next.body.length).toBeGreaterThan(maxBytes);
      expect(batch.full).toBe(true);
    }
    expect(encoder.encode(ring, timebase, TAGOIO_MAX_BODY_BYTES, 10).count).toBe(10);
  });

  it("sends a time only when trusted, rebases uptime exactly, never a time before 2024", () => {
    const clock = new VirtualClock({ wallStartMs: 0, trusted: false });
    const timebase = new TimeBase(clock);
    const ring = new Ring(8, "drop-oldest", 0);
    const encoder = new Encoder(new VariableTable(VARIABLES));
    clock.advanceTo(5_000);
    expect(timebase.observe()).toBe(-1);
    ring.push(0, 1, clock.monotonicMs(), FLAG_UPTIME | FLAG_GROUPED);
    ring.push(0, 2, 0, FLAG_NO_TIME);
    ring.push(0, 3, Date.UTC(2023, 5, 1), 0);
    const before = JSON.parse(text(encoder.encode(ring, timebase, TAGOIO_MAX_BODY_BYTES, 100)));
    expect(before.map((r: { time?: string }) => r.time)).toEqual([undefined, undefined, undefined]);
    expect(before[0].group).toBe("u" + (5000).toString(36));

    clock.advanceTo(65_000);
    clock.sync(WALL);
    timebase.observe();
    const after = JSON.parse(text(encoder.encode(ring, timebase, TAGOIO_MAX_BODY_BYTES, 100)));
    expect(after[0].time).toBe(new Date(WALL - 60_000).toISOString());
    expect(after[0].group).toBe((WALL - 60_000).toString(36));
    expect(after[1].time).toBeUndefined();
    expect(after[2].time).toBeUndefined();
  });

  it("leaves out group for single-reading samples and unit for variables without one", () => {
    const timebase = new TimeBase(trustedClock());
    timebase.observe();
    const ring = new Ring(4, "drop-oldest", 100);
    ring.push(1, "ok", WALL, 0);
    expect(text(new Encoder(new VariableTable(VARIABLES)).encode(ring, timebase, TAGOIO_MAX_BODY_BYTES, 10))).toBe(
      `[{"variable":"status","value":"ok","time":"${new Date(WALL).toISOString()}"}]`,
    );
  });

  it("names each reading after its variable in the table, also after the table reuses an index", () => {
    const timebase = new TimeBase(trustedClock());
    timebase.observe();
    const table = new VariableTable([{ name: "a" }]);
    const encoder = new Encoder(table);
    const one = (variable: number): string => {
      const ring = new Ring(2, "drop-oldest", 0);
      ring.push(variable, 1, WALL, 0);
      return text(encoder.encode(ring, timebase, TAGOIO_MAX_BODY_BYTES, 10));
    };
    expect(table.indexOf({ name: "x" })).toBe(1);
    expect(table.indexOf({ name: "a" })).toBe(0);
    expect(one(1)).toContain('{"variable":"x","value":1,"time"');
    // Full: every one of the 256 indexes taken.
    for (let i = 2; i < MAX_VARIABLES; i++) expect(table.indexOf({ name: `v${i}` })).toBe(i);
    expect(table.indexOf({ name: "y", unit: "u" })).toBe(-1);
    table.reset();
    expect(table.indexOf({ name: "y", unit: "u" })).toBe(1);
    expect(table.indexOf({ name: "y" })).toBe(2);
    expect(one(1)).toContain('{"variable":"y","value":1,"unit":"u","time"');
    expect(one(0)).toContain('{"variable":"a","value":1,"time"');
  });
});
