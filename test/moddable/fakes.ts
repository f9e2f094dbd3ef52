// Fakes of the Moddable modules the ports use (timer, time, sntp, wifi, net, flash, Resource,
// Instrumentation; the http Request and its sockets are in fake-http.ts, exported from here too),
// behaving as the SDK sources do where the ports depend on it. One set for the Node tests and the
// XS conformance bundle: portable (ES2022, TextEncoder/TextDecoder, no Node, no vitest).

import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import type { TimerHandle } from "../../firmware/ports.js";

export * from "./fake-http.js";

interface NativeTimer {
  live: boolean;
  handle: TimerHandle | undefined;
}

/**
 * The `timer` module over virtual time (milliseconds since boot, which `Time.ticks` reads too).
 * Clearing a timer that fired or was cleared throws, as in the SDK.
 */
export class FakeTimer {
  /** Every delay asked for, as given. */
  readonly delays: number[] = [];
  private readonly clock = new VirtualClock({ wallStartMs: 0, trusted: false });
  private live = 0;

  get now(): number {
    return this.clock.monotonicMs();
  }

  get pending(): number {
    return this.live;
  }

  set = (callback: () => void, delayMs: number): object => {
    this.delays.push(delayMs);
    const timer: NativeTimer = { live: true, handle: undefined };
    this.live++;
    timer.handle = this.clock.set(() => {
      timer.live = false;
      this.live--;
      callback();
    }, delayMs);
    return timer;
  };

  clear = (timer: unknown): void => {
    const entry = timer as NativeTimer | undefined | null;
    if (entry === undefined || entry === null || !entry.live) throw new Error("invalid timer");
    entry.live = false;
    this.live--;
    this.clock.clear(entry.handle);
  };

  /** Fires the earliest timer due at or before `endMs`; false when there is none. */
  runNext(endMs: number): boolean {
    return this.clock.runNext(endMs);
  }

  /** Runs every timer due up to now + ms, in order, moving time with them. */
  advance(ms: number): void {
    const end = this.now + ms;
    while (this.runNext(end));
    this.clock.advanceTo(end);
  }

  /** Moves time to `ms` (never back) without running anything. */
  advanceTo(ms: number): void {
    this.clock.advanceTo(ms);
  }
}

/** The `time` module and Date.now: the RTC reads 1970 plus uptime until set() (SNTP) sets it. */
export class FakeTime {
  readonly sets: number[] = [];
  private wallAtZero = 0;
  constructor(private readonly timer: FakeTimer) {}
  get ticks(): number {
    return this.timer.now;
  }
  set(seconds: number): void {
    this.sets.push(seconds);
    this.wallAtZero = seconds * 1000 - this.timer.now;
  }
  now = (): number => this.wallAtZero + this.timer.now;
}

/** The `sntp` module: an instance waits for the test to answer or fail it, or answers by itself after reset(clock, answers). */
export class FakeSNTP {
  static made: FakeSNTP[] = [];
  static clock: FakeTimer | undefined;
  static answers: { afterMs: number; seconds: number } | undefined;

  static reset(clock: FakeTimer, answers?: { afterMs: number; seconds: number }): void {
    FakeSNTP.made = [];
    FakeSNTP.clock = clock;
    FakeSNTP.answers = answers;
  }

  readonly hosts: string[] = [];
  readonly atMs = FakeSNTP.clock?.now ?? 0;
  answeredAtMs: number | null = null;
  closed = false;
  private readonly callback: (message: number, value?: unknown) => unknown;

  constructor(options: { host: string }, callback: (message: number, value?: unknown) => unknown) {
    this.hosts.push(options.host);
    this.callback = callback;
    FakeSNTP.made.push(this);
    const { clock, answers } = FakeSNTP;
    if (clock !== undefined && answers !== undefined) {
      clock.set(() => {
        if (!this.closed) this.answer(answers.seconds);
      }, answers.afterMs);
    }
  }

  answer(seconds: number): void {
    this.answeredAtMs = FakeSNTP.clock?.now ?? 0;
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

/**
 * `new Flash(partition)`: the `flash` module's calls over the repo's NOR emulator (writes only
 * clear bits, erase sets a 4 KB sector to 0xFF), recording each write as the module got it.
 */
export class FakeNorFlash {
  static partitions: Record<string, number> = { journal: 16 * 4096 };
  static made: FakeNorFlash[] = [];
  readonly blockSize = 4096;
  readonly chip: NorFlash;
  readonly writes: Array<{ offset: number; byteLength: number; bufferLength: number }> = [];

  constructor(partition: string) {
    const size = FakeNorFlash.partitions[partition];
    if (size === undefined) throw new Error("can't find partition");
    this.chip = new NorFlash({ sectorCount: size / this.blockSize, sectorSize: this.blockSize });
    FakeNorFlash.made.push(this);
  }

  get byteLength(): number {
    return this.chip.byteLength;
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    return this.chip.read(offset, byteLength).buffer as ArrayBuffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer): void {
    if (!(buffer instanceof ArrayBuffer)) throw new TypeError("write takes an ArrayBuffer");
    this.writes.push({ offset, byteLength, bufferLength: buffer.byteLength });
    this.chip.write(offset, new Uint8Array(buffer, 0, byteLength));
  }

  erase(sector: number): void {
    this.chip.erase(sector);
  }
}

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

/** The `instrumentation` module of an instrumented build. */
export const INSTRUMENTATION = { map: (): number => 0, get: (): number => 123_456 };

/**
 * The `file` module of the Linux simulator (modules/files/file/lin) over files in memory: opening
 * to read a missing file throws, opening to write creates it (fopen "rb+", else "wb+"); reads stop
 * at the end of the file; writes go at `position` and grow the file. `opens` counts every open.
 */
export class FakeFiles {
  readonly files = new Map<string, Uint8Array>();
  opens = 0;
  readonly File;

  constructor() {
    const files = this.files;
    const counter = this;
    this.File = class FakeFile {
      position = 0;
      private readonly path: string;
      private closed = false;

      constructor(path: string, write = false) {
        if (!files.has(path)) {
          if (!write) throw new Error("file not found");
          files.set(path, new Uint8Array(0));
        }
        counter.opens++;
        this.path = path;
      }

      get length(): number {
        return this.bytes().byteLength;
      }

      read(type: typeof ArrayBuffer, count: number): ArrayBuffer {
        if (type !== ArrayBuffer) throw new TypeError("only ArrayBuffer reads are modelled");
        const bytes = this.bytes();
        const end = Math.min(bytes.byteLength, this.position + count);
        const out = bytes.slice(this.position, Math.max(this.position, end));
        this.position += out.byteLength;
        return out.buffer;
      }

      write(data: ArrayBuffer | string): void {
        const given = typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data);
        let bytes = this.bytes();
        if (this.position + given.byteLength > bytes.byteLength) {
          const grown = new Uint8Array(this.position + given.byteLength);
          grown.set(bytes);
          bytes = grown;
        }
        bytes.set(given, this.position);
        files.set(this.path, bytes);
        this.position += given.byteLength;
      }

      close(): void {
        this.closed = true;
      }

      private bytes(): Uint8Array {
        if (this.closed) throw new Error("file closed");
        return files.get(this.path) as Uint8Array;
      }

      static exists(path: string): boolean {
        return files.has(path);
      }

      static delete(path: string): boolean {
        return files.delete(path);
      }
    };
  }
}
