import { describe, expect, it } from "vitest";
import { ModdableHttpClient, type RequestOptions } from "../../firmware/moddable/http.js";
import { ModdableTimers } from "../../firmware/moddable/timers.js";
import type { HttpRequest, HttpResult } from "../../firmware/ports.js";
import { MemoryLogger, TOKEN } from "../support/fixtures.js";
import { FakeRequest, FakeSecureSocket, FakeTimer, requestClass, textBody, type FakeBody } from "./fakes.js";

const SECURE = { verify: true, protocolVersion: 0x303 };
const BODY = '[{"variable":"temperature","value":21.5}]';

function setup(options: { secureSocket?: boolean; Request?: new (o: RequestOptions) => FakeRequest } = {}) {
  const timer = new FakeTimer();
  const timers = new ModdableTimers(timer, new MemoryLogger());
  const Request = options.Request ?? requestClass(timer);
  const client = new ModdableHttpClient({ Request, SecureSocket: options.secureSocket === false ? undefined : FakeSecureSocket }, timers, SECURE);
  return { timer, client };
}

function post(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: "POST",
    tls: true,
    host: "api.tago.io",
    port: 443,
    path: "/data",
    headers: [
      ["Content-Type", "application/json"],
      ["Device-Token", TOKEN],
    ],
    body: BODY,
    timeoutMs: 30_000,
    maxResponseBytes: 2048,
    ...overrides,
  };
}

/** Tracks whether a result promise has settled, without awaiting it. */
function watch(result: Promise<HttpResult>): { value?: HttpResult } {
  const box: { value?: HttpResult } = {};
  void result.then((r) => (box.value = r));
  return box;
}

function counting(length: number): FakeBody {
  return { length, byte: (i) => i % 251 };
}

describe("ModdableHttpClient request", () => {
  it("builds the module's options: flat headers with Host and exact Content-Length, SecureSocket and secure", () => {
    const { client } = setup();
    client.request(post());
    const options = FakeRequest.made[0].options;
    expect(options).toMatchObject({ host: "api.tago.io", port: 443, path: "/data", method: "POST", body: BODY });
    expect(options.headers).toEqual([
      "Host", "api.tago.io",
      "Content-Type", "application/json",
      "Device-Token", TOKEN,
      "Content-Length", String(BODY.length),
    ]);
    expect(options.Socket).toBe(FakeSecureSocket);
    expect(options.secure).toEqual(SECURE);
  });

  it("sends a body that is not ASCII as bytes, with its byte length", () => {
    const { client } = setup();
    const body = '[{"variable":"unit","value":"21 °C"}]';
    client.request(post({ body }));
    const options = FakeRequest.made[0].options;
    const bytes = new TextEncoder().encode(body);
    expect(options.body).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(options.body as ArrayBuffer)).toEqual(bytes);
    expect(options.headers.slice(-2)).toEqual(["Content-Length", String(bytes.byteLength)]);
  });

  it("plain HTTP (tls=false) goes without SecureSocket and without TLS settings", () => {
    const { client } = setup();
    client.request(post({ tls: false, host: "127.0.0.1", port: 8080, headers: [["_ssl", "false"]] }));
    const options = FakeRequest.made[0].options;
    expect("Socket" in options).toBe(false);
    expect("secure" in options).toBe(false);
    expect(options.headers.slice(0, 4)).toEqual(["Host", "127.0.0.1:8080", "_ssl", "false"]);
  });

  it("never sends a TLS request without SecureSocket", async () => {
    const { client } = setup({ secureSocket: false });
    const result = await client.request(post()).result;
    expect(FakeRequest.made).toHaveLength(0);
    expect(result).toMatchObject({ ok: false, error: "tls" });
  });

  it("refuses a header that carries a line break", async () => {
    const { client } = setup();
    const result = await client.request(post({ headers: [["X-Evil", "a\r\nHost: elsewhere"]] })).result;
    expect(FakeRequest.made).toHaveLength(0);
    expect(result).toMatchObject({ ok: false, error: "other" });
  });
});

describe("ModdableHttpClient response", () => {
  it("collects the status, lower-cased headers (a repeated one keeps its last value) and the body", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    const request = FakeRequest.made[0];
    request.reply({
      status: 200,
      headers: [["Content-Type", "application/json"], ["X-Count", "1"], ["X-COUNT", "2"], ["Retry-After", "8"]],
      body: textBody('{"status":true,"result":"1 Data Added"}'),
      fragment: 7,
    });
    timer.advance(1_000);
    const result = await exchange.result;
    if (!result.ok) throw new Error(result.message);
    expect(result.response.status).toBe(200);
    expect({ ...result.response.headers }).toEqual({ "content-type": "application/json", "x-count": "2", "retry-after": "8" });
    expect(new TextDecoder().decode(result.response.body)).toBe('{"status":true,"result":"1 Data Added"}');
    expect(result.response.truncated).toBe(false);
    expect(request.closed).toBeGreaterThan(0);
  });

  it("fails loudly, never with an empty body, when the module hands over body bytes that are not an ArrayBuffer", async () => {
    class ViewRequest extends FakeRequest {
      override read(type: ArrayBufferConstructor, until: number): unknown {
        return new Uint8Array(super.read(type, until) as ArrayBuffer);
      }
    }
    FakeRequest.made = [];
    const timer = new FakeTimer();
    const client = new ModdableHttpClient(
      { Request: class extends ViewRequest { constructor(o: RequestOptions) { super(timer, o); } }, SecureSocket: FakeSecureSocket },
      new ModdableTimers(timer, new MemoryLogger()),
      SECURE,
    );
    const exchange = client.request(post());
    FakeRequest.made[0].reply({ status: 200, body: textBody('{"status":true,"result":"1 Data Added"}') });
    timer.advance(1_000);
    expect(await exchange.result).toMatchObject({ ok: false, error: "other", message: expect.stringMatching(/no ArrayBuffer/) });
    expect(FakeRequest.made[0].closed).toBeGreaterThan(0);
  });

  it("keeps at most 64 distinct headers", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < 200; i++) headers.push([`x-h${i}`, "v"]);
    FakeRequest.made[0].reply({ status: 200, headers });
    timer.advance(1_000);
    const result = await exchange.result;
    expect(result.ok && Object.keys(result.response.headers).length).toBe(64);
  });

  it("reads a 10 MB body no further than maxResponseBytes, then closes and says truncated", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post({ maxResponseBytes: 2048 }));
    const request = FakeRequest.made[0];
    const body = counting(10_000_000);
    request.reply({ status: 200, body, fragment: 1460 });
    timer.advance(100_000);
    const result = await exchange.result;
    if (!result.ok) throw new Error(result.message);
    expect(result.response.truncated).toBe(true);
    expect(result.response.body.byteLength).toBe(2048);
    expect(Array.from(result.response.body.slice(2040))).toEqual([2040, 2041, 2042, 2043, 2044, 2045, 2046, 2047].map((i) => body.byte(i)));
    expect(request.bytesRead).toBe(2048);
    expect(request.bytesOffered).toBeLessThanOrEqual(2 * 1460);
    expect(request.closed).toBeGreaterThan(0);
  });

  it("ends a truncated read safely when the same fragment completes the body (no close inside the module's callback)", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post({ maxResponseBytes: 256 }));
    FakeRequest.made[0].reply({ status: 200, body: counting(3000), fragment: 3000 });
    expect(() => timer.advance(1_000)).not.toThrow();
    const result = await exchange.result;
    expect(result.ok && result.response.truncated).toBe(true);
    expect(result.ok && result.response.body.byteLength).toBe(256);
  });

  it("a body exactly as long as the bound is complete, not truncated", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post({ maxResponseBytes: 2048 }));
    FakeRequest.made[0].reply({ status: 200, body: counting(2048), fragment: 1000 });
    timer.advance(1_000);
    const result = await exchange.result;
    expect(result.ok && result.response.truncated).toBe(false);
    expect(result.ok && result.response.body.byteLength).toBe(2048);
  });
});

describe("ModdableHttpClient failures", () => {
  it("times out with its own timer (Request has none), closing the request", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post({ timeoutMs: 5_000 }));
    const seen = watch(exchange.result);
    timer.advance(4_999);
    await Promise.resolve();
    expect(seen.value).toBeUndefined();
    timer.advance(1);
    const result = await exchange.result;
    expect(result).toMatchObject({ ok: false, error: "timeout" });
    expect(FakeRequest.made[0].closed).toBe(1);
    FakeRequest.made[0].reply({ status: 200 });
    expect(() => timer.advance(1_000)).not.toThrow();
  });

  it("cancel() closes the request and resolves cancelled, once", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    exchange.cancel();
    exchange.cancel();
    expect(await exchange.result).toMatchObject({ ok: false, error: "cancelled" });
    expect(FakeRequest.made[0].closed).toBe(1);
    expect(timer.pending).toBe(0);
  });

  it("maps -2 before any status to a connection failure that names the trust anchors", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    FakeRequest.made[0].fail();
    timer.advance(10);
    const result = await exchange.result;
    expect(result).toMatchObject({ ok: false, error: "other" });
    expect(!result.ok && result.message).toContain("manifests/tls.json");
  });

  it("maps -2 after the status to a reset", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    FakeRequest.made[0].reply({ status: 200, body: counting(5000), fragment: 1000, cut: 2000 });
    timer.advance(1_000);
    expect(await exchange.result).toMatchObject({ ok: false, error: "reset" });
  });

  it("resolves (never rejects) when the Request constructor throws, classifying TLS errors", async () => {
    const throwing = class {
      constructor() {
        throw new Error("date validation failed");
      }
    } as unknown as new (o: RequestOptions) => FakeRequest;
    const { client } = setup({ Request: throwing });
    expect(await client.request(post()).result).toMatchObject({ ok: false, error: "tls", message: "date validation failed" });
  });
});
