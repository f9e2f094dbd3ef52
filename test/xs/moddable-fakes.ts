// Portable fakes of the Moddable modules boot() takes (timer, time, http Request, sntp, wifi,
// net, flash, Resource, Instrumentation), for running firmware/moddable on XS and on Node alike.
// They behave as the SDK documents (see /work/shared/docs/moddable-notes.md): Timer.clear of a
// fired or cleared timer throws; a Request calls back 1 status, 2 header(s), 3 headersComplete,
// 4 responseFragment(s), 5 responseComplete (or -2 error), one message per timer tick, and has
// close(); SNTP answers after a delay; Flash has NOR semantics. Portable: no Node, no vitest.

import type { RequestInstance, RequestOptions } from "../../firmware/moddable/http.js";
import { FakeNorFlash } from "../moddable/fakes.js";

interface TimerEntry {
  at: number;
  seq: number;
  callback: () => void;
  live: boolean;
}

/** The `timer` module over virtual time (milliseconds since boot). */
export class VirtualTimer {
  now = 0;
  private seq = 0;
  private queue: TimerEntry[] = [];

  set = (callback: () => void, delayMs: number): object => {
    const entry: TimerEntry = { at: this.now + Math.max(0, delayMs), seq: this.seq++, callback, live: true };
    this.queue.push(entry);
    return entry;
  };

  clear = (timer: unknown): void => {
    const entry = timer as TimerEntry | undefined;
    if (entry === undefined || entry === null || !entry.live) throw new Error("invalid timer");
    entry.live = false;
  };

  get pending(): number {
    return this.queue.filter((e) => e.live).length;
  }

  /** Fires the earliest live timer due at or before `endMs`; false when there is none. */
  runNext(endMs: number): boolean {
    this.queue = this.queue.filter((e) => e.live);
    let next: TimerEntry | undefined;
    for (const e of this.queue) {
      if (e.at > endMs) continue;
      if (next === undefined || e.at < next.at || (e.at === next.at && e.seq < next.seq)) next = e;
    }
    if (next === undefined) return false;
    next.live = false;
    if (next.at > this.now) this.now = next.at;
    next.callback();
    return true;
  }
}

/** The `time` module and Date.now: the RTC reads 1970 plus uptime until SNTP sets it. */
export class VirtualTime {
  readonly sets: number[] = [];
  private wallAtZero = 0;
  constructor(private readonly timer: VirtualTimer) {}
  get ticks(): number {
    return this.timer.now;
  }
  set(seconds: number): void {
    this.sets.push(seconds);
    this.wallAtZero = seconds * 1000 - this.timer.now;
  }
  now = (): number => this.wallAtZero + this.timer.now;
}

/** How the fake server answers one request. */
export type Plan =
  | { kind: "reply"; status: number; body: string; headers?: Array<[string, string]>; fragment?: number }
  /** -2 before any status: connection, DNS or TLS failure. */
  | { kind: "error" }
  /** Nothing ever comes back. */
  | { kind: "silent" };

/** A request as the fake saw it, and what became of it. */
export interface SeenRequest {
  atMs: number;
  host: string;
  port: number;
  path: string;
  method: string;
  headers: string[];
  body: string;
  secure: boolean;
  plan: Plan["kind"];
  /** Callback messages delivered, in order. */
  messages: number[];
  bytesOffered: number;
  bytesRead: number;
  closed: number;
  /** Virtual time of the first close(), or null. */
  closedAtMs: number | null;
}

const latin1 = (bytes: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
};

/** Builds the `http` module's Request class over the virtual timer; `plan` answers by index. */
export function makeRequestClass(
  timer: VirtualTimer,
  seen: SeenRequest[],
  plan: (index: number, body: string) => Plan,
): new (options: RequestOptions) => RequestInstance {
  const encoder = new TextEncoder();
  return class FakeRequest implements RequestInstance {
    private readonly record: SeenRequest;
    private body: Uint8Array = new Uint8Array(0);
    private waiting = 0;
    callback: RequestInstance["callback"] = () => {
      throw new Error("no callback set");
    };

    constructor(options: RequestOptions) {
      const body = options.body;
      const text = typeof body === "string" ? body : body instanceof ArrayBuffer ? latin1(new Uint8Array(body)) : "";
      const p = plan(seen.length, text);
      this.record = {
        atMs: timer.now,
        host: options.host,
        port: options.port,
        path: options.path,
        method: options.method,
        headers: [...options.headers],
        body: text,
        secure: options.Socket !== undefined,
        plan: p.kind,
        messages: [],
        bytesOffered: 0,
        bytesRead: 0,
        closed: 0,
        closedAtMs: null,
      };
      seen.push(this.record);
      if (p.kind === "error") this.play([() => this.deliver(-2)]);
      else if (p.kind === "reply") this.reply(p.status, p.headers ?? [], encoder.encode(p.body), p.fragment ?? 1460);
    }

    read(_type: ArrayBufferConstructor, until: number): unknown {
      const n = Math.min(until, this.waiting);
      if (n <= 0) return undefined;
      const start = this.record.bytesOffered - this.waiting;
      // A buffer of this realm: under Node the bundle runs in a vm context whose TextEncoder is
      // the host's, and the port checks `instanceof ArrayBuffer`, as it must on the device.
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = this.body[start + i];
      this.waiting -= n;
      this.record.bytesRead += n;
      return out.buffer;
    }

    close(): void {
      if (this.record.closed === 0) this.record.closedAtMs = timer.now;
      this.record.closed++;
    }

    private deliver(message: number, value?: unknown, etc?: unknown): void {
      this.record.messages.push(message);
      this.callback(message, value, etc);
    }

    private reply(status: number, headers: Array<[string, string]>, body: Uint8Array, fragment: number): void {
      this.body = body;
      const steps: Array<() => void> = [() => this.deliver(1, status)];
      for (const [name, value] of headers) steps.push(() => this.deliver(2, name.toLowerCase(), value));
      steps.push(() => this.deliver(3));
      for (let offered = 0; offered < body.length; offered += fragment) {
        const size = Math.min(fragment, body.length - offered);
        steps.push(() => {
          this.record.bytesOffered += size;
          this.waiting += size;
          this.deliver(4, this.waiting);
        });
      }
      steps.push(() => this.deliver(5));
      this.play(steps);
    }

    /** One message per millisecond; nothing more once closed (close() ends the socket). */
    private play(steps: Array<() => void>): void {
      let i = 0;
      const tick = (): void => {
        if (this.record.closed > 0 || i >= steps.length) return;
        steps[i++]();
        if (i < steps.length && this.record.closed === 0) timer.set(tick, 1);
        else if (i >= steps.length && this.record.closed === 0) this.close(); // http.js closes itself at the end
      };
      timer.set(tick, 1);
    }
  };
}

/** The `sntp` module: answers `seconds` after `delayMs`, unless closed first. */
export function makeSntpClass(
  timer: VirtualTimer,
  made: Array<{ host: string; atMs: number; answeredAtMs: number | null }>,
  delayMs: number,
  seconds: number,
) {
  return class FakeSNTP {
    private closed = false;
    constructor(options: { host: string }, callback: (message: number, value?: unknown) => unknown) {
      const record = { host: options.host, atMs: timer.now, answeredAtMs: null as number | null };
      made.push(record);
      timer.set(() => {
        if (this.closed) return;
        record.answeredAtMs = timer.now;
        this.closed = true;
        callback(1, seconds);
      }, delayMs);
    }
    close(): void {
      this.closed = true;
    }
  };
}

/** The `wifi` module: watching only; connect() calls are counted. */
export function makeWiFiClass(log: { monitors: number; connects: number }) {
  return class FakeWiFi {
    constructor(_options: undefined, _callback: (message: string) => void) {
      log.monitors++;
    }
    close(): void {}
    static connect(_options: { ssid: string; password?: string }): void {
      log.connects++;
    }
  };
}

/** The `net` module: the boot-time connection (setup/network) already gave an address. */
export const NET = {
  get: (what: "IP" | "RSSI"): unknown => (what === "IP" ? "10.0.0.2" : -61),
};

/** `new Flash(partition)` with NOR semantics (test/moddable's fake), counting writes and erases. */
export function makeFlashClass(ops: { writes: number; erases: number }) {
  return class CountingFlash extends FakeNorFlash {
    override write(offset: number, byteLength: number, buffer: ArrayBuffer): void {
      ops.writes++;
      super.write(offset, byteLength, buffer);
    }
    override erase(sector: number): void {
      ops.erases++;
      super.erase(sector);
    }
  };
}

/** The `Resource` module over no resources at all. */
export class NoResource {
  constructor(path: string) {
    throw new Error(`Resource not found: ${path}`);
  }
  static exists(_path: string): boolean {
    return false;
  }
}

export class FakeSecureSocket {}

export const INSTRUMENTATION = { map: (): number => 0, get: (): number => 123_456 };
