// Fakes of the Moddable modules the ports use, behaving as the SDK sources do
// (modules/base/timer, modules/network/http/http.js, modules/network/sntp/sntp.js,
// modules/network/wifi/esp32, modules/files/flash/esp32), so the ports run under Node.

import type { RequestInstance, RequestOptions } from "../../firmware/moddable/http.js";

/** The `timer` module over virtual time, plus `Time.ticks`. Clearing a fired timer throws, as in the SDK. */
export class FakeTimer {
  now = 0;
  private seq = 0;
  private queue: Array<{ at: number; seq: number; callback: () => void; live: boolean }> = [];
  readonly delays: number[] = [];

  set = (callback: () => void, delayMs: number): object => {
    this.delays.push(delayMs);
    const entry = { at: this.now + delayMs, seq: this.seq++, callback, live: true };
    this.queue.push(entry);
    return entry;
  };

  clear = (timer: unknown): void => {
    const entry = timer as { live: boolean } | undefined;
    if (entry === undefined || !entry.live) throw new Error("invalid timer");
    entry.live = false;
  };

  get pending(): number {
    return this.queue.filter((e) => e.live).length;
  }

  /** Runs every timer due up to now + ms, in order, moving time with them. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const live = this.queue.filter((e) => e.live && e.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq);
      if (live.length === 0) break;
      const next = live[0];
      next.live = false;
      this.now = Math.max(this.now, next.at);
      next.callback();
    }
    this.now = end;
    this.queue = this.queue.filter((e) => e.live);
  }
}

/** The `time` module: ticks follow the fake timer; set() records what SNTP set. */
export class FakeTime {
  readonly sets: number[] = [];
  constructor(private readonly timer: FakeTimer) {}
  get ticks(): number {
    return this.timer.now;
  }
  set(seconds: number): void {
    this.sets.push(seconds);
  }
}

/** A body described by its length, so a 10 MB response costs no memory until it is read. */
export interface FakeBody {
  length: number;
  byte(index: number): number;
}

export function textBody(text: string): FakeBody {
  const bytes = new TextEncoder().encode(text);
  return { length: bytes.length, byte: (i) => bytes[i] };
}

export interface Reply {
  status: number;
  headers?: Array<[string, string]>;
  body?: FakeBody;
  /** Bytes arriving per socket read. */
  fragment?: number;
  /** The connection drops (-2) once this many body bytes have arrived. */
  cut?: number;
}

/**
 * The `http` Request: callbacks come one per timer tick in the module's order (1 status, 2 each
 * header, 3 headers complete, 4 each fragment with the bytes waiting, 5 complete), then it closes
 * itself as http.js does. Unread bytes stay waiting, as in the socket. close() deletes the
 * callback, so a module still delivering after a synchronous close throws, like http.js.
 */
export class FakeRequest implements RequestInstance {
  static made: FakeRequest[] = [];
  readonly options: RequestOptions;
  closed = 0;
  bytesRead = 0;
  bytesOffered = 0;
  private waiting = 0;
  private readonly timer: FakeTimer;
  callback: RequestInstance["callback"] = () => {
    throw new Error("no callback set");
  };

  constructor(timer: FakeTimer, options: RequestOptions) {
    this.timer = timer;
    this.options = options;
    FakeRequest.made.push(this);
  }

  read(_type: ArrayBufferConstructor, until: number): unknown {
    const n = Math.min(until, this.waiting);
    if (n === 0) return undefined;
    const out = new Uint8Array(n);
    const start = this.bytesOffered - this.waiting;
    for (let i = 0; i < n; i++) out[i] = this.body?.byte(start + i) ?? 0;
    this.waiting -= n;
    this.bytesRead += n;
    return out.buffer;
  }

  close(): void {
    this.closed++;
    this.callback = undefined as unknown as RequestInstance["callback"];
  }

  private body: FakeBody | undefined;

  /** Plays a reply, one message per millisecond. */
  reply(reply: Reply): void {
    this.body = reply.body;
    const steps: Array<() => void> = [() => this.callback(1, reply.status)];
    for (const [name, value] of reply.headers ?? []) steps.push(() => this.callback(2, name.toLowerCase(), value));
    steps.push(() => this.callback(3));
    const length = reply.body?.length ?? 0;
    const fragment = reply.fragment ?? 1460;
    for (let offered = 0; offered < length; offered += fragment) {
      if (reply.cut !== undefined && offered >= reply.cut) {
        steps.push(() => this.drop());
        this.play(steps);
        return;
      }
      const size = Math.min(fragment, length - offered);
      steps.push(() => {
        this.bytesOffered += size;
        this.waiting += size;
        this.callback(4, this.waiting);
        if (this.bytesOffered === length) this.complete();
      });
    }
    if (length === 0) steps.push(() => this.complete());
    this.play(steps);
  }

  /** The connection fails (-2) before any response: DNS, refused, TLS handshake. */
  fail(): void {
    this.play([() => this.drop()]);
  }

  private drop(): void {
    this.callback(-2);
    this.close();
  }

  private complete(): void {
    this.callback(5);
    this.close();
  }

  private play(steps: Array<() => void>): void {
    let i = 0;
    const tick = () => {
      if (this.closed > 0 || i >= steps.length) return;
      steps[i++]();
      if (i < steps.length && this.closed === 0) this.timer.set(tick, 1);
    };
    this.timer.set(tick, 1);
  }
}

/** A Request class bound to a fake timer, as the port receives it. */
export function requestClass(timer: FakeTimer): new (options: RequestOptions) => FakeRequest {
  FakeRequest.made = [];
  return class extends FakeRequest {
    constructor(options: RequestOptions) {
      super(timer, options);
    }
  };
}

export class FakeSecureSocket {}

/** The `Resource` module over a fixed set of names. */
export function resourceClass(names: string[]) {
  return class FakeResource {
    readonly path: string;
    constructor(path: string) {
      if (!names.includes(path)) throw new Error("Resource not found");
      this.path = path;
    }
    static exists(path: string): boolean {
      return names.includes(path);
    }
  };
}

/** The `wifi` module: monitors get the messages the test emits; connect() calls are recorded. */
export class FakeWiFi {
  static monitors: FakeWiFi[] = [];
  static connects: Array<{ at: number; ssid: string; password?: string }> = [];
  static clock: FakeTimer | undefined;
  private readonly callback: (message: string) => void;
  closed = false;

  constructor(options: undefined, callback: (message: string) => void) {
    if (options !== undefined) throw new Error("this fake only watches");
    this.callback = callback;
    FakeWiFi.monitors.push(this);
  }

  close(): void {
    this.closed = true;
  }

  static connect(options: { ssid: string; password?: string }): void {
    FakeWiFi.connects.push({ at: FakeWiFi.clock?.now ?? 0, ...options });
  }

  static reset(clock: FakeTimer): void {
    FakeWiFi.monitors = [];
    FakeWiFi.connects = [];
    FakeWiFi.clock = clock;
  }

  static emit(message: string): void {
    for (const m of FakeWiFi.monitors) if (!m.closed) m.callback(message);
  }
}

/** The `net` module. */
export class FakeNet {
  ip: string | undefined = undefined;
  rssi: number | undefined = -61;
  get(what: "IP" | "RSSI"): unknown {
    return what === "IP" ? this.ip : this.rssi;
  }
}

/** The `sntp` module: each instance waits for the test to answer or fail it. */
export class FakeSNTP {
  static made: FakeSNTP[] = [];
  readonly hosts: string[] = [];
  closed = false;
  private readonly callback: (message: number, value?: unknown) => unknown;

  constructor(options: { host: string }, callback: (message: number, value?: unknown) => unknown) {
    this.hosts.push(options.host);
    this.callback = callback;
    FakeSNTP.made.push(this);
  }

  answer(seconds: number): void {
    this.callback(1, seconds);
    this.close();
  }

  /** The module's failure: the callback may name another host, which is tried next. */
  fail(message = "no response from SNTP server"): void {
    const next = this.callback(-1, message);
    if (typeof next === "string") this.hosts.push(next);
    else this.close();
  }

  close(): void {
    this.closed = true;
  }
}

/** NOR flash as `new Flash(partition)` opens it: writes only clear bits, erase sets a sector to 0xFF. */
export class FakeNorFlash {
  static partitions: Record<string, number> = { journal: 16 * 4096 };
  readonly blockSize = 4096;
  readonly byteLength: number;
  readonly bytes: Uint8Array;
  readonly writes: Array<{ offset: number; byteLength: number; bufferLength: number }> = [];

  constructor(partition: string) {
    const size = FakeNorFlash.partitions[partition];
    if (size === undefined) throw new Error("can't find partition");
    this.byteLength = size;
    this.bytes = new Uint8Array(size).fill(0xff);
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    return this.bytes.slice(offset, offset + byteLength).buffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer): void {
    if (!(buffer instanceof ArrayBuffer)) throw new TypeError("write takes an ArrayBuffer");
    this.writes.push({ offset, byteLength, bufferLength: buffer.byteLength });
    const data = new Uint8Array(buffer, 0, byteLength);
    for (let i = 0; i < byteLength; i++) this.bytes[offset + i] &= data[i];
  }

  erase(sector: number): void {
    this.bytes.fill(0xff, sector * this.blockSize, (sector + 1) * this.blockSize);
  }
}
