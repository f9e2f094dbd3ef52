// The data object rules and date parsing, without a server.

import { describe, expect, it } from "vitest";
import { LIMITS, parseTime, validateData } from "../../host-sim/endpoint/validate.js";

describe("parseTime", () => {
  it.each([
    ["2026-11-26T01:10:55.000Z", Date.UTC(2026, 10, 26, 1, 10, 55)],
    ["2026-11-26T01:10:55Z", Date.UTC(2026, 10, 26, 1, 10, 55)],
    ["2026-11-26T01:10:55.123456Z", Date.UTC(2026, 10, 26, 1, 10, 55, 123)],
    ["2026-11-26T01:10:55.5Z", Date.UTC(2026, 10, 26, 1, 10, 55, 500)],
    ["2026-11-26T01:10Z", Date.UTC(2026, 10, 26, 1, 10)],
    ["2026-11-26T03:10:55+02:00", Date.UTC(2026, 10, 26, 1, 10, 55)],
    ["2026-11-25T22:10:55-0300", Date.UTC(2026, 10, 26, 1, 10, 55)],
    // No zone: UTC, never the host's local time.
    ["2026-11-26T01:10:55", Date.UTC(2026, 10, 26, 1, 10, 55)],
    ["2015-11-03 13:44:33", Date.UTC(2015, 10, 3, 13, 44, 33)],
    ["2026-11-26", Date.UTC(2026, 10, 26)],
    ["2028-02-29", Date.UTC(2028, 1, 29)],
  ])("reads %s", (text, ms) => {
    expect(parseTime(text)).toBe(ms);
  });

  it.each([
    "",
    "yesterday",
    "1764119455000",
    "2026-13-01",
    "2026-02-29",
    "2026-11-31",
    "2026-11-26T24:00:00Z",
    "2026-11-26T01:60:00Z",
    "2026-11-26T01:10:55+25:00",
    "2026-11-26Z",
    "26/11/2026",
  ])("refuses %j", (text) => {
    expect(parseTime(text)).toBeUndefined();
  });
});

/** Metadata `levels` objects deep: {"a":{"a":...{"a":1}}}. */
function nested(levels: number): Record<string, unknown> {
  let metadata: Record<string, unknown> = { a: 1 };
  for (let level = 1; level < levels; level++) metadata = { a: metadata };
  return metadata;
}

describe("validateData", () => {
  it("takes one object or an array and normalises every field", () => {
    const single = validateData({ variable: "Temp_1", value: 21.5 });
    expect(single).toEqual({ ok: true, records: [{ variable: "temp_1", value: 21.5 }] });

    const many = validateData([
      {
        variable: "pos",
        value: "home",
        unit: "",
        group: "g1",
        time: "2026-11-26T03:10:55+02:00",
        location: { lat: -23.5, lng: -46.6 },
        metadata: { color: "red" },
      },
      { variable: "on", value: false, location: { type: "Point", coordinates: [10, 20] }, unit: null, serie: "x" },
    ]);
    expect(many).toEqual({
      ok: true,
      records: [
        {
          variable: "pos",
          value: "home",
          unit: "",
          group: "g1",
          time: Date.UTC(2026, 10, 26, 1, 10, 55),
          location: { type: "Point", coordinates: [-46.6, -23.5] },
          metadata: '{"color":"red"}',
        },
        { variable: "on", value: false, location: { type: "Point", coordinates: [10, 20] } },
      ],
    });
  });

  it("accepts every limit exactly", () => {
    const result = validateData({
      variable: "v".repeat(LIMITS.variableChars),
      value: "x".repeat(LIMITS.valueBytes),
      unit: "u".repeat(LIMITS.unitChars),
      group: "g".repeat(LIMITS.groupChars),
      metadata: { m: "y".repeat(LIMITS.metadataBytes - 8) },
    });
    expect(result.ok).toBe(true);
    expect(validateData({ variable: "v", value: 1, metadata: nested(LIMITS.metadataDepth) }).ok).toBe(true);
  });

  it.each([
    [{ value: 1 }, "variable is required"],
    [{ variable: "", value: 1 }, "variable is required"],
    [{ variable: 7, value: 1 }, "variable is required"],
    [{ variable: "v".repeat(101), value: 1 }, "variable must be at most 100"],
    ...[" ", "*", "?", "!", "<", ">", ".", "-", "=", "$", "é"].map(
      (c) => [{ variable: `a${c}b`, value: 1 }, "variable"] as [object, string],
    ),
    [{ variable: "v" }, "value is required"],
    [{ variable: "v", value: null }, "value is required"],
    [{ variable: "v", value: { a: 1 } }, "value"],
    [{ variable: "v", value: [1] }, "value"],
    [{ variable: "v", value: "é".repeat(3001) }, "value must be at most 6000 bytes"],
    [{ variable: "v", value: 1, unit: "u".repeat(26) }, "unit"],
    [{ variable: "v", value: 1, unit: 5 }, "unit"],
    [{ variable: "v", value: 1, group: "g".repeat(25) }, "group must be a string of at most 24 characters"],
    [{ variable: "v", value: 1, group: 1 }, "group"],
    [{ variable: "v", value: 1, time: "yesterday" }, "time"],
    [{ variable: "v", value: 1, time: 1764119455000 }, "time"],
    [{ variable: "v", value: 1, location: "here" }, "location"],
    [{ variable: "v", value: 1, location: { lat: 91, lng: 0 } }, "location"],
    [{ variable: "v", value: 1, location: { lat: "1", lng: "2" } }, "location"],
    [{ variable: "v", value: 1, location: { type: "Point", coordinates: [181, 0] } }, "location"],
    [{ variable: "v", value: 1, location: { type: "LineString", coordinates: [[0, 0]] } }, "location"],
    [{ variable: "v", value: 1, metadata: "x" }, "metadata must be an object"],
    [{ variable: "v", value: 1, metadata: [1] }, "metadata must be an object"],
    [{ variable: "v", value: 1, metadata: { m: "y".repeat(10_000) } }, "metadata must be at most 10000 bytes"],
    [{ variable: "v", value: 1, metadata: nested(LIMITS.metadataDepth + 1) }, `metadata must nest at most ${LIMITS.metadataDepth} levels`],
    ["just text", "must be an object"],
    [null, "must be an object"],
  ])("refuses %j naming the field", (record, expected) => {
    const single = validateData(record);
    expect(single.ok).toBe(false);
    if (!single.ok) expect(single.message).toContain(expected);

    // In an array, the message names the record too.
    const inArray = validateData([{ variable: "fine", value: 1 }, record]);
    expect(inArray.ok).toBe(false);
    if (!inArray.ok) expect(inArray.message).toMatch(/^Invalid data\[1\]: /);
  });

  it("refuses numbers that would be stored as null (Infinity, what JSON.parse makes of 1e400), naming the record and field", () => {
    const cases: Array<[object, string]> = [
      [{ variable: "v", value: Infinity }, "Invalid data[1]: value must be a finite number"],
      [{ variable: "v", value: -Infinity }, "Invalid data[1]: value must be a finite number"],
      [{ variable: "v", value: NaN }, "Invalid data[1]: value must be a finite number"],
      [{ variable: "v", value: 1, metadata: { m: { n: [1, Infinity] } } }, "Invalid data[1]: metadata numbers must be finite"],
    ];
    for (const [record, expected] of cases) {
      const result = validateData([{ variable: "fine", value: 1 }, record]);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(expected);
    }
  });

  it("does not echo a long bad variable whole", () => {
    const result = validateData({ variable: "bad var " + "x".repeat(90), value: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeLessThan(160);
  });
});
