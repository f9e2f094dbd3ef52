// The `http` Request and the sockets under it, behaving as the SDK's http.js, SecureSocket and
// socket modules do where the port depends on it. The request goes out through a socket with a
// fixed room per writable event (SIMULATOR_ROOM, ESP32_ROOM): the head in pieces that fit, a body
// of `true` pulled through message 0 with the room as its value, a String or ArrayBuffer body in
// one write. A write larger than the room throws "can't write all data"; SecureSocket catches it
// and the Request calls back -2 and closes (a plain socket lets it escape, as on the device). The
// bytes that went out are kept for the tests. The answer is scripted per request and played one
// message per millisecond after the request is on the wire. Portable, like fakes.ts.

import type { RequestInstance, RequestOptions } from "../../firmware/moddable/http.js";
import type { FakeTimer } from "./fakes.js";
import { errorMessage } from "../../firmware/core/text.js";

/** SecureSocket keeps this much of the socket's free space for TLS overhead. */
export const TLS_MARGIN = 128;
/** SecureSocket's room per writable event on the Linux simulator: its 1024-byte send buffer less the margin. */
export const SIMULATOR_ROOM = 1024 - TLS_MARGIN;
/** The same on an ESP32: lwIP's 8192-byte TCP send buffer (the SDK's sdkconfig) less the margin. */
export const ESP32_ROOM = 8192 - TLS_MARGIN;
/** The SDK's TLS session drops a write larger than one record, without a word. */
export const TLS_RECORD_BYTES = 16384;

/** Socket callback messages (modules/network/socket). */
const CONNECTED = 1;
const WRITABLE = 3;
const DISCONNECTED = -1;
const ERROR = -2;

/** A body described by its length, so a 10 MB response costs no memory until it is read. */
export interface FakeBody {
  length: number;
  byte(index: number): number;
}

export function textBody(text: string): FakeBody {
  const bytes = new TextEncoder().encode(text);
  return { length: bytes.length, byte: (i) => bytes[i] };
}

/** The server's answer, played once the whole request is on the wire. */
export interface Reply {
  status: number;
  headers?: Array<[string, string]>;
  body?: FakeBody;
  /** Bytes arriving per socket read. */
  fragment?: number;
  /** The connection drops (-2) once this many body bytes have arrived. */
  cut?: number;
}

/** The request as it went out on the wire. */
export interface WireRequest {
  /** "POST /data HTTP/1.1"; empty while the head has not gone out whole. */
  requestLine: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** A request and what became of it, as plain data (the XS suite compares engines with it). */
export interface SeenRequest {
  atMs: number;
  /** The method the Request was made with (the wire may hold nothing of it). */
  method: string;
  host: string;
  port: number;
  secure: boolean;
  requestLine: string;
  headers: Array<[string, string]>;
  /** The body on the wire, one character per byte. */
  body: string;
  /** Each body piece handed over for message 0, and the room it was offered. */
  pieces: Array<{ room: number; bytes: number }>;
  /** Callback messages delivered, in order. */
  messages: number[];
  bytesOffered: number;
  bytesRead: number;
  closed: number;
  /** Virtual time of the first close(), or null. */
  closedAtMs: number | null;
}

/** The options the module takes: besides `true`, a String or an ArrayBuffer body (sent in one write). */
export type FakeRequestOptions = Omit<RequestOptions, "body"> & { body?: RequestOptions["body"] | string | ArrayBuffer };

/** How requests of one Request class travel. */
export interface FakeNetwork {
  /** Room SecureSocket offers at each writable event (a plain socket offers TLS_MARGIN more); SIMULATOR_ROOM by default. */
  room?: number;
  /** The test's server: sees each request as it is made (index from 0) and scripts it. */
  serve?(request: FakeRequest, index: number): void;
}

type SocketCallback = (message: number, value?: number) => void;

/** One connection: the room, the bytes that went out, and where the far end drops it. */
interface Line {
  timer: FakeTimer;
  room: number;
  sent: Uint8Array[];
  sentBytes: number;
  /** The connection fails at the first socket event once this many bytes went out (0: connecting). */
  dropAfter: number;
  /** What SecureSocket caught and turned into -2. */
  socketError: string | undefined;
}

interface SocketInstance {
  callback: SocketCallback | undefined;
  write(...items: unknown[]): number | undefined;
  close(): void;
  /** The far end closes the connection. */
  hangUp(): void;
}

type SocketClass = new (options: FakeRequestOptions, line: Line) => SocketInstance;

const encoder = new TextEncoder();

/** The bytes a socket write of these items sends: strings as UTF-8, numbers as one byte, buffers and byte views as they are. */
function bytesOf(items: readonly unknown[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let length = 0;
  for (const item of items) {
    let part: Uint8Array;
    if (typeof item === "string") part = encoder.encode(item);
    else if (typeof item === "number") part = Uint8Array.of(item & 0xff);
    else if (ArrayBuffer.isView(item)) {
      // XS takes a DataView or a typed array of bytes, nothing wider.
      if (((item as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1) > 1) throw new TypeError("invalid buffer");
      part = new Uint8Array(item.buffer, item.byteOffset, item.byteLength);
    }
    // Not instanceof: under Node the bundle's realm differs from the buffers TextEncoder makes.
    else if (Object.prototype.toString.call(item) === "[object ArrayBuffer]") part = new Uint8Array(item as ArrayBuffer);
    else throw new Error("unsupported type for write");
    parts.push(part);
    length += part.length;
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

/**
 * A TCP socket (modules/network/socket): connects a millisecond after it is made; write() with
 * nothing returns the free space, with data sends it or throws "can't write all data"; a writable
 * event follows a millisecond after bytes went out (none when nothing did), with the free space
 * back to full. Bytes written within one event use up its room, as in lwIP until the peer acks.
 */
export class FakeSocket implements SocketInstance {
  callback: SocketCallback | undefined;
  private readonly line: Line;
  private written = 0;
  private closed = false;
  private readonly events: object[] = [];

  constructor(_options: FakeRequestOptions, line: Line) {
    this.line = line;
    this.later(() => this.emit(line.dropAfter <= 0 ? ERROR : CONNECTED));
  }

  write(...items: unknown[]): number | undefined {
    if (this.closed) throw new Error("write on closed socket");
    const free = this.line.room + TLS_MARGIN - this.written;
    if (items.length === 0) return free;
    const bytes = bytesOf(items);
    if (bytes.length > free) throw new Error("can't write all data");
    if (bytes.length === 0) return undefined;
    const wasIdle = this.written === 0;
    this.written += bytes.length;
    this.line.sent.push(bytes);
    this.line.sentBytes += bytes.length;
    if (wasIdle) this.later(() => this.writable());
    return undefined;
  }

  hangUp(): void {
    this.later(() => this.emit(DISCONNECTED));
  }

  close(): void {
    this.closed = true;
    for (const event of this.events.splice(0)) this.line.timer.clear(event);
  }

  private writable(): void {
    this.written = 0;
    if (this.line.sentBytes >= this.line.dropAfter) this.emit(ERROR);
    else this.emit(WRITABLE, this.line.room + TLS_MARGIN);
  }

  private emit(message: number, value?: number): void {
    this.callback?.(message, value);
  }

  private later(event: () => void): void {
    const handle = this.line.timer.set(() => {
      this.events.splice(this.events.indexOf(handle), 1);
      if (!this.closed) event();
    }, 1);
    this.events.push(handle);
  }
}

/**
 * SecureSocket (modules/crypt/securesocket) over a FakeSocket: the handshake is done when the
 * socket connects; it offers its socket's free space less TLS_MARGIN, refuses a larger write with
 * "can't write all data", drops one over TLS_RECORD_BYTES silently, and turns anything thrown
 * while it delivers an event, and any socket error, into -2 followed by close().
 */
export class FakeSecureSocket implements SocketInstance {
  callback: SocketCallback | undefined;
  private readonly sock: FakeSocket;
  private readonly line: Line;
  private closing = false;

  constructor(options: FakeRequestOptions, line: Line) {
    this.line = line;
    this.sock = new FakeSocket(options, line);
    this.sock.callback = (message, value) => this.onSocket(message, value ?? 0);
  }

  write(...items: unknown[]): number | undefined {
    const room = Math.max(0, (this.sock.write() as number) - TLS_MARGIN);
    if (items.length === 0) return room;
    const bytes = bytesOf(items);
    if (bytes.length > room) throw new Error("can't write all data");
    if (bytes.length <= TLS_RECORD_BYTES) this.sock.write(bytes);
    return undefined;
  }

  close(): void {
    this.closing = true;
    this.sock.close();
  }

  hangUp(): void {
    this.sock.hangUp();
  }

  private onSocket(message: number, value: number): void {
    if (this.closing) return;
    let failure: number | undefined;
    try {
      if (message === CONNECTED) this.callback?.(CONNECTED);
      else if (message === WRITABLE) {
        if (value > TLS_MARGIN) this.callback?.(WRITABLE, value - TLS_MARGIN);
      } else failure = message;
    } catch (e) {
      this.line.socketError = errorMessage(e);
      failure = ERROR;
    }
    if (failure !== undefined && !this.closing) {
      this.callback?.(failure);
      this.close();
    }
  }
}

type Answer = Reply | ((sent: WireRequest) => Reply) | "hang up";

/**
 * The `http` Request (modules/network/http/http.js, client side) over FakeSocket or, as the
 * options say, FakeSecureSocket. The test scripts the far end: reply(), fail(), dropAfter(),
 * hangUp(); with none of them the server stays silent. close() deletes the callback, as http.js
 * does, so a delivery after it would throw.
 */
export class FakeRequest implements RequestInstance {
  static made: FakeRequest[] = [];
  readonly options: FakeRequestOptions;
  readonly atMs: number;
  readonly messages: number[] = [];
  readonly pieces: Array<{ room: number; bytes: number }> = [];
  closed = 0;
  closedAtMs: number | null = null;
  bytesRead = 0;
  bytesOffered = 0;
  callback: RequestInstance["callback"] = () => {
    throw new Error("no callback set");
  };
  private readonly timer: FakeTimer;
  private readonly line: Line;
  private socket: SocketInstance | undefined;
  private stage: "connecting" | "head" | "body" | "sent" | "done" = "connecting";
  private head = "";
  /** As http.js keeps it: an empty body is no body. */
  private readonly body: true | string | ArrayBuffer | undefined;
  private answer: Answer | undefined;
  private answered = false;
  private response: FakeBody | undefined;
  private waiting = 0;
  private tick: object | undefined;

  constructor(timer: FakeTimer, options: FakeRequestOptions, network: FakeNetwork = {}) {
    this.timer = timer;
    this.options = options;
    this.atMs = timer.now;
    this.body = options.body ? options.body : undefined;
    this.line = { timer, room: network.room ?? SIMULATOR_ROOM, sent: [], sentBytes: 0, dropAfter: Infinity, socketError: undefined };
    // http.js spreads the options over its defaults: a `Socket` given as undefined replaces the plain socket.
    const Socket = ("Socket" in options ? options.Socket : FakeSocket) as SocketClass;
    this.socket = new Socket(options, this.line);
    this.socket.callback = (message, value) => this.onSocket(message, value);
    FakeRequest.made.push(this);
    network.serve?.(this, FakeRequest.made.length - 1);
  }

  /** The server answers once it has the whole request; a function answers what it read. */
  reply(answer: Reply | ((sent: WireRequest) => Reply)): void {
    this.answer = answer;
    if (this.stage === "sent") this.respond();
  }

  /** The connection fails before the request goes out: refused, DNS, TLS handshake. */
  fail(): void {
    this.dropAfter(0);
  }

  /** The connection fails at the first socket event after `bytes` bytes of the request (head and body) went out. */
  dropAfter(bytes: number): void {
    this.line.dropAfter = bytes;
  }

  /** The server reads the whole request, then closes without answering. */
  hangUp(): void {
    this.answer = "hang up";
    if (this.stage === "sent") this.respond();
  }

  /** What SecureSocket caught and turned into -2 (the SDK never shows it to the Request's user). */
  get socketError(): string | undefined {
    return this.line.socketError;
  }

  wire(): WireRequest {
    const bytes = bytesOf(this.line.sent);
    let end = -1;
    for (let i = 0; i + 3 < bytes.length && end < 0; i++) {
      if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) end = i;
    }
    if (end < 0) return { requestLine: "", headers: [], body: new Uint8Array(0) };
    const lines = latin1(bytes.subarray(0, end)).split("\r\n");
    const headers = lines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(": ");
      return [line.slice(0, colon), line.slice(colon + 2)];
    });
    return { requestLine: lines[0], headers, body: bytes.slice(end + 4) };
  }

  seen(): SeenRequest {
    const wire = this.wire();
    return {
      atMs: this.atMs,
      method: this.options.method,
      host: this.options.host,
      port: this.options.port,
      secure: this.options.Socket !== undefined,
      requestLine: wire.requestLine,
      headers: wire.headers,
      body: latin1(wire.body),
      pieces: this.pieces.map((p) => ({ ...p })),
      messages: [...this.messages],
      bytesOffered: this.bytesOffered,
      bytesRead: this.bytesRead,
      closed: this.closed,
      closedAtMs: this.closedAtMs,
    };
  }

  read(_type: ArrayBufferConstructor, until: number): unknown {
    const n = Math.min(until, this.waiting);
    if (n <= 0) return undefined;
    const start = this.bytesOffered - this.waiting;
    // A buffer of this realm: the port checks `instanceof ArrayBuffer`, as it must on the device.
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.response?.byte(start + i) ?? 0;
    this.waiting -= n;
    this.bytesRead += n;
    return out.buffer;
  }

  close(): void {
    if (this.closed === 0) this.closedAtMs = this.timer.now;
    this.closed++;
    this.stage = "done";
    this.socket?.close();
    this.socket = undefined;
    if (this.tick !== undefined) this.timer.clear(this.tick);
    this.tick = undefined;
    this.callback = undefined as unknown as RequestInstance["callback"];
  }

  private onSocket(message: number, value: number | undefined): void {
    const socket = this.socket;
    if (socket === undefined) return;
    if (message === CONNECTED) {
      this.head = headOf(this.options, this.body);
      this.stage = "head";
      this.send(socket, socket.write() as number);
    } else if (message === WRITABLE) this.send(socket, value ?? 0);
    else if (message < 0) this.finish(ERROR);
  }

  /** One writable event: the next piece of the head, then of the body, as far as `room` goes. */
  private send(socket: SocketInstance, room: number): void {
    if (this.stage === "head") {
      const piece = this.head.slice(0, room);
      this.head = this.head.slice(piece.length);
      socket.write(piece);
      if (this.head.length > 0) return;
      this.stage = this.body === undefined ? "sent" : "body";
    }
    if (this.stage !== "body") return this.respond();
    if (this.body === true) {
      const offered = socket.write() as number;
      const piece = this.deliver(0, offered);
      if (piece !== undefined) {
        this.pieces.push({ room: offered, bytes: bytesOf([piece]).length });
        socket.write(piece);
        return;
      }
    } else socket.write(this.body);
    this.stage = "sent";
    this.respond();
  }

  /** Once the request is on the wire (or when scripted later): the scripted answer starts. */
  private respond(): void {
    const answer = this.answer;
    if (answer === undefined || this.stage !== "sent" || this.answered) return;
    this.answered = true;
    if (answer === "hang up") this.socket?.hangUp();
    else this.play(typeof answer === "function" ? answer(this.wire()) : answer);
  }

  private deliver(message: number, value?: unknown, etc?: unknown): unknown {
    this.messages.push(message);
    return this.callback(message, value, etc);
  }

  /** The exchange ends once: -2 or 5 to the callback, then the Request closes itself. */
  private finish(message: number): void {
    if (this.stage === "done") return;
    this.stage = "done";
    try {
      this.deliver(message);
    } finally {
      this.close();
    }
  }

  /** Plays a reply, one message per millisecond: status, headers, headers complete, fragments, end. */
  private play(reply: Reply): void {
    this.response = reply.body;
    const steps: Array<() => void> = [() => this.deliver(1, reply.status)];
    for (const [name, value] of reply.headers ?? []) steps.push(() => this.deliver(2, name.toLowerCase(), value));
    steps.push(() => this.deliver(3));
    const length = reply.body?.length ?? 0;
    const fragment = reply.fragment ?? 1460;
    let cut = false;
    for (let offered = 0; offered < length && !cut; offered += fragment) {
      cut = reply.cut !== undefined && offered >= reply.cut;
      const size = Math.min(fragment, length - offered);
      steps.push(
        cut
          ? () => this.finish(ERROR)
          : () => {
              this.bytesOffered += size;
              this.waiting += size;
              this.deliver(4, this.waiting);
            },
      );
    }
    // http.js completes once the reader took every byte; with bytes left unread the server's close is an error.
    if (!cut) steps.push(() => this.finish(this.waiting === 0 ? 5 : ERROR));
    let i = 0;
    const next = (): void => {
      this.tick = undefined;
      if (this.stage !== "sent") return;
      steps[i++]();
      if (i < steps.length && this.stage === "sent") this.tick = this.timer.set(next, 1);
    };
    this.tick = this.timer.set(next, 1);
  }
}

/** The request head as http.js writes it: request line, Connection: close, the headers, then content-length and Host unless given. */
function headOf(options: FakeRequestOptions, body: true | string | ArrayBuffer | undefined): string {
  let head = `${options.method} ${options.path} HTTP/1.1\r\nConnection: close\r\n`;
  let hasLength = false;
  let hasHost = false;
  const headers = options.headers;
  for (let i = 0; i < headers.length; i += 2) {
    head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    const name = String(headers[i]).toLowerCase();
    if (name === "content-length") hasLength = true;
    else if (name === "host") hasHost = true;
  }
  if (body !== undefined && body !== true && !hasLength) {
    head += `content-length: ${typeof body === "string" ? body.length : body.byteLength}\r\n`;
  }
  if (!hasHost) head += `Host: ${options.host}\r\n`;
  return `${head}\r\n`;
}

/** A Request class bound to a fake timer, as the port receives it; FakeRequest.made starts empty. */
export function requestClass(timer: FakeTimer, network: FakeNetwork = {}): new (options: FakeRequestOptions) => FakeRequest {
  FakeRequest.made = [];
  return class extends FakeRequest {
    constructor(options: FakeRequestOptions) {
      super(timer, options, network);
    }
  };
}
