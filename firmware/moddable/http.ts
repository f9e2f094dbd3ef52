// The HttpClient port on the Moddable `http` Request, over SecureSocket when the request says
// TLS and over a plain socket only when it says otherwise (the core sends plain HTTP only when
// the configuration asks, with a warning). One request per exchange (the module always sends
// `Connection: close`). Request has no timeout of its own: a timer closes it. The request body
// is streamed: the module asks for it piece by piece (message 0, with the room the socket has),
// since a SecureSocket refuses any single write larger than its free space ("can't write all
// data": about 900 bytes on the simulator, 8 KB on an ESP32). The response body is read in
// fragments up to `maxResponseBytes` and no further: past the bound the exchange ends as
// `truncated` and the request is closed without reading the rest.
// Policy when failing: the result always resolves, never rejects. A constructor that throws, a
// -2 error message, the timeout and cancel() each end the exchange with a TransportErrorKind and
// a message saying how far it got (before the request went out, while sending the body, or
// waiting for the answer); every later callback from the module is ignored.

import type {
  HttpClient,
  HttpExchange,
  HttpRequest,
  HttpResponse,
  HttpResult,
  TimerHandle,
  Timers,
  TransportErrorKind,
} from "../ports.js";
import type { SecureOptions } from "./trust.js";
import { errorMessage } from "../core/text.js";

/** Request options, with the two that typings/http.d.ts lacks: `Socket` and `secure`. */
export interface RequestOptions {
  host: string;
  port: number;
  path: string;
  method: string;
  /** Flat name/value list: [name, value, name, value, ...]. */
  headers: string[];
  /** `true`: the module asks for the body with message 0 (requestFragment). */
  body?: true;
  Socket?: unknown;
  secure?: SecureOptions;
}

export interface RequestInstance {
  /** For message 0 it returns the next piece of the body, or undefined when there is no more. */
  callback(message: number, value?: unknown, etc?: unknown): unknown;
  /** Reads up to `until` bytes of the current fragment as an ArrayBuffer (nothing when none waits). */
  read(type: ArrayBufferConstructor, until: number): unknown;
  close(): void;
}

/** The `http` module's Request class (modules/network/http/http.js). */
export interface RequestModule {
  new (options: RequestOptions): RequestInstance;
}

/** Callback messages of Request; typings/http.d.ts says -1 for the error, the module sends -2. */
export const REQUEST_MESSAGE = Object.freeze({
  requestFragment: 0,
  status: 1,
  header: 2,
  headersComplete: 3,
  responseFragment: 4,
  responseComplete: 5,
  error: -2,
} as const);

/** Distinct response headers kept; a server that sends more is not allowed to grow memory. */
const MAX_HEADERS = 64;

/**
 * The largest body piece handed to the socket. SecureSocket turns each piece into a TLS record,
 * with copies of it in the chunk heap, so the piece bounds that memory. It is what SecureSocket
 * offers on the Linux simulator (its 1,024-byte send buffer less a 128-byte margin), so an ESP32,
 * whose socket offers 8,064, builds the same records and needs no more memory than the simulator
 * shows; it is also well within the 16 KB record the SDK's session silently drops a write past.
 */
const MAX_PIECE_BYTES = 896;

export interface HttpModules {
  Request: RequestModule;
  /** Absent in a build without TLS: every TLS request then fails without being sent. */
  SecureSocket?: unknown;
}

export class ModdableHttpClient implements HttpClient {
  private readonly modules: HttpModules;
  private readonly timers: Timers;
  private readonly secure: SecureOptions;

  constructor(modules: HttpModules, timers: Timers, secure: SecureOptions) {
    this.modules = modules;
    this.timers = timers;
    this.secure = secure;
  }

  request(request: HttpRequest): HttpExchange {
    const exchange = new Exchange(this.timers, request);
    exchange.send(this.modules, this.secure);
    return { result: exchange.result, cancel: () => exchange.fail("cancelled", "cancelled") };
  }
}

class Exchange {
  readonly result: Promise<HttpResult>;
  private resolve!: (result: HttpResult) => void;
  private readonly timers: Timers;
  private readonly spec: HttpRequest;
  private native: RequestInstance | undefined;
  private timer: TimerHandle | undefined;
  private done = false;
  /** True while the module is calling us: closing it synchronously then would break its state. */
  private inCallback = false;
  private status = 0;
  private readonly headers: Record<string, string> = Object.create(null) as Record<string, string>;
  private headerCount = 0;
  private readonly chunks: Uint8Array[] = [];
  private received = 0;
  /** The request body, held once: each piece is a view of it, as large as the socket has room for, up to MAX_PIECE_BYTES. */
  private body: Uint8Array | undefined;
  /** Body bytes handed to the module so far. */
  private sent = 0;
  /** True once the module asked for the body: connected, TLS done, request head written. */
  private sending = false;

  constructor(timers: Timers, spec: HttpRequest) {
    this.timers = timers;
    this.spec = spec;
    this.result = new Promise<HttpResult>((resolve) => (this.resolve = resolve));
  }

  send(modules: HttpModules, secure: SecureOptions): void {
    const spec = this.spec;
    const refusal = refuse(spec, modules);
    if (refusal !== undefined) {
      this.end(refusal);
      return;
    }
    const options: RequestOptions = {
      host: spec.host,
      port: spec.port,
      path: spec.path,
      method: spec.method,
      headers: flatHeaders(spec),
    };
    if (spec.body !== undefined) {
      this.body = spec.body;
      options.body = true;
    }
    // Plain HTTP leaves `Socket` out entirely: the module spreads the options over its own
    // defaults, so an explicit undefined would replace its plain socket class.
    if (spec.tls) {
      options.Socket = modules.SecureSocket;
      options.secure = secure;
    }
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.fail("timeout", `no complete answer within ${spec.timeoutMs} ms`);
    }, spec.timeoutMs);
    try {
      this.native = new modules.Request(options);
    } catch (e) {
      const message = errorMessage(e);
      this.fail(thrownKind(message, spec.tls), message);
      return;
    }
    this.native.callback = (message, value, etc) => this.onMessage(message, value, etc);
  }

  /** The next piece of the body, at most `room` bytes; undefined when all of it went. */
  private piece(room: unknown): Uint8Array | undefined {
    const body = this.body;
    this.sending = true;
    if (body === undefined || this.sent >= body.length) return undefined;
    const size = Math.min(Math.max(0, Math.floor(Number(room) || 0)), MAX_PIECE_BYTES, body.length - this.sent);
    const start = this.sent;
    this.sent += size;
    return body.subarray(start, start + size);
  }

  /**
   * Whether the server may have the whole request: every body byte was handed to the socket, or,
   * for a request without a body (the module never asks for one), an answer began.
   */
  private bodySent(): boolean {
    const body = this.spec.body;
    return body === undefined ? this.status !== 0 : this.sending && this.sent >= body.length;
  }

  /** Ends the exchange with a transport failure, saying whether the request went whole. */
  fail(error: TransportErrorKind, message: string): void {
    this.end({ ok: false, error, message, bodySent: this.bodySent() });
  }

  /** Ends the exchange once: stops the timer, closes the request, resolves the result. */
  end(result: HttpResult): void {
    if (this.done) return;
    this.done = true;
    this.body = undefined;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    const native = this.native;
    this.native = undefined;
    if (native !== undefined) {
      if (this.inCallback) this.timers.set(() => closeQuietly(native), 0);
      else closeQuietly(native);
    }
    this.resolve(result);
  }

  private onMessage(message: number, value: unknown, etc: unknown): Uint8Array | undefined {
    if (this.done) return undefined;
    this.inCallback = true;
    try {
      if (message === REQUEST_MESSAGE.requestFragment) return this.piece(value);
      if (message === REQUEST_MESSAGE.status) this.status = statusOf(value);
      else if (message === REQUEST_MESSAGE.header) this.header(String(value), String(etc));
      else if (message === REQUEST_MESSAGE.responseFragment) this.fragment(Number(value));
      else if (message === REQUEST_MESSAGE.responseComplete) this.end({ ok: true, response: this.response(false) });
      else if (message < 0) this.failure();
    } catch (e) {
      this.fail("other", errorMessage(e));
    } finally {
      this.inCallback = false;
    }
    return undefined;
  }

  private header(name: string, value: string): void {
    const key = name.toLowerCase();
    if (!(key in this.headers)) {
      if (this.headerCount >= MAX_HEADERS) return;
      this.headerCount++;
    }
    this.headers[key] = value;
  }

  /** `available` bytes of body are waiting: take what fits under the bound, end if more came. */
  private fragment(available: number): void {
    const room = this.spec.maxResponseBytes - this.received;
    if (room > 0 && available > 0) {
      const chunk = (this.native as RequestInstance).read(ArrayBuffer, Math.min(room, available));
      if (!(chunk instanceof ArrayBuffer)) {
        // Bytes the module consumed but did not hand over: fail loudly rather than lose them.
        this.fail("other", "http: read() returned no ArrayBuffer for the response body");
        return;
      }
      this.chunks.push(new Uint8Array(chunk));
      this.received += chunk.byteLength;
    }
    if (available > room) this.end({ ok: true, response: this.response(true) });
  }

  private response(truncated: boolean): HttpResponse {
    const body = new Uint8Array(this.received);
    let at = 0;
    for (const chunk of this.chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    return { status: this.status, headers: this.headers, body, truncated };
  }

  /** What a -2 means depends on how far the exchange got. */
  private failure(): void {
    const spec = this.spec;
    const server = `${spec.host}:${spec.port}`;
    if (this.status !== 0) {
      return this.fail("reset", `connection to ${server} closed after status ${this.status}, before the response ended`);
    }
    const length = spec.body?.length ?? 0;
    if (this.sending && this.sent < length) {
      const message = `connection to ${server} failed while sending the request body (${this.sent} of ${length} bytes handed to the socket)`;
      return this.fail("reset", message);
    }
    if (this.sending) return this.fail("reset", `connection to ${server} closed after the request was sent, before any answer`);
    const hint = spec.tls
      ? "; if the network is up, check that the clock is set and that the server's chain ends at a trust anchor" +
        " of manifests/tls.json (or customCa)"
      : "";
    const before = spec.body === undefined ? "before any answer" : "before the request was sent";
    const message = `no connection to ${server} ${before}: connecting, DNS lookup or TLS handshake failed${hint}`;
    this.fail("other", message);
  }
}

/** Requests this port will not send at all. */
function refuse(spec: HttpRequest, modules: HttpModules): HttpResult | undefined {
  if (spec.tls && modules.SecureSocket === undefined) {
    return { ok: false, error: "tls", message: "TLS requested but this build has no SecureSocket; not sending in plain text", bodySent: false };
  }
  for (const [name, value] of spec.headers) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      return { ok: false, error: "other", message: `header ${JSON.stringify(name)} contains a line break; not sent`, bodySent: false };
    }
  }
  return undefined;
}

/** With a streamed body the module sends no Content-Length of its own. */
function flatHeaders(spec: HttpRequest): string[] {
  const defaultPort = spec.tls ? 443 : 80;
  const flat = ["Host", spec.port === defaultPort ? spec.host : `${spec.host}:${spec.port}`];
  for (const [name, value] of spec.headers) flat.push(name, value);
  if (spec.body !== undefined) flat.push("Content-Length", String(spec.body.length));
  return flat;
}

/** A status line the module could not parse as a number counts as no status. */
function statusOf(value: unknown): number {
  const status = Number(value);
  return Number.isInteger(status) && status >= 100 && status <= 999 ? status : 0;
}

function thrownKind(message: string, tls: boolean): TransportErrorKind {
  if (/resolve|dns/i.test(message)) return "dns";
  if (tls && /ssl|tls|certificate|date validation/i.test(message)) return "tls";
  return "other";
}

function closeQuietly(native: RequestInstance): void {
  try {
    native.close();
  } catch {
    // the module may already have closed it
  }
}
