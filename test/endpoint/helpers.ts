// Shared by the endpoint tests: a fresh endpoint in its own temp dir (closed and removed when the
// test ends) and a small HTTPS client that trusts the endpoint's CA and keeps connections alive.
// RSA key generation is the slow part of a first start, so each test file makes one CA and leaf
// and copies them into every temp dir (which also runs the reuse path); certs.test.ts covers
// generation itself.

import { randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished } from "vitest";
import { loadOrCreateIdentity } from "../../host-sim/endpoint/certs.js";
import { type Endpoint, type EndpointOptions, startEndpoint } from "../../host-sim/endpoint/server.js";

const IDENTITY_FILES = ["ca.pem", "ca.der", "ca-key.pem", "leaf.pem", "leaf-key.pem"];

let seed: Promise<string> | undefined;
let seedPath: string | undefined;

afterAll(() => {
  if (seedPath !== undefined) rmSync(seedPath, { recursive: true, force: true });
});

function seedDir(): Promise<string> {
  seed ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "tago-seed-"));
    seedPath = dir;
    await loadOrCreateIdentity(dir);
    return dir;
  })();
  return seed;
}

/** A temp dir removed when the current test ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tago-endpoint-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A temp dir that already holds this file's CA and leaf. */
export async function seededDir(): Promise<string> {
  const from = await seedDir();
  const dir = tempDir();
  for (const name of IDENTITY_FILES) copyFileSync(join(from, name), join(dir, name));
  return dir;
}

export interface Started {
  endpoint: Endpoint;
  token: string;
  dataDir: string;
  options: EndpointOptions;
}

/** An endpoint with one device (a fresh UUID token) unless `devices` says otherwise; closed after the test. */
export async function start(overrides: Partial<EndpointOptions> = {}): Promise<Started> {
  const token = randomUUID();
  const options: EndpointOptions = { dataDir: await seededDir(), devices: [{ token }], ...overrides };
  const endpoint = await startEndpoint(options);
  onTestFinished(() => endpoint.close());
  return { endpoint, token, dataDir: options.dataDir, options };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
  /** True when the request went over a connection an earlier request had opened. */
  reusedSocket: boolean;
}

export interface CallOptions {
  token?: string;
  /** Which header carries the token. */
  header?: "Device-Token" | "Authorization" | "token";
  /** JSON-encoded unless already a string or Buffer. */
  body?: unknown;
  headers?: Record<string, string>;
  agent?: Agent;
}

const agents = new WeakMap<Endpoint, Agent>();

/** The keep-alive agent the helpers use for this endpoint (destroyed with the test). */
export function agentFor(endpoint: Endpoint): Agent {
  let agent = agents.get(endpoint);
  if (agent === undefined) {
    const created = new Agent({ keepAlive: true, ca: endpoint.caPem });
    onTestFinished(() => created.destroy());
    agents.set(endpoint, created);
    agent = created;
  }
  return agent;
}

export function call(endpoint: Endpoint, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers[options.header ?? "Device-Token"] = options.token;
  let body: Buffer | undefined;
  if (options.body !== undefined) {
    body = Buffer.isBuffer(options.body)
      ? options.body
      : Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
    headers["Content-Type"] = "application/json";
    headers["Content-Length"] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(endpoint.url + path, { method, headers, agent: options.agent ?? agentFor(endpoint) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, reusedSocket: req.reusedSocket });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** POST /data with the device's token; fails the test unless it answers 200. */
export async function post(endpoint: Endpoint, token: string, data: unknown): Promise<Answer> {
  const answer = await call(endpoint, "POST", "/data", { token, body: data });
  if (answer.status !== 200) throw new Error(`POST /data answered ${answer.status}: ${answer.text}`);
  return answer;
}
