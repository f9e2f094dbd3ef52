// TagoIO's account-side route that sets device parameters, POST /device/{id}/params with the
// Account-Token, over real TLS; and the one-line command that uses it on a running endpoint.

import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { URL_FILE } from "../../host-sim/endpoint/server.js";
import { call, start } from "./helpers.js";

const ACCOUNT = randomUUID();

describe("POST /device/{id}/params", () => {
  it("sets one or a list, unread, and the device reads them", async () => {
    const { endpoint, token } = await start({ accountToken: ACCOUNT });
    const id = (await call(endpoint, "GET", "/info", { token })).json.result.id;
    const one = await call(endpoint, "POST", `/device/${id}/params`, { token: ACCOUNT, header: "Authorization", body: { key: "sampleIntervalMs", value: "5000" } });
    expect(one.json).toEqual({ status: true, result: "Params Successfully Updated" });
    const [param] = (await call(endpoint, "GET", "/device/params", { token })).json.result;
    await call(endpoint, "PUT", `/device/params/${param.id}`, { token, body: { sent: true } });
    const list = await call(endpoint, "POST", `/device/${id}/params`, {
      token: ACCOUNT,
      header: "Authorization",
      body: [
        { key: "sampleIntervalMs", value: "2000" },
        { key: "mode", value: "eco", sent: true },
      ],
    });
    expect(list.status).toBe(200);
    expect(endpoint.params(token).map(({ key, value, sent }) => [key, value, sent])).toEqual([
      ["sampleIntervalMs", "2000", false],
      ["mode", "eco", true],
    ]);
  });

  it("refuses a device token, a wrong account token, an unknown device, a bad body and another method", async () => {
    const { endpoint, token } = await start({ accountToken: ACCOUNT });
    const id = (await call(endpoint, "GET", "/info", { token })).json.result.id;
    const post = (auth: string, path: string, body: unknown) => call(endpoint, "POST", path, { token: auth, header: "Authorization", body });
    expect((await post(token, `/device/${id}/params`, { key: "a", value: "1" })).status).toBe(401);
    expect((await post(randomUUID(), `/device/${id}/params`, { key: "a", value: "1" })).status).toBe(401);
    expect((await post(ACCOUNT, "/device/nosuch/params", { key: "a", value: "1" })).status).toBe(404);
    const number = await post(ACCOUNT, `/device/${id}/params`, [{ key: "a", value: 1 }]);
    expect([number.status, number.json.message]).toEqual([400, "params[0].value must be a string"]);
    expect((await post(ACCOUNT, `/device/${id}/params`, { value: "1" })).status).toBe(400);
    expect((await call(endpoint, "GET", `/device/${id}/params`, { token: ACCOUNT, header: "Authorization" })).status).toBe(405);
    expect(endpoint.params(token)).toEqual([]);
  });

  it("answers 401 when the endpoint has no account token", async () => {
    const { endpoint, token } = await start();
    const id = (await call(endpoint, "GET", "/info", { token })).json.result.id;
    expect((await call(endpoint, "POST", `/device/${id}/params`, { token: ACCOUNT, header: "Authorization", body: { key: "a", value: "1" } })).status).toBe(401);
  });
});

it("npm run tago-local:param sets a parameter on a running endpoint, found through its data dir", async () => {
  const { endpoint, token, dataDir } = await start({ accountToken: ACCOUNT });
  expect(readFileSync(join(dataDir, URL_FILE), "utf8").trim()).toBe(endpoint.url);
  writeFileSync(join(dataDir, "device-token"), token + "\n");
  writeFileSync(join(dataDir, "account-token"), ACCOUNT + "\n");
  const run = await promisify(execFile)(process.execPath, ["--import", "tsx", "host-sim/endpoint/param-cli.ts", "sampleIntervalMs=5000", "--data-dir", dataDir]);
  expect(run.stdout).toMatch(/^sampleIntervalMs=5000: set on device [0-9a-f]{24}, unread until the device takes it\n$/);
  expect(run.stdout + run.stderr).not.toContain(token);
  expect(endpoint.params(token)).toEqual([expect.objectContaining({ key: "sampleIntervalMs", value: "5000", sent: false })]);
  await endpoint.close();
  expect(existsSync(join(dataDir, URL_FILE))).toBe(false);
});
