// The journal's on-flash format: the CRC is the standard CRC-32, every value comes back exactly,
// a frame is small, and any damage (a flipped bit anywhere, a cut) makes it refused, never misread.

import { describe, expect, it } from "vitest";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32 } from "../../firmware/core/crc.js";
import { encodeErased, encodeOpened, HEADER_BYTES, isErased, parseHeader, PHASE_TWO, sealFrame } from "../../firmware/core/frame.js";
import { encodeData, encodeList, encodeRelease, findFrame, listId, parseFrame, readingBytes, windowBytes } from "../../firmware/core/reading-frame.js";
import { FLAG_GROUPED, FLAG_UPTIME, type ReadingValue } from "../../firmware/core/ring.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";

const T = Date.UTC(2026, 10, 26, 12, 0, 0, 123);

function roundTrip(values: ReadingValue[]): ReadingValue[] {
  const variables = values.map((_, i) => i % 256);
  const bytes = encodeData(1234, T, FLAG_GROUPED, variables, values, 0, values.length);
  const frame = parseFrame(bytes, 0, bytes.length);
  expect(frame).toBeDefined();
  expect(frame?.variables).toEqual(variables);
  return frame?.values ?? [];
}

describe("crc32", () => {
  it("is the standard CRC-32", () => {
    const text = new TextEncoder().encode("123456789");
    expect(crc32(text, 0, text.length)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0), 0, 0)).toBe(0);
  });

  it("agrees with zlib's over any range of any view, four bytes a step or one, and chained", () => {
    const random = new SeededRandom(3);
    const buffer = new Uint8Array(300);
    for (let i = 0; i < buffer.length; i++) buffer[i] = random.below(256);
    for (let offset = 0; offset < 4; offset++) {
      const bytes = buffer.subarray(offset, offset + 250);
      for (const [start, end] of [[0, 250], [1, 250], [2, 7], [3, 3], [5, 6], [7, 200], [0, 4], [9, 17]]) {
        const expected = zlibCrc32(bytes.subarray(start, end));
        expect(crc32(bytes, start, end)).toBe(expected);
        const middle = start + ((end - start) >> 1);
        expect(crc32(bytes, middle, end, crc32(bytes, start, middle))).toBe(expected);
      }
    }
  });
});

describe("isErased", () => {
  it("finds a single written byte anywhere in any range of any view", () => {
    const buffer = new Uint8Array(64).fill(0xff);
    for (let offset = 0; offset < 4; offset++) {
      const b = buffer.subarray(offset, offset + 40);
      for (const [from, to] of [[0, 40], [1, 40], [3, 9], [5, 5], [6, 7], [2, 35]]) {
        expect(isErased(b, from, to)).toBe(true);
        for (let at = Math.max(0, from - 1); at <= Math.min(39, to); at++) {
          b[at] = 0xfe;
          expect(isErased(b, from, to)).toBe(at < from || at >= to);
          b[at] = 0xff;
        }
      }
    }
  });
});

describe("data frames", () => {
  it("carry numbers exactly, whatever they are", () => {
    const random = new SeededRandom(7);
    const values: number[] = [0, -0, 1, -1, 127, -128, 128, 32767, -32768, 8388607, -8388608, 2147483647, -2147483648, 2 ** 40, 1e300, -1e-300, 5e-324];
    values.push(21.53, 50.12, 101325, 0.1, 0.2, 1.0000001, 12.3456789, 99999.99, -40.25);
    for (let i = 0; i < 2000; i++) {
      values.push((random.next() - 0.5) * 10 ** Math.floor(random.next() * 12 - 4));
      values.push(Math.round((random.next() - 0.5) * 1e6) / 10 ** Math.floor(random.next() * 8));
    }
    for (let i = 0; i < values.length; i += 200) {
      const chunk = values.slice(i, i + 200);
      expect(roundTrip(chunk)).toEqual(chunk);
    }
  });

  it("carry booleans and strings (any Unicode) exactly", () => {
    const values: ReadingValue[] = [true, false, "", "ok", "naïve ☃ 𝄞 \u0000 \"quoted\" \\", "x".repeat(1000)];
    expect(roundTrip(values)).toEqual(values);
  });

  it("carry the sample's seq, time and flags", () => {
    const bytes = encodeData(2 ** 40 + 5, 2 ** 48 - 1, FLAG_UPTIME | FLAG_GROUPED, [3, 4], [1.5, true], 0, 2);
    expect(parseFrame(bytes, 0, bytes.length)).toMatchObject({ kind: "data", seq: 2 ** 40 + 5, time: 2 ** 48 - 1, flags: FLAG_UPTIME | FLAG_GROUPED });
  });

  it("are small: a 3-variable sample (temperature, humidity, pressure) takes 33 bytes", () => {
    const bytes = encodeData(0, T, FLAG_GROUPED, [0, 1, 2], [21.53, 48.07, 101325], 0, 3);
    expect(bytes.length).toBe(33);
    expect(readingBytes(21.53) + readingBytes(48.07) + readingBytes(101325)).toBe(13);
    expect(readingBytes(Math.PI)).toBe(10);
    expect(readingBytes(true)).toBe(2);
  });

  it("are refused after any single flipped bit, and when cut short", () => {
    const bytes = encodeData(77, T, FLAG_GROUPED, [0, 1, 2], [21.53, "on", false], 0, 3);
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = bytes.slice();
        damaged[i] ^= 1 << bit;
        expect(parseFrame(damaged, 0, damaged.length)).toBeUndefined();
      }
    }
    for (let n = 0; n < bytes.length; n++) {
      const torn = new Uint8Array(bytes.length).fill(0xff);
      torn.set(bytes.subarray(0, n));
      expect(parseFrame(torn, 0, torn.length)).toBeUndefined();
    }
  });
});

describe("window entries", () => {
  const window = { variables: [0, 2, 1], values: [21.53, NaN, Math.PI] };

  it("follow the readings, apart from them: a member exactly, a close as NaN, and no seq taken", () => {
    const bytes = encodeData(9, T, FLAG_GROUPED, [1, 2], [48.07, 101325], 0, 2, window);
    expect(bytes.length).toBe(encodeData(9, T, FLAG_GROUPED, [1, 2], [48.07, 101325], 0, 2).length + windowBytes(window));
    expect(windowBytes(window)).toBe(readingBytes(21.53) + 2 + readingBytes(Math.PI));
    const frame = parseFrame(bytes, 0, bytes.length);
    expect(frame).toMatchObject({ seq: 9, variables: [1, 2], values: [48.07, 101325], window });
    // Without entries, a frame has none.
    const plain = encodeData(9, T, FLAG_GROUPED, [1], [48.07], 0, 1);
    expect(parseFrame(plain, 0, plain.length)?.window).toBeUndefined();
  });

  it("make a frame of their own when the sample's readings were all held back", () => {
    const bytes = encodeData(9, T, 0, [], [], 0, 0, window);
    expect(parseFrame(bytes, 0, bytes.length)).toMatchObject({ seq: 9, variables: [], values: [], window });
  });

  it("are refused when a reading follows one, or when one is not a number", () => {
    const bytes = encodeData(9, T, 0, [0], [true], 0, 1, { variables: [1], values: [2] });
    // Swap the entry (variable 1, 0x80 | decimal, 2) in front of the reading (variable 0, boolean true).
    expect(parseFrame(bytes, 0, bytes.length)).toMatchObject({ variables: [0], values: [true], window: { variables: [1], values: [2] } });
    const swapped = bytes.slice();
    swapped.set([1, bytes[19], 2, 0, bytes[17]], 16);
    sealFrame(swapped, swapped.length - 4);
    expect(parseFrame(swapped, 0, swapped.length)).toBeUndefined();
    // A boolean entry (0x80 | boolean) was never written.
    const boolean = bytes.slice();
    boolean[17] |= 0x80;
    sealFrame(boolean, boolean.length - 4);
    expect(parseFrame(boolean, 0, boolean.length)).toBeUndefined();
  });
});

describe("release frames and scanning", () => {
  it("encode a floor and are found past garbage", () => {
    const release = encodeRelease(123_456_789);
    expect(release.length).toBe(13);
    const buffer = new Uint8Array(64).fill(0xff);
    buffer.set([0xd5, 0x40, 0x00, 1, 2, 3, 0xa9, 7], 0);
    buffer.set(release, 20);
    expect(findFrame(buffer, 0, buffer.length)).toBe(20);
    expect(parseFrame(buffer, 20, buffer.length)).toMatchObject({ kind: "release", seq: 123_456_789 });
    expect(findFrame(buffer, 21, buffer.length)).toBe(-1);
  });
});

describe("list frames", () => {
  const LIST = [{ name: "temperature", unit: "°C" }, { name: "door_open" }, { name: "t", unit: "µg/m³" }];

  it("carry names and units exactly, with the id headers record", () => {
    const bytes = encodeList(LIST);
    // Tag, length, count; per variable two lengths, the name and the unit's UTF-8; CRC.
    expect(bytes.length).toBe(4 + (2 + 11 + 3) + (2 + 9) + (2 + 1 + 7) + 4);
    const frame = parseFrame(bytes, 0, bytes.length);
    expect(frame).toMatchObject({ kind: "list", list: LIST, listId: listId(bytes) });
    // The id follows names and units: another unit, another list.
    expect(listId(encodeList([{ name: "temperature", unit: "K" }, ...LIST.slice(1)]))).not.toBe(listId(bytes));
    expect(listId(encodeList(LIST.map((v) => ({ ...v }))))).toBe(listId(bytes));
  });

  it("are refused after any single flipped bit, and found past garbage", () => {
    const bytes = encodeList(LIST);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const copy = bytes.slice();
      copy[bit >> 3] ^= 1 << (bit & 7);
      expect(parseFrame(copy, 0, copy.length), `bit ${bit}`).toBeUndefined();
    }
    const buffer = new Uint8Array(40 + bytes.length).fill(0x5a);
    buffer.set(bytes, 40);
    expect(findFrame(buffer, 0, buffer.length)).toBe(40);
  });
});

describe("sector headers", () => {
  it("go from blank to spare to open, each by writing erased bytes only", () => {
    const sector = new Uint8Array(HEADER_BYTES).fill(0xff);
    expect(parseHeader(sector).state).toBe("blank");
    sector.set(encodeErased(41), 0);
    expect(parseHeader(sector)).toMatchObject({ state: "spare", erases: 41 });
    const opened = encodeOpened(9, 2 ** 40, 0xdeadbeef);
    expect(opened.length).toBe(HEADER_BYTES - PHASE_TWO);
    sector.set(opened, PHASE_TWO);
    expect(parseHeader(sector)).toMatchObject({ state: "open", erases: 41, generation: 9, floor: 2 ** 40, schema: 0xdeadbeef });
  });

  it("say dirty when the opened half is damaged, and only lose the erase count when the first is", () => {
    const sector = new Uint8Array(HEADER_BYTES).fill(0xff);
    sector.set(encodeErased(1), 0);
    sector.set(encodeOpened(7, 5, 3), PHASE_TWO);
    const damaged = sector.slice();
    damaged[PHASE_TWO + 3] ^= 0x01;
    expect(parseHeader(damaged).state).toBe("dirty");
    damaged.set(sector);
    damaged[2] ^= 0x01;
    expect(parseHeader(damaged)).toEqual({ state: "open", erases: -1, generation: 7, floor: 5, schema: 3 });
    const spare = sector.slice(0, PHASE_TWO);
    spare[2] ^= 0x01;
    expect(parseHeader(Uint8Array.of(...spare, ...new Uint8Array(HEADER_BYTES - PHASE_TWO).fill(0xff))).state).toBe("dirty");
    const torn = new Uint8Array(HEADER_BYTES).fill(0xff);
    torn.set(encodeErased(1).subarray(0, 6), 0);
    expect(parseHeader(torn).state).toBe("dirty");
  });
});
