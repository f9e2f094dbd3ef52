// The Node HTTP port against throwaway local servers: answers, time and byte bounds, cancel, and
// every failure classified (never a rejection).

import { subscribe, unsubscribe } from "node:diagnostics_channel";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { classify } from "../../firmware/core/classify.js";
import type { HttpRequest, HttpResult, LogLevel } from "../../firmware/ports.js";
import { NodeHttpClient, type NodeHttpOptions } from "../../host-sim/ports/node-http.js";
import { makeTlsFixture, type TlsFixture } from "./tls-fixture.js";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let fixture: TlsFixture;
let stranger: TlsFixture;
const cleanups: Array<() => void> = [];

beforeAll(() => {
  fixture = makeTlsFixture();
  stranger = makeTlsFixture("some other CA");
});

afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

async function serve(handler: Handler, tls = true, address = "127.0.0.1"): Promise<{ port: number; server: http.Server }> {
  const server = tls ? https.createServer({ key: fixture.keyPem, cert: fixture.certPem }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, server };
}

function client(options: Partial<NodeHttpOptions> = {}): { http: NodeHttpClient; logs: Array<[LogLevel, string]> } {
  const logs: Array<[LogLevel, string]> = [];
  const c = new NodeHttpClient({ logger: { log: (l, m) => logs.push([l, m]) }, ca: fixture.caPem, caName: "test-ca.pem", ...options });
  cleanups.push(() => c.close());
  return { http: c, logs };
}

function req(port: number, extra: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: "POST",
    tls: true,
    host: "127.0.0.1",
    port,
    path: "/data",
    headers: [
      ["Content-Type", "application/json"],
      ["Device-Token", "00000000-0000-4000-8000-000000000000"],
    ],
    body: new TextEncoder().encode('[{"variable":"t","value":1}]'),
    timeoutMs: 2_000,
    maxResponseBytes: 2_048,
    ...extra,
  };
}

function failure(result: HttpResult): { error: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got HTTP ${result.response.status}`);
  return result;
}

describe("NodeHttpClient", () => {
  it("posts over TLS with the given CA and returns status, lower-cased headers (last value wins) and body", async () => {
    let seen: { headers: http.IncomingHttpHeaders; body: string } | undefined;
    const { port } = await serve((q, s) => {
      let body = "";
      q.on("data", (c: Buffer) => (body += c.toString()));
      q.on("end", () => {
        seen = { headers: q.headers, body };
        s.writeHead(200, [["X-Thing", "a"], ["X-THING", "b"], ["Content-Type", "application/json"]]);
        s.end('{"status":true,"result":"1 Data Added"}');
      });
    });
    const result = await client().http.request(req(port)).result;
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.response.status).toBe(200);
    expect(result.response.headers["x-thing"]).toBe("b");
    expect(result.response.headers["content-type"]).toBe("application/json");
    expect(new TextDecoder().decode(result.response.body)).toBe('{"status":true,"result":"1 Data Added"}');
    expect(result.response.truncated).toBe(false);
    expect(seen?.headers["device-token"]).toBe("00000000-0000-4000-8000-000000000000");
    expect(seen?.headers["content-length"]).toBe(String(req(port).body?.length));
    expect(seen?.body).toBe('[{"variable":"t","value":1}]');
  });

  it("keeps the connection alive between requests", async () => {
    const { port, server } = await serve((_q, s) => s.end("{}"));
    let connections = 0;
    server.on("secureConnection", () => connections++);
    const { http: c } = client();
    for (let i = 0; i < 3; i++) expect((await c.request(req(port)).result).ok).toBe(true);
    expect(connections).toBe(1);
  });

  it("times out over the whole exchange, body included", async () => {
    // The port's timer runs on a virtual clock (the sockets stay real), so the bound is exact: still
    // open 1 ms before timeoutMs, over at timeoutMs. The clock moves only once the request is in
    // (silent server) or the answer has begun (stalling server), so a timer cleared at either fails.
    let arrived!: () => void;
    let serverSawClose!: () => void;
    const watch = (q: http.IncomingMessage): void => void q.socket.once("close", () => serverSawClose());
    const silent = await serve((q) => {
      watch(q);
      arrived();
    });
    const stalling = await serve((q, s) => {
      watch(q);
      s.writeHead(200);
      s.write("{");
    });
    // The client has parsed the answer's head (a public Node channel, published with the "response" event).
    const onResponse = (): void => arrived();
    subscribe("http.client.response.finish", onResponse);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    cleanups.push(() => {
      vi.useRealTimers();
      unsubscribe("http.client.response.finish", onResponse);
    });
    const { http: c } = client();
    for (const [port, event] of [
      [silent.port, "request"],
      [stalling.port, "response"],
    ] as const) {
      const ready = new Promise<void>((r) => (arrived = r));
      const closed = new Promise<void>((r) => (serverSawClose = r));
      let outcome: HttpResult | undefined;
      void c.request(req(port, { timeoutMs: 300 })).result.then((r) => (outcome = r));
      await ready;
      await vi.advanceTimersByTimeAsync(299);
      expect(outcome, `settled before timeoutMs, after the ${event}`).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(outcome && failure(outcome).error, `not timed out at timeoutMs, after the ${event}`).toBe("timeout");
      // The exchange gave up its socket: the server saw it closed.
      await closed;
    }
  });

  it("cancels an exchange in flight", async () => {
    const { port } = await serve(() => undefined);
    const exchange = client().http.request(req(port));
    setTimeout(() => exchange.cancel(), 50);
    expect(failure(await exchange.result).error).toBe("cancelled");
    exchange.cancel();
  });

  it("reads at most maxResponseBytes of a 10 MB answer, then drops the connection", async () => {
    const total = 10 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    let closed!: () => void;
    const serverClosed = new Promise<void>((r) => (closed = r));
    const { port } = await serve((_q, s) => {
      s.on("close", closed);
      s.writeHead(200, { "Content-Type": "text/plain", "Content-Length": String(total) });
      // Stream with backpressure, so only what the client actually takes leaves the server.
      const pump = (): void => {
        while (written < total && !s.destroyed) {
          written += chunk.length;
          if (!s.write(chunk)) return void s.once("drain", pump);
        }
        s.end();
      };
      pump();
    });
    const result = await client().http.request(req(port, { maxResponseBytes: 4_096 })).result;
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.response.truncated).toBe(true);
    expect(result.response.body.length).toBe(4_096);
    await serverClosed;
    expect(written).toBeLessThan(total);
  });

  it("classifies an unknown CA as tls, saying what to give", async () => {
    const { port } = await serve((_q, s) => s.end("{}"));
    const systemRoots = failure(await client({ ca: undefined, trustHint: "give --ca <file>" }).http.request(req(port)).result);
    expect(systemRoots.error).toBe("tls");
    expect(systemRoots.message).toMatch(/unable to verify the first certificate|self.signed/);
    expect(systemRoots.message).toContain(": give --ca <file> (127.0.0.1:");
    expect(systemRoots.message).toContain("trusting the system roots");
    const wrongCa = failure(await client({ ca: stranger.caPem, caName: "other.pem", trustHint: "give --ca <file>" }).http.request(req(port)).result);
    expect(wrongCa.error).toBe("tls");
    // The server sends its leaf only; the option was given, so no hint to give it.
    expect(wrongCa.message).toMatch(/^other\.pem did not sign the server's certificate \(unable to verify the first certificate; 127\.0\.0\.1:\d+\)$/);
  });

  it("classifies a certificate for another host as tls, whole within the agent's bound, with the hint to add the name", async () => {
    const { port } = await serve((_q, s) => s.end("{}"), true, "0.0.0.0");
    const f = failure(await client({ caName: "projects/tagoio-device-agent/.tago-local/ca.pem" }).http.request(req(port, { host: "127.0.0.2" })).result);
    expect(f.error).toBe("tls");
    const verdict = classify(f as HttpResult, -1);
    expect(verdict).toMatchObject({ failure: "tls" });
    expect(verdict.action === "acknowledge" ? "" : verdict.message).toBe(
      `the server's certificate does not name 127.0.0.2 (it names localhost, 127.0.0.1; 127.0.0.2:${port}); ` +
        "a local endpoint adds the name with --name 127.0.0.2",
    );
  });

  it("with verification off (explicitly), accepts an unknown CA and says so in the log", async () => {
    const { port } = await serve((_q, s) => s.end("{}"));
    const { http: c, logs } = client({ ca: undefined, verifyTls: false });
    expect((await c.request(req(port)).result).ok).toBe(true);
    expect(logs.some(([level, m]) => level === "warn" && m.includes("verification is OFF"))).toBe(true);
  });

  it("classifies TLS spoken to a plain HTTP server as tls", async () => {
    const { port } = await serve((_q, s) => s.end("{}"), false);
    const f = failure(await client().http.request(req(port)).result);
    expect(f.error).toBe("tls");
    expect(f.message).toContain("plain HTTP");
  });

  it("speaks plain HTTP only when the request says tls=false", async () => {
    const { port } = await serve((_q, s) => s.end('{"status":true}'), false);
    const result = await client().http.request(req(port, { tls: false })).result;
    expect(result.ok && result.response.status).toBe(200);
  });

  it("classifies refused, reset and DNS failures", async () => {
    const closed = await serve(() => undefined);
    cleanups.pop()?.();
    const { http: c } = client();
    expect(failure(await c.request(req(closed.port)).result).error).toBe("refused");

    const { port } = await serve((q) => q.socket.destroy());
    expect(failure(await c.request(req(port)).result).error).toBe("reset");

    const cut = await serve((_q, s) => {
      s.writeHead(200, { "Content-Length": "100" });
      s.write("{");
      setTimeout(() => s.socket?.destroy(), 20);
    });
    expect(failure(await c.request(req(cut.port)).result).error).toBe("reset");

    const dns = failure(await c.request(req(443, { host: "no-such-host.invalid", timeoutMs: 5_000 })).result);
    expect(["dns", "timeout"]).toContain(dns.error);
  });

  it("says whether the whole request went before a failure (bodySent): the mark of an ambiguous outcome", async () => {
    const { http: c } = client();
    const closed = await serve(() => undefined);
    cleanups.pop()?.();
    expect(await c.request(req(closed.port)).result).toMatchObject({ ok: false, error: "refused", bodySent: false });
    const { port: untrusted } = await serve(() => undefined);
    expect(await client({ ca: stranger.caPem }).http.request(req(untrusted)).result).toMatchObject({ ok: false, error: "tls", bodySent: false });
    // The server reads the whole body, then drops the connection (or never answers): it may have acted on it.
    const read = await serve((q) => {
      q.resume();
      q.on("end", () => q.socket.destroy());
    });
    expect(await c.request(req(read.port)).result).toMatchObject({ ok: false, error: "reset", bodySent: true });
    const silent = await serve((q) => q.resume());
    expect(await c.request(req(silent.port, { timeoutMs: 300 })).result).toMatchObject({ ok: false, error: "timeout", bodySent: true });
  });

  it("never rejects or throws, even for a request Node refuses to send", async () => {
    const { port } = await serve((_q, s) => s.end("{}"));
    const exchange = client().http.request(req(port, { headers: [["X-Bad", "line\nbreak"]] }));
    const f = failure(await exchange.result);
    expect(f.error).toBe("other");
  });
});
