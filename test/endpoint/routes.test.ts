// Authentication, routing, GET /info and the device params routes over real TLS.

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startEndpoint } from "../../host-sim/endpoint/server.js";
import { call, post, seededDir, start } from "./helpers.js";

const DENIED = { status: false, result: "Authorization denied" };
const DEACTIVATED = { status: false, message: "Device is deactivated" };

describe("authentication", () => {
  it.each(["Device-Token", "Authorization", "token"] as const)("accepts the token in the %s header", async (header) => {
    const { endpoint, token } = await start();
    const answer = await call(endpoint, "GET", "/info", { token, header });
    expect(answer.status).toBe(200);
    expect(answer.json.status).toBe(true);
  });

  it.each([
    ["no token", {}],
    ["an unknown token", { token: randomUUID() }],
    ["an empty token", { token: "" }],
  ])("answers 401 Authorization denied for %s", async (_, options) => {
    const { endpoint } = await start();
    for (const [method, path] of [
      ["GET", "/info"],
      ["GET", "/data"],
      ["POST", "/data"],
      ["GET", "/device/params"],
      ["PUT", "/device/params/abc"],
    ]) {
      const answer = await call(endpoint, method, path, options);
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual(DENIED);
    }
  });

  it("takes Authorization as the bare token, not a Bearer one", async () => {
    const { endpoint, token } = await start();
    const answer = await call(endpoint, "GET", "/info", { headers: { Authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(401);
  });

  it("answers a device whose Active switch is off as TagoCore does (400 Device is deactivated), from the start or switched at run time", async () => {
    const [off, on] = [randomUUID(), randomUUID()];
    const { endpoint } = await start({ devices: [{ token: off, active: false }, { token: on }] });
    for (const [method, path] of [
      ["GET", "/info"],
      ["GET", "/data"],
      ["POST", "/data"],
      ["GET", "/device/params"],
    ]) {
      const answer = await call(endpoint, method, path, { token: off, body: method === "POST" ? { variable: "v", value: 1 } : undefined });
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.json).toEqual(DEACTIVATED);
    }
    expect(endpoint.records()).toEqual([]);

    endpoint.setDeviceActive(on, false);
    expect((await call(endpoint, "GET", "/info", { token: on })).json).toEqual(DEACTIVATED);
    endpoint.setDeviceActive(on, true);
    endpoint.setDeviceActive(off, true);
    expect((await call(endpoint, "GET", "/info", { token: on })).status).toBe(200);
    expect((await call(endpoint, "GET", "/info", { token: off })).status).toBe(200);
    expect(() => endpoint.setDeviceActive("nobody", true)).toThrow(/no device/);
  });

  it("switches a device on and off with PUT /_local/device and its own token, from loopback", async () => {
    const token = randomUUID();
    const { endpoint: device } = await start({ devices: [{ token, active: false }] });
    const put = (body: unknown, as = token) => call(device, "PUT", "/_local/device", { token: as, body });
    expect((await put({ active: true })).json).toEqual({ status: true, result: "Device activated" });
    expect((await call(device, "GET", "/info", { token })).status).toBe(200);
    expect((await put({ active: false })).json).toEqual({ status: true, result: "Device deactivated" });
    expect((await call(device, "POST", "/data", { token, body: { variable: "v", value: 1 } })).json).toEqual(DEACTIVATED);
    expect((await put({ active: "yes" })).status).toBe(400);
    expect((await put({ active: true }, randomUUID())).json).toEqual(DENIED);
    expect((await call(device, "GET", "/_local/device", { token })).status).toBe(405);
  });
});

describe("routing", () => {
  it("answers unknown routes 404 and wrong methods 405, in envelopes", async () => {
    const { endpoint, token } = await start();
    const missing = await call(endpoint, "GET", "/devices", { token });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ status: false, message: "Route GET /devices not found" });

    const wrong = await call(endpoint, "DELETE", "/data", { token });
    expect(wrong.status).toBe(405);
    expect(wrong.json.status).toBe(false);
    expect(wrong.headers.allow).toBe("GET, POST");
    expect((await call(endpoint, "POST", "/info", { token })).status).toBe(405);
    expect((await call(endpoint, "PUT", "/device/params", { token })).status).toBe(405);
    expect((await call(endpoint, "GET", "/device/params/abc", { token })).status).toBe(405);
  });

  it("ignores a trailing slash and the query string when routing", async () => {
    const { endpoint, token } = await start();
    expect((await call(endpoint, "GET", "/info/?x=1", { token })).status).toBe(200);
  });

  it("counts every answer by status", async () => {
    const { endpoint, token } = await start();
    await call(endpoint, "GET", "/info", { token });
    await call(endpoint, "GET", "/info");
    await call(endpoint, "GET", "/nowhere", { token });
    expect(endpoint.counts()).toEqual({ requests: 3, byStatus: { "200": 1, "401": 1, "404": 1 } });
  });
});

describe("GET /info", () => {
  it("describes the device behind the token, with last_input from the latest POST", async () => {
    let t = Date.UTC(2026, 10, 26, 8, 0, 0);
    const device = randomUUID();
    const { endpoint } = await start({ now: () => t, devices: [{ token: device, name: "Greenhouse" }] });
    const info = (await call(endpoint, "GET", "/info", { token: device })).json.result;
    expect(info).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: "Greenhouse",
      active: true,
      type: "immutable",
      created_at: "2026-11-26T08:00:00.000Z",
      updated_at: "2026-11-26T08:00:00.000Z",
      last_input: null,
    });
    t += 90_000;
    await post(endpoint, device, { variable: "v", value: 1 });
    const later = (await call(endpoint, "GET", "/info", { token: device })).json.result;
    expect(later.last_input).toBe("2026-11-26T08:01:30.000Z");
    expect(later.id).toBe(info.id);
  });
});

describe("device params", () => {
  const params = [
    { key: "interval", value: "60" },
    { key: "mode", value: "eco", sent: true },
    { key: "threshold", value: "21.5" },
  ];

  it("lists params, filters by sent_status, and marks one read with PUT", async () => {
    const token = randomUUID();
    const { endpoint } = await start({ devices: [{ token, params }] });
    const list = (await call(endpoint, "GET", "/device/params", { token })).json.result;
    expect(list).toEqual([
      { id: expect.stringMatching(/^[0-9a-f]{24}$/), key: "interval", value: "60", sent: false },
      { id: expect.any(String), key: "mode", value: "eco", sent: true },
      { id: expect.any(String), key: "threshold", value: "21.5", sent: false },
    ]);
    const unread = (await call(endpoint, "GET", "/device/params?sent_status=false", { token })).json.result;
    expect(unread.map((p: { key: string }) => p.key)).toEqual(["interval", "threshold"]);
    const read = (await call(endpoint, "GET", "/device/params?sent_status=true", { token })).json.result;
    expect(read.map((p: { key: string }) => p.key)).toEqual(["mode"]);

    const marked = await call(endpoint, "PUT", `/device/params/${list[0].id}`, { token, body: { sent: true } });
    expect(marked.json).toEqual({ status: true, result: "Params Successfully Updated" });
    const after = (await call(endpoint, "GET", "/device/params?sent_status=false", { token })).json.result;
    expect(after.map((p: { key: string }) => p.key)).toEqual(["threshold"]);
  });

  it("refuses a bad sent_status, a bad PUT body and another device's param", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const { endpoint } = await start({ devices: [{ token: a, params }, { token: b }] });
    expect((await call(endpoint, "GET", "/device/params?sent_status=maybe", { token: a })).status).toBe(400);
    const [first] = (await call(endpoint, "GET", "/device/params", { token: a })).json.result;
    const badBody = await call(endpoint, "PUT", `/device/params/${first.id}`, { token: a, body: { sent: "yes" } });
    expect(badBody.status).toBe(400);
    expect(badBody.json.message).toContain("sent");
    expect((await call(endpoint, "PUT", `/device/params/${first.id}`, { token: a, body: "[" })).status).toBe(400);
    const foreign = await call(endpoint, "PUT", `/device/params/${first.id}`, { token: b, body: { sent: true } });
    expect(foreign.status).toBe(404);
    expect(foreign.json).toEqual({ status: false, message: "Param not found" });
    expect((await call(endpoint, "GET", "/device/params", { token: b })).json.result).toEqual([]);
  });

  it("allows at most 60 params per device", async () => {
    const many = Array.from({ length: 61 }, (_, i) => ({ key: `k${i}`, value: String(i) }));
    const dataDir = await seededDir();
    await expect(startEndpoint({ dataDir, devices: [{ token: randomUUID(), params: many }] })).rejects.toThrow(/60/);
    const sixty = await start({ devices: [{ token: "t60", params: many.slice(0, 60) }] });
    expect((await call(sixty.endpoint, "GET", "/device/params", { token: "t60" })).json.result).toHaveLength(60);
  });
});
