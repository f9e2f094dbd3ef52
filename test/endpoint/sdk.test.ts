// The official @tago-io/sdk Device against the endpoint, TLS verification on. The SDK uses Node's
// fetch, which trusts extra CAs only through NODE_EXTRA_CA_CERTS read at process start, so the
// SDK runs in a child process (sdk-client.ts) started with it pointing at the endpoint's ca.pem.

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { start } from "./helpers.js";

const CLIENT = fileURLToPath(new URL("./sdk-client.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function runClient(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, TAGOIO_REQUEST_ATTEMPTS: "1" };
  // Never let an inherited setting switch verification off.
  delete childEnv.NODE_TLS_REJECT_UNAUTHORIZED;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLIENT], { cwd: ROOT, env: childEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the official SDK", () => {
  it("sendData, getData, info, getParameters and setParameterAsRead all work", async () => {
    const token = randomUUID();
    const { endpoint } = await start({
      devices: [{ token, name: "SDK device", params: [{ key: "interval", value: "60" }, { key: "mode", value: "eco" }] }],
    });
    const run = await runClient({ NODE_EXTRA_CA_CERTS: endpoint.caPemPath, TAGO_URL: endpoint.url, TAGO_TOKEN: token });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);

    expect(out.sent).toBe("3 Data Added");
    expect(out.one).toBe("1 Data Added");
    expect(out.list.map((r: { variable: string; value: unknown }) => [r.variable, r.value])).toEqual([
      ["temperature", 21.5],
      ["temperature", 22.5],
      ["humidity", 40],
    ]);
    expect(out.list[0]).toMatchObject({
      unit: "C",
      time: "2026-11-26T10:00:00.000Z",
      location: { type: "Point", coordinates: [-46.6, -23.5] },
    });
    expect(out.list[1]).toMatchObject({ group: "s2", metadata: { src: "sdk" } });
    expect(out.last.map((r: { value: unknown }) => r.value)).toEqual([22.5]);
    // The SDK wraps a bare number as [{time, value}].
    expect(out.count).toEqual([{ time: expect.any(String), value: 2 }]);
    expect(out.max.map((r: { value: unknown }) => r.value)).toEqual([22.5]);
    expect(out.ranged.map((r: { value: unknown }) => r.value)).toEqual([22.5]);
    expect(out.info).toMatchObject({ name: "SDK device", active: true, created_at_is_date: true });

    expect(out.params.map((p: { key: string; sent: boolean }) => [p.key, p.sent])).toEqual([
      ["interval", false],
      ["mode", false],
    ]);
    expect(out.marked).toBe("Params Successfully Updated");
    expect(out.unread.map((p: { key: string }) => p.key)).toEqual(["mode"]);
    expect(out.read.map((p: { key: string }) => p.key)).toEqual(["interval"]);

    expect(out.invalid.rejected).toMatch(/^Invalid data\[0\]: variable/);
    expect(out.denied).toEqual({ rejected: "Authorization denied" });
    expect(endpoint.records(token).map((r) => r.variable)).toEqual(["temperature", "temperature", "humidity", "status"]);
  });

  it("fails without the CA: verification stays on", async () => {
    const { endpoint, token } = await start();
    const run = await runClient({ TAGO_URL: endpoint.url, TAGO_TOKEN: token });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("fetch failed");
    expect(endpoint.records()).toEqual([]);
    expect(endpoint.counts().requests).toBe(0);
  });
});
