// The dashboard's routes over real TLS: the page and its assets (no token, nothing from elsewhere),
// the view JSON (devices without tokens, each variable's newest reading, numeric readings by period
// and after a mark, in pages), and who is answered: loopback clients naming loopback, GET only.
// The page itself is tested in Chromium (test/browser).

import { randomUUID } from "node:crypto";
import { Agent } from "node:https";
import { describe, expect, it, onTestFinished } from "vitest";
import { MAX_POINTS_PER_ANSWER, SCRIPT_PATH, STYLE_PATH, VIEW_PATH, type ViewAnswer } from "../../host-sim/endpoint/view.js";
import { call, post, start } from "./helpers.js";

const T0 = Date.UTC(2026, 10, 1);
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

async function view(endpoint: Parameters<typeof call>[0], query = ""): Promise<ViewAnswer> {
  const answer = await call(endpoint, "GET", `${VIEW_PATH}${query}`);
  expect(answer.status, answer.text).toBe(200);
  return answer.json as ViewAnswer;
}

describe("the dashboard's page", () => {
  it("serves the page, its script and its style to loopback, with nothing from elsewhere and no token", async () => {
    const tokens = [randomUUID(), randomUUID()];
    const { endpoint } = await start({ devices: tokens.map((token) => ({ token })) });
    expect(endpoint.dashboardUrl).toBe(`${endpoint.url}/`);
    const page = await call(endpoint, "GET", "/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'; script-src 'self'");
    expect(page.text).toContain(`<script src="${SCRIPT_PATH}" defer></script>`);
    expect(page.text).toContain(`<link rel="stylesheet" href="${STYLE_PATH}">`);
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const token of tokens) expect(page.text).not.toContain(token);

    const script = await call(endpoint, "GET", SCRIPT_PATH);
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.text).toContain("uPlot");
    expect(script.text.length).toBeGreaterThan(40_000);
    const style = await call(endpoint, "GET", STYLE_PATH);
    expect(style.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(style.text).toContain(".uplot");
    for (const asset of [script, style]) expect(asset.text).not.toMatch(/@import|url\(\s*["']?https?:/);
  });

  it("answers only GET, only a Host naming loopback, and 404 elsewhere under its prefix", async () => {
    const { endpoint } = await start();
    expect((await call(endpoint, "POST", "/", { body: {} })).status).toBe(405);
    for (const host of ["localhost", `127.0.0.1:${endpoint.port}`, `localhost:${endpoint.port}`]) {
      expect((await call(endpoint, "GET", VIEW_PATH, { headers: { Host: host } })).status, host).toBe(200);
    }
    // A page elsewhere whose name was rebound to 127.0.0.1 sends its own name (TLS would refuse it
    // first, as the certificate does not name it: this client goes on regardless, to reach the check).
    const lax = new Agent({ ca: endpoint.caPem, checkServerIdentity: () => undefined });
    onTestFinished(() => lax.destroy());
    const rebound = await call(endpoint, "GET", VIEW_PATH, { headers: { Host: "attacker.example" }, agent: lax });
    expect(rebound.status).toBe(403);
    expect(rebound.json).toEqual({ status: false, message: expect.stringContaining("loopback only") });
    expect((await call(endpoint, "GET", "/_local/dashboard/nothing")).status).toBe(404);
    // The device API is unchanged beside it; the dashboard's requests are not the API's to count.
    expect((await call(endpoint, "GET", "/info")).status).toBe(401);
    expect(endpoint.counts()).toEqual({ requests: 1, byStatus: { "401": 1 } });
  });
});

describe("the dashboard's view", () => {
  it("lists the devices without their tokens and shows the first, or the one asked for", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const { endpoint } = await start({
      devices: [{ token: a, name: "first", params: [{ key: "interval", value: "60" }] }, { token: b, name: "second", active: false }],
    });
    await post(endpoint, a, [{ variable: "t", value: 1, unit: "°C", time: at(0) }]);
    const answer = await view(endpoint);
    expect(JSON.stringify(answer)).not.toContain(a);
    expect(JSON.stringify(answer)).not.toContain(b);
    expect(answer.devices).toEqual([
      { id: expect.stringMatching(/^[0-9a-f]{24}$/), name: "first", active: true, lastInput: expect.any(String), records: 1 },
      { id: expect.any(String), name: "second", active: false, lastInput: null, records: 0 },
    ]);
    expect(answer.view?.device).toEqual(answer.devices[0]);
    expect(answer.view?.params).toEqual([{ key: "interval", value: "60", sent: false }]);

    const second = await view(endpoint, `?device=${answer.devices[1].id}`);
    expect(second.view).toEqual({ device: answer.devices[1], newestMs: null, latest: [], params: [], series: {}, mark: 1, complete: true });
    expect((await call(endpoint, "GET", `${VIEW_PATH}?device=nobody`)).status).toBe(404);
    for (const bad of ["period=0", "period=1.5", "after=-1", "after=x"]) {
      expect((await call(endpoint, "GET", `${VIEW_PATH}?${bad}`)).status, bad).toBe(400);
    }
  });

  it("gives each variable's newest reading, and numeric readings in the period ending at the newest one, after a mark", async () => {
    const { endpoint, token } = await start();
    await post(endpoint, token, [
      { variable: "t", value: 20, unit: "°C", time: at(0) },
      { variable: "t", value: 21, unit: "°C", time: at(30) },
      { variable: "status", value: "ok", time: at(30) },
      { variable: "door", value: true, time: at(40) },
      // Arrives later but was taken earlier: not the newest.
      { variable: "t", value: 19, unit: "°C", time: at(10) },
      { variable: "agent_uptime", value: 3600, unit: "s", time: at(60) },
      { variable: "constructor", value: 5, time: at(60) },
    ]);
    const all = (await view(endpoint)).view;
    expect(all?.newestMs).toBe(T0 + 60 * 60_000);
    expect(all?.latest).toEqual([
      { variable: "agent_uptime", value: 3600, unit: "s", time: at(60) },
      { variable: "constructor", value: 5, time: at(60) },
      { variable: "door", value: true, time: at(40) },
      { variable: "status", value: "ok", time: at(30) },
      { variable: "t", value: 21, unit: "°C", time: at(30) },
    ]);
    // Numbers only, as they arrived; strings and booleans have no chart.
    expect(all?.series).toEqual({
      t: { t: [T0, T0 + 30 * 60_000, T0 + 10 * 60_000], v: [20, 21, 19] },
      agent_uptime: { t: [T0 + 3600_000], v: [3600] },
      constructor: { t: [T0 + 3600_000], v: [5] },
    });
    expect(all?.complete).toBe(true);

    // The last 30 minutes end at the newest reading (60), so they start at minute 30, inclusive.
    const half = (await view(endpoint, "?period=1800000")).view;
    expect(half?.series.t).toEqual({ t: [T0 + 30 * 60_000], v: [21] });
    expect(half?.latest).toEqual(all?.latest);

    // After the mark: only what arrived since.
    expect((await view(endpoint, `?after=${all?.mark}`)).view?.series).toEqual({});
    await post(endpoint, token, { variable: "t", value: 22, unit: "°C", time: at(61) });
    const next = (await view(endpoint, `?after=${all?.mark}&period=1800000`)).view;
    expect(next?.series).toEqual({ t: { t: [T0 + 61 * 60_000], v: [22] } });
    expect(next?.newestMs).toBe(T0 + 61 * 60_000);
    expect(next?.mark).toBe((all?.mark ?? 0) + 1);
  });

  it(`answers at most ${MAX_POINTS_PER_ANSWER} readings at a time, the rest after the mark it gives`, async () => {
    const { endpoint, token } = await start({ rateLimits: { postData: 1000 } });
    const total = MAX_POINTS_PER_ANSWER + 1234;
    const perBody = 2500;
    for (let first = 0; first < total; first += perBody) {
      const count = Math.min(perBody, total - first);
      await post(endpoint, token, Array.from({ length: count }, (_, i) => ({ variable: "v", value: first + i, time: at((first + i) / 60) })));
    }
    const page1 = (await view(endpoint)).view;
    expect(page1?.complete).toBe(false);
    expect(page1?.series.v.v).toHaveLength(MAX_POINTS_PER_ANSWER);
    const page2 = (await view(endpoint, `?after=${page1?.mark}`)).view;
    expect(page2?.complete).toBe(true);
    expect([...(page1?.series.v.v ?? []), ...(page2?.series.v.v ?? [])]).toEqual(Array.from({ length: total }, (_, i) => i));
  });
});
