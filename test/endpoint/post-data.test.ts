// POST /data over real TLS: what is stored, the validation answers, and the body size limit.

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { call, post, start } from "./helpers.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

describe("POST /data", () => {
  it("stores a single object, lowercasing the variable and stamping the receive time", async () => {
    const { endpoint, token } = await start({ now: () => NOW });
    const answer = await call(endpoint, "POST", "/data", { token, body: { variable: "Temperature", value: 21.5 } });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    expect(answer.json).toEqual({ status: true, result: "1 Data Added" });

    const [record] = endpoint.records(token);
    expect(record).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      device: expect.stringMatching(/^[0-9a-f]{24}$/),
      variable: "temperature",
      value: 21.5,
      time: new Date(NOW).toISOString(),
      created_at: new Date(NOW).toISOString(),
    });
  });

  it("stores an array with every field, locations as GeoJSON, in order", async () => {
    const { endpoint, token } = await start({ now: () => NOW });
    const answer = await post(endpoint, token, [
      {
        variable: "pos",
        value: "home",
        unit: "",
        group: "s1",
        time: "2026-11-26T03:00:00+02:00",
        location: { lat: -23.5, lng: -46.6 },
      },
      { variable: "on", value: true, group: "s1", metadata: { color: "red", nested: { a: [1, 2] } } },
      { variable: "count", value: 7, unit: "pcs", location: { type: "Point", coordinates: [10, 20] } },
      { variable: "off", value: false },
    ]);
    expect(answer.json.result).toBe("4 Data Added");
    const records = endpoint.records(token);
    const stamp = new Date(NOW).toISOString();
    expect(records.map(({ id: _, device: __, created_at: ___, ...rest }) => rest)).toEqual([
      {
        variable: "pos",
        value: "home",
        unit: "",
        group: "s1",
        time: "2026-11-26T01:00:00.000Z",
        location: { type: "Point", coordinates: [-46.6, -23.5] },
      },
      { variable: "on", value: true, group: "s1", time: stamp, metadata: { color: "red", nested: { a: [1, 2] } } },
      { variable: "count", value: 7, unit: "pcs", time: stamp, location: { type: "Point", coordinates: [10, 20] } },
      { variable: "off", value: false, time: stamp },
    ]);
    expect(new Set(records.map((r) => r.id)).size).toBe(4);
  });

  it("keeps each device's data apart", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const { endpoint } = await start({ devices: [{ token: a }, { token: b }] });
    await post(endpoint, a, { variable: "x", value: 1 });
    await post(endpoint, b, [{ variable: "y", value: 2 }, { variable: "y", value: 3 }]);
    expect(endpoint.records(a).map((r) => r.value)).toEqual([1]);
    expect(endpoint.records(b).map((r) => r.value)).toEqual([2, 3]);
    expect(endpoint.records()).toHaveLength(3);
    expect(endpoint.records("unknown-token")).toEqual([]);
    expect([endpoint.count(a), endpoint.count(b), endpoint.count("unknown-token")]).toEqual([1, 2, 0]);
  });

  it.each([
    ["variable", { value: 1 }],
    ["variable", { variable: "x".repeat(101), value: 1 }],
    ["variable", { variable: "my var", value: 1 }],
    ["variable", { variable: "a*b", value: 1 }],
    ["variable", { variable: "a?b", value: 1 }],
    ["variable", { variable: "a!b", value: 1 }],
    ["variable", { variable: "a<b", value: 1 }],
    ["variable", { variable: "a>b", value: 1 }],
    ["variable", { variable: "a.b", value: 1 }],
    ["variable", { variable: "a-b", value: 1 }],
    ["variable", { variable: "a=b", value: 1 }],
    ["variable", { variable: "a$b", value: 1 }],
    ["value", { variable: "v", value: { nested: true } }],
    ["value", { variable: "v", value: "x".repeat(6001) }],
    ["unit", { variable: "v", value: 1, unit: "u".repeat(26) }],
    ["time", { variable: "v", value: 1, time: "26/11/2026" }],
    ["group", { variable: "v", value: 1, group: "g".repeat(101) }],
    ["location", { variable: "v", value: 1, location: { lat: 0 } }],
    ["metadata", { variable: "v", value: 1, metadata: ["not", "an", "object"] }],
    ["metadata", { variable: "v", value: 1, metadata: { big: "m".repeat(10_001) } }],
  ])("refuses a bad %s with 400, a message naming it, and stores nothing from the request", async (field, bad) => {
    const { endpoint, token } = await start();
    const answer = await call(endpoint, "POST", "/data", {
      token,
      body: [{ variable: "good", value: 1 }, bad, { variable: "good", value: 2 }],
    });
    expect(answer.status).toBe(400);
    expect(answer.json.status).toBe(false);
    expect(answer.json.message).toMatch(new RegExp(`^Invalid data\\[1\\]: .*${field}`));
    expect(endpoint.records()).toEqual([]);
  });

  it.each([
    ["value", '{"variable":"vh","value":1e400}'],
    ["value", '{"variable":"vh","value":-1e400}'],
    ["metadata", '{"variable":"vh","value":1,"metadata":{"m":[1,1e400]}}'],
    // About 40 kB, nested far deeper than any recursive JSON walk survives.
    ["metadata", `{"variable":"x","value":1,"metadata":${'{"a":'.repeat(6000)}1${"}".repeat(6000)}}`],
  ])("refuses a %s only raw JSON can carry (a number past 1e308, nesting 6,000 deep) with 400 naming it", async (field, bad) => {
    const { endpoint, token } = await start();
    const answer = await call(endpoint, "POST", "/data", {
      token,
      body: `[{"variable":"good","value":1},${bad},{"variable":"good","value":2}]`,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.status).toBe(false);
    expect(answer.json.message).toMatch(new RegExp(`^Invalid data\\[1\\]: ${field} `));
    expect(endpoint.records()).toEqual([]);
  });

  it("refuses a body that is not JSON, or a list of non-objects", async () => {
    const { endpoint, token } = await start();
    const garbage = await call(endpoint, "POST", "/data", { token, body: "{not json" });
    expect(garbage.status).toBe(400);
    expect(garbage.json).toEqual({ status: false, message: "Request body is not valid JSON" });
    const numbers = await call(endpoint, "POST", "/data", { token, body: [1, 2] });
    expect(numbers.status).toBe(400);
    expect(numbers.json.message).toContain("Invalid data[0]");
    expect(endpoint.records()).toEqual([]);
  });

  it("answers an empty array with 0 Data Added", async () => {
    const { endpoint, token } = await start();
    expect((await post(endpoint, token, [])).json).toEqual({ status: true, result: "0 Data Added" });
  });
});

/** A valid `/data` array of exactly `bytes` bytes. */
function bodyOfSize(bytes: number): string {
  const record = (value: string): string => JSON.stringify({ variable: "pad", value });
  const items: string[] = [];
  let size = 2;
  const full = record("x".repeat(5000));
  while (size + full.length + 1 + 200 < bytes) {
    items.push(full);
    size += full.length + (items.length > 1 ? 1 : 0);
  }
  const rest = bytes - size - (items.length > 0 ? 1 : 0) - record("").length;
  items.push(record("x".repeat(rest)));
  const text = "[" + items.join(",") + "]";
  if (Buffer.byteLength(text) !== bytes) throw new Error(`built ${Buffer.byteLength(text)} bytes, wanted ${bytes}`);
  return text;
}

describe("the 200 kB body limit", () => {
  it("accepts exactly 200,000 bytes and answers 413 at 200,001, storing nothing, on a connection that stays usable", async () => {
    const { endpoint, token } = await start();
    const atLimit = await call(endpoint, "POST", "/data", { token, body: bodyOfSize(200_000) });
    expect(atLimit.status).toBe(200);
    const stored = endpoint.records().length;

    const over = await call(endpoint, "POST", "/data", { token, body: bodyOfSize(200_001) });
    expect(over.status).toBe(413);
    expect(over.json).toEqual({ status: false, message: "Request body is larger than 200000 bytes" });
    expect(endpoint.records()).toHaveLength(stored);

    const after = await call(endpoint, "GET", "/info", { token });
    expect(after.status).toBe(200);
    expect(after.reusedSocket).toBe(true);
  });

  it("answers 413 without reading an enormous declared body, and closes that connection", async () => {
    const { endpoint, token } = await start({ maxBodyBytes: 1000 });
    const answer = await call(endpoint, "POST", "/data", { token, body: Buffer.alloc(100_000, 0x20) });
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe("close");
    expect(endpoint.records()).toEqual([]);
  });

  it("honours a smaller maxBodyBytes", async () => {
    const { endpoint, token } = await start({ maxBodyBytes: 1000 });
    expect((await call(endpoint, "POST", "/data", { token, body: bodyOfSize(1000) })).status).toBe(200);
    expect((await call(endpoint, "POST", "/data", { token, body: bodyOfSize(1001) })).status).toBe(413);
  });
});
