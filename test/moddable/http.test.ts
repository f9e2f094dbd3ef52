// The HttpClient port over the fake http Request and SecureSocket (test/moddable/fake-http.ts):
// the request as it goes out on the wire, the body streamed in pieces that fit the socket's room,
// the response bound, and what each failure says about how far the exchange got.

import { describe, expect, it } from "vitest";
import { ModdableHttpClient, type RequestOptions } from "../../firmware/moddable/http.js";
import { ModdableTimers } from "../../firmware/moddable/timers.js";
import type { HttpRequest, HttpResult } from "../../firmware/ports.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { TOKEN } from "../support/fixtures.js";
import {
  ESP32_ROOM,
  FakeRequest,
  FakeSecureSocket,
  FakeTimer,
  requestClass,
  SIMULATOR_ROOM,
  textBody,
  TLS_RECORD_BYTES,
  type FakeBody,
  type FakeNetwork,
  type WireRequest,
} from "./fakes.js";

const SECURE = { verify: true, protocolVersion: 0x303 };
const BODY = '[{"variable":"temperature","value":21.5}]';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const ACK_BODY = '{"status":true,"result":"1 Data Added"}';

function setup(options: { secureSocket?: boolean; Request?: new (o: RequestOptions) => FakeRequest; network?: FakeNetwork } = {}) {
  const timer = new FakeTimer();
  const timers = new ModdableTimers(timer, new MemoryLogger());
  const Request = options.Request ?? requestClass(timer, options.network);
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
    body: bytes(BODY),
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

/** An ASCII JSON batch of about `bytes` bytes, as the agent sends. */
function batch(bytes: number): string {
  const records: string[] = [];
  let length = 2;
  for (let i = 0; length < bytes; i++) {
    const record = JSON.stringify({ variable: "temperature", value: 20 + (i % 100) / 10, time: "2026-11-18T10:00:00.000Z" });
    records.push(record);
    length += record.length + 1;
  }
  return `[${records.join(",")}]`;
}

const header = (wire: WireRequest, name: string): string | undefined =>
  wire.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];

describe("ModdableHttpClient request", () => {
  it("builds the module's options (a streamed body, SecureSocket and secure) and puts an exact request on the wire", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    const request = FakeRequest.made[0];
    expect(request.options).toMatchObject({ host: "api.tago.io", port: 443, path: "/data", method: "POST", body: true });
    expect(request.options.Socket).toBe(FakeSecureSocket);
    expect(request.options.secure).toEqual(SECURE);
    request.reply({ status: 200, body: textBody(ACK_BODY) });
    timer.advance(1_000);
    expect((await exchange.result).ok).toBe(true);
    const wire = request.wire();
    expect(wire.requestLine).toBe("POST /data HTTP/1.1");
    expect(wire.headers).toEqual([
      ["Connection", "close"],
      ["Host", "api.tago.io"],
      ["Content-Type", "application/json"],
      ["Device-Token", TOKEN],
      ["Content-Length", String(BODY.length)],
    ]);
    expect(new TextDecoder().decode(wire.body)).toBe(BODY);
  });

  it("sends the body's bytes as they are (here UTF-8 beyond ASCII), with their byte length", async () => {
    const { timer, client } = setup();
    const body = bytes('[{"variable":"unit","value":"21 °C"}]');
    const exchange = client.request(post({ body }));
    const request = FakeRequest.made[0];
    request.reply({ status: 200, body: textBody(ACK_BODY) });
    timer.advance(1_000);
    expect((await exchange.result).ok).toBe(true);
    expect(request.wire().body).toEqual(body);
    expect(header(request.wire(), "Content-Length")).toBe(String(body.byteLength));
  });

  it("plain HTTP (tls=false) goes over the plain socket, without TLS settings", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post({ tls: false, host: "127.0.0.1", port: 8080, headers: [["_ssl", "false"]] }));
    const request = FakeRequest.made[0];
    expect("Socket" in request.options).toBe(false);
    expect("secure" in request.options).toBe(false);
    request.reply({ status: 200, body: textBody(ACK_BODY) });
    timer.advance(1_000);
    expect((await exchange.result).ok).toBe(true);
    expect(request.wire().headers.slice(0, 3)).toEqual([
      ["Connection", "close"],
      ["Host", "127.0.0.1:8080"],
      ["_ssl", "false"],
    ]);
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

describe("ModdableHttpClient request body, streamed through message 0", () => {
  it.each([
    ["the simulator", SIMULATOR_ROOM, 3 * SIMULATOR_ROOM + 17],
    ["the simulator", SIMULATOR_ROOM, 32 * 1024],
    ["an ESP32", ESP32_ROOM, 2 * ESP32_ROOM + 5],
    ["an ESP32", ESP32_ROOM, 32 * 1024],
  ])("with %s's room (%i bytes) a %i-byte body arrives whole, in pieces no larger than the room offered", async (_, room, size) => {
    const { timer, client } = setup({ network: { room } });
    const body = batch(size);
    const exchange = client.request(post({ body: bytes(body) }));
    const request = FakeRequest.made[0];
    request.reply({ status: 200, body: textBody(ACK_BODY) });
    timer.advance(10_000);
    expect(await exchange.result).toMatchObject({ ok: true, response: { status: 200 } });
    expect(request.socketError).toBeUndefined();
    const wire = request.wire();
    expect(new TextDecoder().decode(wire.body)).toBe(body);
    expect(header(wire, "Content-Length")).toBe(String(body.length));
    expect(request.pieces.length).toBeGreaterThanOrEqual(Math.ceil(body.length / room));
    expect(request.pieces.every((p) => p.bytes > 0 && p.bytes <= p.room && p.room <= room)).toBe(true);
    expect(request.pieces.reduce((n, p) => n + p.bytes, 0)).toBe(body.length);
  });

  it.each([
    ["an ESP32's room", ESP32_ROOM],
    ["more room than one TLS record (the SDK's session drops a larger write)", 40_000],
  ])("with %s, hands over pieces no larger than the simulator's room, so both build the same TLS records", async (_, room) => {
    const { timer, client } = setup({ network: { room } });
    const body = batch(50_000);
    const exchange = client.request(post({ body: bytes(body) }));
    FakeRequest.made[0].reply({ status: 200, body: textBody(ACK_BODY) });
    timer.advance(10_000);
    expect((await exchange.result).ok).toBe(true);
    expect(Math.max(...FakeRequest.made[0].pieces.map((p) => p.bytes))).toBe(SIMULATOR_ROOM);
    expect(SIMULATOR_ROOM).toBeLessThan(TLS_RECORD_BYTES);
    expect(new TextDecoder().decode(FakeRequest.made[0].wire().body)).toBe(body);
  });

  it("sends an empty body as Content-Length: 0 and nothing after the head", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post({ body: new Uint8Array(0) }));
    FakeRequest.made[0].reply({ status: 200, body: textBody(ACK_BODY) });
    timer.advance(1_000);
    expect((await exchange.result).ok).toBe(true);
    expect(header(FakeRequest.made[0].wire(), "Content-Length")).toBe("0");
    expect(FakeRequest.made[0].wire().body).toHaveLength(0);
  });
});

describe("the fake Request and SecureSocket bite where the SDK does", () => {
  /** The port before streaming: the whole body as a string option, sent by the module in one write. */
  function oldStyleClient(timer: FakeTimer, room: number, body: string) {
    const Request = requestClass(timer, { room });
    const request = new Request({
      host: "api.tago.io",
      port: 443,
      path: "/data",
      method: "POST",
      headers: ["Content-Type", "application/json", "Device-Token", TOKEN],
      body,
      Socket: FakeSecureSocket,
      secure: SECURE,
    });
    const messages: number[] = [];
    request.callback = (message, value) => {
      messages.push(message);
      if (message === 4) request.read(ArrayBuffer, Number(value));
      return undefined;
    };
    request.reply({ status: 200, body: textBody(ACK_BODY) });
    return { request, messages };
  }

  it.each([
    ["the simulator", SIMULATOR_ROOM, 2_000],
    ["an ESP32", ESP32_ROOM, 9_000],
  ])("a body passed whole as a string fails on %s (room %i) at %i bytes: -2, and the body never goes out", (_, room, size) => {
    const timer = new FakeTimer();
    const { request, messages } = oldStyleClient(timer, room, batch(size));
    timer.advance(1_000);
    expect(messages).toEqual([-2]);
    expect(request.socketError).toBe("can't write all data");
    expect(request.wire().requestLine).toBe("POST /data HTTP/1.1");
    expect(request.wire().body).toHaveLength(0);
    expect(request.closed).toBe(1);
  });

  it("the same client with a body that fits the room gets its answer, with the module's own content-length", () => {
    const timer = new FakeTimer();
    const { request, messages } = oldStyleClient(timer, SIMULATOR_ROOM, BODY);
    timer.advance(1_000);
    expect(messages).toEqual([1, 3, 4, 5]);
    expect(header(request.wire(), "content-length")).toBe(String(BODY.length));
    expect(new TextDecoder().decode(request.wire().body)).toBe(BODY);
  });

  it("a piece larger than the room offered for it ends the exchange with -2", () => {
    const timer = new FakeTimer();
    const Request = requestClass(timer);
    const request = new Request({ host: "api.tago.io", port: 443, path: "/data", method: "POST", headers: [], body: true, Socket: FakeSecureSocket });
    request.callback = (message, value) => (message === 0 ? "x".repeat(Number(value) + 1) : undefined);
    timer.advance(100);
    expect(request.messages).toEqual([0, -2]);
    expect(request.socketError).toBe("can't write all data");
    expect(request.wire().body).toHaveLength(0);
  });

  it("over a plain socket the refused write is not caught: it escapes to the host", () => {
    const timer = new FakeTimer();
    const Request = requestClass(timer);
    const request = new Request({ host: "127.0.0.1", port: 8080, path: "/data", method: "POST", headers: [], body: batch(2_000) });
    request.callback = () => undefined;
    expect(() => timer.advance(100)).toThrow("can't write all data");
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
      body: textBody(ACK_BODY),
      fragment: 7,
    });
    timer.advance(1_000);
    const result = await exchange.result;
    if (!result.ok) throw new Error(result.message);
    expect(result.response.status).toBe(200);
    expect({ ...result.response.headers }).toEqual({ "content-type": "application/json", "x-count": "2", "retry-after": "8" });
    expect(new TextDecoder().decode(result.response.body)).toBe(ACK_BODY);
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
    FakeRequest.made[0].reply({ status: 200, body: textBody(ACK_BODY) });
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

  it("ends a truncated read when the one fragment that completes the body is over the bound", async () => {
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
    // The whole body went to the socket before the silence: the server may have it (ambiguous).
    expect(result).toMatchObject({ ok: false, error: "timeout", bodySent: true });
    expect(FakeRequest.made[0].closed).toBe(1);
    FakeRequest.made[0].reply({ status: 200 });
    expect(() => timer.advance(1_000)).not.toThrow();
  });

  it("cancel() closes the request and resolves cancelled, once", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    exchange.cancel();
    exchange.cancel();
    expect(await exchange.result).toMatchObject({ ok: false, error: "cancelled", bodySent: false });
    expect(FakeRequest.made[0].closed).toBe(1);
    expect(timer.pending).toBe(0);
  });

  it("a connection that fails before the body was asked for: before the request was sent, naming the trust anchors", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    FakeRequest.made[0].fail();
    timer.advance(10);
    expect(await exchange.result).toEqual({
      ok: false,
      error: "other",
      message:
        "no connection to api.tago.io:443 before the request was sent: connecting, DNS lookup or TLS handshake failed; if the network is up," +
        " check that the clock is set and that the server's chain ends at a trust anchor of manifests/tls.json (or customCa)",
      bodySent: false,
    });
    expect(FakeRequest.made[0].messages).toEqual([-2]);
    expect(FakeRequest.made[0].wire().requestLine).toBe("");
  });

  it("a connection that fails mid-body says so, and how much of the body the socket had taken", async () => {
    const { timer, client } = setup();
    const body = batch(5_000);
    const exchange = client.request(post({ body: bytes(body) }));
    const request = FakeRequest.made[0];
    request.dropAfter(2_000);
    timer.advance(1_000);
    const handed = request.pieces.reduce((n, p) => n + p.bytes, 0);
    expect(handed).toBeGreaterThan(0);
    expect(handed).toBeLessThan(body.length);
    expect(request.wire().body).toHaveLength(handed);
    expect(await exchange.result).toEqual({
      ok: false,
      error: "reset",
      message: `connection to api.tago.io:443 failed while sending the request body (${handed} of ${body.length} bytes handed to the socket)`,
      bodySent: false,
    });
  });

  it("a connection closed after the whole request went, with no status: after the request was sent", async () => {
    const { timer, client } = setup();
    const body = batch(3_000);
    const exchange = client.request(post({ body: bytes(body) }));
    const request = FakeRequest.made[0];
    request.hangUp();
    timer.advance(1_000);
    expect(new TextDecoder().decode(request.wire().body)).toBe(body);
    expect(await exchange.result).toEqual({
      ok: false,
      error: "reset",
      message: "connection to api.tago.io:443 closed after the request was sent, before any answer",
      bodySent: true,
    });
  });

  it("a connection dropped after the status: a reset before the response ended", async () => {
    const { timer, client } = setup();
    const exchange = client.request(post());
    FakeRequest.made[0].reply({ status: 200, body: counting(5000), fragment: 1000, cut: 2000 });
    timer.advance(1_000);
    expect(await exchange.result).toEqual({
      ok: false,
      error: "reset",
      message: "connection to api.tago.io:443 closed after status 200, before the response ended",
      bodySent: true,
    });
  });

  it("a request without a body (a landing check's GET) counts as sent only once an answer began", async () => {
    const { timer, client } = setup();
    const get = { ...post(), method: "GET" as const, path: "/data?qty=4", body: undefined };
    const silent = client.request(get);
    FakeRequest.made[0].hangUp();
    const cut = client.request(get);
    FakeRequest.made[1].reply({ status: 200, body: counting(5000), fragment: 1000, cut: 2000 });
    timer.advance(1_000);
    expect(FakeRequest.made[1].wire().requestLine).toBe("GET /data?qty=4 HTTP/1.1");
    // Without a body the module never asks for one: nothing tells a hang-up after the request from one before it.
    expect(await silent.result).toMatchObject({ ok: false, error: "other", bodySent: false });
    expect(await cut.result).toMatchObject({ ok: false, error: "reset", bodySent: true });
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
