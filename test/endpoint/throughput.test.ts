// A virtual day through the endpoint: 1,440 POSTs (one a minute on a virtual clock) of 180 records
// each, 259,200 records, over one keep-alive TLS connection. Checks that all of it is stored and
// queryable, and reports how long it took (the bench relies on this running in seconds).

import { describe, expect, it } from "vitest";
import { call, start } from "./helpers.js";

const DAY_START = Date.UTC(2026, 10, 26, 0, 0, 0);
const POSTS = 1_440;
const PER_POST = 180;

describe("throughput", () => {
  it("takes a virtual day of 259,200 records in a few seconds", async () => {
    let t = DAY_START;
    const { endpoint, token } = await start({ now: () => t });
    const started = performance.now();
    for (let i = 0; i < POSTS; i++) {
      const base = DAY_START + i * 60_000;
      const records = Array.from({ length: PER_POST }, (_, k) => ({
        variable: `v${k % 6}`,
        value: i + k / 1000,
        unit: "u",
        time: new Date(base + Math.floor(k / 6) * 2_000).toISOString(),
      }));
      const answer = await call(endpoint, "POST", "/data", { token, body: records });
      expect(answer.status).toBe(200);
      t += 60_000;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`throughput: ${POSTS} POSTs, ${POSTS * PER_POST} records in ${seconds.toFixed(1)} s`);

    expect((await call(endpoint, "GET", "/data?query=count", { token })).json.result).toBe(POSTS * PER_POST);
    expect((await call(endpoint, "GET", "/data?query=count&variables=v0", { token })).json.result).toBe((POSTS * PER_POST) / 6);
    const [last] = (await call(endpoint, "GET", "/data?variables=v5&query=last_value", { token })).json.result;
    expect(last.value).toBe(POSTS - 1 + 0.179);
    expect(endpoint.records()).toHaveLength(POSTS * PER_POST);
    expect(endpoint.counts().byStatus).toEqual({ "200": POSTS + 3 });
    // Generous for a loaded CI machine; typically a few seconds.
    expect(seconds).toBeLessThan(30);
  });
});
