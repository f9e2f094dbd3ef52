// Restart and shutdown: data, devices, params and the CA survive a restart on the same dir;
// keep-alive connections are reused, and close() is held up by no connection, idle or mid-request.

import { randomUUID } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import { Agent, request } from "node:https";
import { describe, expect, it, onTestFinished } from "vitest";
import { startEndpoint } from "../../host-sim/endpoint/server.js";
import { call, post, seededDir } from "./helpers.js";

describe("restart", () => {
  it("keeps records, devices, params and the CA when started again on the same dir", async () => {
    const dataDir = await seededDir();
    const token = randomUUID();
    const params = [{ key: "interval", value: "60" }];
    const first = await startEndpoint({ dataDir, devices: [{ token, name: "Kept", params }] });
    await post(first, token, [
      { variable: "a", value: 1, location: { lat: 1, lng: 2 }, metadata: { m: 1 } },
      { variable: "b", value: "two" },
    ]);
    const [param] = (await call(first, "GET", "/device/params", { token })).json.result;
    await call(first, "PUT", `/device/params/${param.id}`, { token, body: { sent: true } });
    const info = (await call(first, "GET", "/info", { token })).json.result;
    const before = first.records();
    await first.close();

    const second = await startEndpoint({ dataDir, devices: [{ token, params }] });
    onTestFinished(() => second.close());
    expect(second.caPem).toBe(first.caPem);
    expect(second.records()).toEqual(before);
    const again = (await call(second, "GET", "/info", { token })).json.result;
    expect(again).toMatchObject({ id: info.id, name: "Kept", created_at: info.created_at, last_input: info.last_input });
    // Same value: still read. New data appends after the old.
    expect((await call(second, "GET", "/device/params", { token })).json.result).toEqual([{ ...param, sent: true }]);
    await post(second, token, { variable: "c", value: true });
    expect(second.records().map((r) => r.variable)).toEqual(["a", "b", "c"]);
  });

  it("marks a param unread again when a restart changes its value, and keeps a device switched off", async () => {
    const dataDir = await seededDir();
    const token = randomUUID();
    const first = await startEndpoint({ dataDir, devices: [{ token, params: [{ key: "mode", value: "eco", sent: true }] }] });
    first.setDeviceActive(token, false);
    await first.close();

    const second = await startEndpoint({ dataDir, devices: [{ token, params: [{ key: "mode", value: "boost" }] }] });
    onTestFinished(() => second.close());
    expect((await call(second, "GET", "/info", { token })).json).toEqual({ status: false, message: "Device is deactivated" });
    second.setDeviceActive(token, true);
    const [param] = (await call(second, "GET", "/device/params", { token })).json.result;
    expect(param).toMatchObject({ key: "mode", value: "boost", sent: false });
  });

  it("accepts only the tokens it was started with", async () => {
    const dataDir = await seededDir();
    const [old, current] = [randomUUID(), randomUUID()];
    const first = await startEndpoint({ dataDir, devices: [{ token: old }] });
    await post(first, old, { variable: "a", value: 1 });
    await first.close();
    const second = await startEndpoint({ dataDir, devices: [{ token: current }] });
    onTestFinished(() => second.close());
    expect((await call(second, "GET", "/info", { token: old })).status).toBe(401);
    expect(second.records(old)).toHaveLength(1);
  });
});

describe("connections", () => {
  it("reuses a keep-alive connection, and close() does not wait for idle ones", async () => {
    const token = randomUUID();
    const endpoint = await startEndpoint({ dataDir: await seededDir(), devices: [{ token }] });
    const agent = new Agent({ keepAlive: true, ca: endpoint.caPem });
    onTestFinished(() => agent.destroy());
    const one = await call(endpoint, "GET", "/info", { token, agent });
    const two = await call(endpoint, "POST", "/data", { token, agent, body: { variable: "v", value: 1 } });
    expect(one.reusedSocket).toBe(false);
    expect(two.reusedSocket).toBe(true);

    await endpoint.close();
    await endpoint.close();
    await expect(call(endpoint, "GET", "/info", { token, agent: new Agent({ ca: endpoint.caPem }) })).rejects.toThrow();
  });

  it("close() ends a request whose body is still coming instead of waiting for it", async () => {
    const token = randomUUID();
    const endpoint = await startEndpoint({ dataDir: await seededDir(), devices: [{ token }] });
    // The server has parsed the request's head (the endpoint runs in this process).
    const arrived = new Promise<void>((resolve) => {
      const seen = (): void => {
        diagnostics.unsubscribe("http.server.request.start", seen);
        resolve();
      };
      diagnostics.subscribe("http.server.request.start", seen);
    });
    const pending = request(`${endpoint.url}/data`, {
      method: "POST",
      ca: endpoint.caPem,
      headers: { "Device-Token": token, "Content-Type": "application/json", "Content-Length": "1000" },
    });
    const failed = new Promise<Error>((resolve) => pending.on("error", resolve));
    pending.write("[");
    await arrived;
    // Nothing else ends this exchange: a close() that waited for it would never return.
    await endpoint.close();
    expect((await failed).message).toMatch(/socket hang up|ECONNRESET/);
  });

  it("answers many requests in flight at once", async () => {
    const token = randomUUID();
    const dataDir = await seededDir();
    const endpoint = await startEndpoint({ dataDir, devices: [{ token }], rateLimits: { postData: Infinity } });
    onTestFinished(() => endpoint.close());
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(endpoint, "POST", "/data", { token, body: [{ variable: "n", value: i }] })),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(endpoint.records().map((r) => r.value).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});
