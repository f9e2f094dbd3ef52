// The set-up page on Node's http server and `npm start -- --setup`, over real HTTP: probes are sent
// to the page at the server's own address, a body too large is refused unread, and the command
// stores a good form in its settings file (owner-only) and exits 0, as a board would restart.

import { readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemorySettings } from "../../firmware/fakes/memory-settings.js";
import { serveSetup, type SetupServer } from "../../host-sim/setup/server.js";
import { cli, tempDir } from "../e2e/cli-process.js";
import { TOKEN } from "../support/fixtures.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

let server: SetupServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("serveSetup", () => {
  it("redirects captive-portal probes to the page at its own address", async () => {
    server = await serveSetup(new MemorySettings(), { port: 0 });
    const answer = await send(new URL("/generate_204", server.url).href, "GET");
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe(server.url);
  });

  it("refuses a body larger than a form without storing anything", async () => {
    const store = new MemorySettings();
    server = await serveSetup(store, { port: 0 });
    const body = `ssid=greenhouse&token=${TOKEN}&pad=${"x".repeat(5000)}`;
    const answer = await send(server.url, "POST", body, FORM);
    expect(answer.status).toBe(413);
    expect(store.writes).toBe(0);
  });
});

describe("npm start -- --setup", () => {
  it("serves the page, stores a good form in the settings file, and exits 0", { timeout: 60_000 }, async (test) => {
    const dir = await tempDir(test);
    const file = join(dir, "settings.json");
    let posted: Promise<Answer> | undefined;
    const out = await cli(["--setup", "--setup-port", "0", "--settings", file], (text) => {
      const url = /Set-up page: (http:\/\/\S+)/.exec(text)?.[1];
      if (url === undefined || posted !== undefined) return;
      posted = send(url, "POST", new URLSearchParams({ ssid: "greenhouse", password: "s3cret-pass", token: TOKEN, region: "eu-w1" }).toString(), FORM);
    });
    expect(out.code).toBe(0);
    expect((await posted)?.status).toBe(200);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ ssid: "greenhouse", password: "s3cret-pass", token: TOKEN, region: "eu-w1" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(out.stderr).toContain(`Settings stored in ${file}; a board would restart now.`);
    expect(out.stderr).not.toContain(TOKEN);
  });
});
