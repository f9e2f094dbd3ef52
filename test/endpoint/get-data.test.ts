// GET /data over real TLS: filters, paging, ordering, dates and every query kind.

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { call, post, start } from "./helpers.js";

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

/**
 * temp 1..20 at minutes 1..20 (groups g1/g0 alternating, located at minutes 3 and 7), hum 41..45 at
 * minutes 1.5..5.5, a text "status", and last of all a temp -5 stamped at minute 0 (the last
 * inserted but the earliest in time).
 */
async function seeded() {
  const { endpoint, token } = await start({ now: () => T0 + 3_600_000 });
  const temps = Array.from({ length: 20 }, (_, k) => {
    const i = k + 1;
    return {
      variable: "temp",
      value: i,
      unit: "C",
      group: `g${i % 2}`,
      time: at(i),
      ...(i === 3 || i === 7 ? { location: { lat: i, lng: -i } } : {}),
    };
  });
  const hums = Array.from({ length: 5 }, (_, k) => ({ variable: "hum", value: 41 + k, time: at(k + 1.5) }));
  await post(endpoint, token, [...temps, ...hums, { variable: "status", value: "ok", time: at(30) }]);
  await post(endpoint, token, { variable: "temp", value: -5, time: at(0) });

  const get = async (query: string) => {
    const answer = await call(endpoint, "GET", `/data${query}`, { token });
    if (answer.status !== 200) throw new Error(`GET /data${query} answered ${answer.status}: ${answer.text}`);
    expect(answer.json.status).toBe(true);
    return answer.json.result;
  };
  const values = async (query: string) => ((await get(query)) as Array<{ value: unknown }>).map((r) => r.value);
  return { endpoint, token, get, values };
}

describe("GET /data lists", () => {
  it("defaults to the 15 latest records by time, every variable", async () => {
    const { get } = await seeded();
    const records = await get("");
    expect(records).toHaveLength(15);
    expect(records.map((r: { value: unknown }) => r.value)).toEqual(["ok", 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7]);
    expect(records[1]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      device: expect.stringMatching(/^[0-9a-f]{24}$/),
      variable: "temp",
      value: 20,
      unit: "C",
      group: "g0",
      time: at(20),
    });
    expect(records[14].location).toEqual({ type: "Point", coordinates: [-7, 7] });
  });

  it("filters by variable in every spelling the clients use", async () => {
    const { values } = await seeded();
    expect(await values("?variables=hum")).toEqual([45, 44, 43, 42, 41]);
    expect(await values("?variable=hum")).toEqual([45, 44, 43, 42, 41]);
    expect(await values("?variables=HUM")).toEqual([45, 44, 43, 42, 41]);
    expect(await values("?variables=hum&variables=status&qty=100")).toEqual(["ok", 45, 44, 43, 42, 41]);
    expect(await values("?variables=hum,status&qty=100")).toEqual(["ok", 45, 44, 43, 42, 41]);
    // The official SDK sends arrays the qs way.
    expect(await values("?variables%5B0%5D=hum&variables%5B1%5D=status&qty=100")).toEqual(["ok", 45, 44, 43, 42, 41]);
    expect(await values("?variables=nothing")).toEqual([]);
  });

  it("pages with qty and skip, and orders both ways", async () => {
    const { values } = await seeded();
    expect(await values("?variables=temp&qty=3&skip=2")).toEqual([18, 17, 16]);
    expect(await values("?variables=temp&qty=3&ordination=descending")).toEqual([20, 19, 18]);
    expect(await values("?variables=temp&qty=3&ordination=ascending")).toEqual([-5, 1, 2]);
    expect(await values("?variables=temp&qty=2&skip=19&ordination=ascending")).toEqual([19, 20]);
    expect(await values("?qty=0")).toEqual([]);
    expect(await values("?qty=1000")).toHaveLength(27);
  });

  it("filters by start_date and end_date, both inclusive, and by group", async () => {
    const { values } = await seeded();
    expect(await values(`?variables=temp&start_date=${at(5)}&end_date=${at(10)}`)).toEqual([10, 9, 8, 7, 6, 5]);
    expect(await values(`?variables=temp&start_date=${at(18)}`)).toEqual([20, 19, 18]);
    expect(await values(`?variables=temp&end_date=${at(1)}`)).toEqual([1, -5]);
    expect(await values(`?end_date=2026-11-26`)).toEqual([]);
    expect(await values("?variables=temp&groups=g1&qty=3")).toEqual([19, 17, 15]);
  });

  it("answers the agent's landing check as TagoIO does: groups and variables in the SDK's list form, a page ascending, or a time span", async () => {
    const { values } = await seeded();
    // firmware/core/landing-check.ts writes lists as name[i]=, percent-encoded.
    const byGroup = "?qty=4&skip=0&ordination=ascending&variables%5B0%5D=temp&variables%5B1%5D=hum&groups%5B0%5D=g0&groups%5B1%5D=nope";
    expect(await values(byGroup)).toEqual([2, 4, 6, 8]);
    expect(await values(byGroup.replace("skip=0", "skip=4"))).toEqual([10, 12, 14, 16]);
    const span = `?qty=10&skip=0&ordination=ascending&variables%5B0%5D=hum&start_date=${encodeURIComponent(at(2.5))}&end_date=${encodeURIComponent(at(4.5))}`;
    expect(await values(span)).toEqual([42, 43, 44]);
  });

  it("adds created_at only with details=true", async () => {
    const { get } = await seeded();
    const [plain] = await get("?qty=1");
    expect(plain).not.toHaveProperty("created_at");
    const [detailed] = await get("?qty=1&details=true");
    expect(detailed.created_at).toBe(new Date(T0 + 3_600_000).toISOString());
  });

  it("shows a device only its own data", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const { endpoint } = await start({ devices: [{ token: a }, { token: b }] });
    await post(endpoint, a, { variable: "x", value: 1 });
    expect((await call(endpoint, "GET", "/data", { token: b })).json.result).toEqual([]);
    expect((await call(endpoint, "GET", "/data?query=count", { token: b })).json.result).toBe(0);
    expect((await call(endpoint, "GET", "/data?query=count", { token: a })).json.result).toBe(1);
  });
});

describe("GET /data queries", () => {
  it("last_* and first_* give one record per variable", async () => {
    const { values, get } = await seeded();
    expect(await values("?variables=temp&query=last_value")).toEqual([20]);
    expect(await values("?variables=temp&query=last_item")).toEqual([20]);
    expect(await values("?variables=temp&query=last_insert")).toEqual([-5]);
    expect(await values("?variables=temp&query=last_location")).toEqual([7]);
    expect(await values("?variables=temp&query=first_value")).toEqual([-5]);
    expect(await values("?variables=temp&query=first_item")).toEqual([-5]);
    expect(await values("?variables=temp&query=first_insert")).toEqual([1]);
    expect(await values("?variables=temp&query=first_location")).toEqual([3]);
    expect(await values("?variables=hum&variables=temp&query=last_value")).toEqual([45, 20]);
    // No variables: every variable the device has, by name.
    const all = await get("?query=last_value");
    expect(all.map((r: { variable: string; value: unknown }) => [r.variable, r.value])).toEqual([
      ["hum", 45],
      ["status", "ok"],
      ["temp", 20],
    ]);
    expect(await values(`?variables=temp&query=last_value&end_date=${at(4)}`)).toEqual([4]);
    expect(await values("?variables=nothing&query=last_value")).toEqual([]);
  });

  it("count, avg and sum answer a bare number; min and max the record", async () => {
    const { get, values } = await seeded();
    expect(await get("?query=count")).toBe(27);
    expect(await get("?query=count&variables=hum")).toBe(5);
    expect(await get(`?query=count&variables=temp&start_date=${at(11)}`)).toBe(10);
    expect(await get("?query=avg&variables=hum")).toBe(43);
    expect(await get("?query=sum&variables=hum")).toBe(215);
    // Text values take no part in arithmetic.
    expect(await get("?query=sum")).toBe(210 - 5 + 215);
    expect(await get("?query=avg&variables=nothing")).toBe(0);
    expect(await get("?query=sum&variables=status")).toBe(0);

    expect(await values("?query=min&variables=temp")).toEqual([-5]);
    expect(await values("?query=max&variables=temp")).toEqual([20]);
    const [max] = await get("?query=max&variables=hum");
    expect(max).toMatchObject({ variable: "hum", value: 45, time: at(5.5) });
    expect(await values("?query=max")).toEqual([45, 20]);
    expect(await values(`?query=max&variables=temp&end_date=${at(9)}`)).toEqual([9]);
  });

  it.each([
    ["?qty=abc", "qty"],
    ["?qty=10001", "qty"],
    ["?skip=-1", "skip"],
    ["?ordination=up", "ordination"],
    ["?start_date=yesterday", "start_date"],
    ["?end_date=2026-99-01", "end_date"],
    ["?query=aggregate", "query"],
    ["?query=last_banana", "query"],
  ])("refuses %s with 400 naming %s", async (query, name) => {
    const { endpoint, token } = await start();
    const answer = await call(endpoint, "GET", `/data${query}`, { token });
    expect(answer.status).toBe(400);
    expect(answer.json.status).toBe(false);
    expect(answer.json.message).toContain(name);
  });
});
