// Fakes of the SDK modules set-up uses, behaving as their sources do where firmware/moddable/setup.ts
// depends on it: the `http` Server's callback protocol (modules/network/http/http.js: status,
// headers, headersComplete deciding how the body is read, requestComplete only when a
// Content-Length came, prepareResponse, then responseFragment with the socket's room), its socket
// refusing a write larger than its room ("can't write all data"), the `wifi` module's scan (refused
// while Wi-Fi is off, one callback per network then one with nothing) and access point, and the
// DNS server answering A queries with what its callback returns.

import type { ScanItem, ServerRequest } from "../../firmware/moddable/setup.js";

/** A socket's room per write: the Linux simulator's (modules/network/socket/lin: 1024 bytes). */
export const SIM_SOCKET_ROOM = 1024;

export interface FakeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The size of every write of the body. */
  writes: number[];
}

export class FakeHttpServer {
  static instances: FakeHttpServer[] = [];
  readonly port: number;
  closed = false;
  callback: (this: ServerRequest, message: number, value?: unknown, etc?: unknown) => unknown = () => undefined;

  constructor(options: { port: number }) {
    this.port = options.port;
    FakeHttpServer.instances.push(this);
  }

  close(): void {
    this.closed = true;
  }

  /** One request through the callback protocol, as the SDK's server runs it; the answer as a client reads it. */
  request(method: string, path: string, options: { headers?: Array<[string, string]>; body?: string; room?: number } = {}): FakeAnswer {
    if (this.closed) throw new Error("connection refused");
    const room = options.room ?? SIM_SOCKET_ROOM;
    const request: ServerRequest = {};
    const call = (message: number, value?: unknown, etc?: unknown): unknown => this.callback.call(request, message, value, etc);
    call(1);
    call(2, path, method);
    let total: number | undefined;
    for (const [name, value] of options.headers ?? []) {
      if (name.toLowerCase() === "content-length" && parseInt(value)) total = parseInt(value);
      call(3, name.toLowerCase(), value);
    }
    const kind = call(4);
    if (total !== undefined) call(6, kind === String ? (options.body ?? "").slice(0, total) : undefined);
    const response = call(8) as { status?: number; headers?: string[]; body?: string | true } | undefined;
    const headers: Record<string, string> = {};
    const flat = response?.headers ?? [];
    for (let i = 0; i < flat.length; i += 2) headers[flat[i].toLowerCase()] = flat[i + 1];
    const writes: number[] = [];
    let body = "";
    const write = (piece: string): void => {
      if (piece.length > room) throw new Error("can't write all data");
      writes.push(piece.length);
      body += piece;
    };
    if (response?.body === true) {
      const chunked = headers["content-length"] === undefined;
      for (;;) {
        const piece = call(9, room - (chunked ? 8 : 0)) as string | undefined;
        if (piece === undefined || piece.length === 0) break;
        write(piece);
      }
    } else if (typeof response?.body === "string" && response.body !== "") {
      write(response.body);
    }
    call(10);
    return { status: response?.status ?? 200, headers, body, writes };
  }
}

export class FakeDnsServer {
  static instances: FakeDnsServer[] = [];
  closed = false;
  private readonly callback: (message: number, name?: string) => string;

  constructor(callback: (message: number, name?: string) => string) {
    this.callback = callback;
    FakeDnsServer.instances.push(this);
  }

  /** The address an A query for `name` is answered with; "": no answer. */
  resolve(name: string): string {
    return this.callback(1, name);
  }

  close(): void {
    this.closed = true;
  }
}

/** The `wifi` module's scan and access point. */
export class FakeScanWiFi {
  static Mode = { none: 0, station: 1, accessPoint: 2 } as const;
  static mode = 0;
  static accessPoints: Array<{ ssid: string; station?: boolean }> = [];
  static failAccessPoint: string | undefined;
  static failScan: string | undefined;
  private static scanCallback: ((item: ScanItem | null) => void) | undefined;

  static reset(): void {
    FakeScanWiFi.mode = 0;
    FakeScanWiFi.accessPoints = [];
    FakeScanWiFi.failAccessPoint = undefined;
    FakeScanWiFi.failScan = undefined;
    FakeScanWiFi.scanCallback = undefined;
  }

  static scan(_options: object, callback: (item: ScanItem | null) => void): void {
    if (FakeScanWiFi.mode === 0) throw new Error("Wi-Fi is disabled");
    if (FakeScanWiFi.failScan !== undefined) throw new Error(FakeScanWiFi.failScan);
    if (FakeScanWiFi.scanCallback !== undefined) throw new Error("already scanning");
    FakeScanWiFi.scanCallback = callback;
  }

  /** The scan's results arrive, then its end. */
  static finishScan(items: ScanItem[]): void {
    const callback = FakeScanWiFi.scanCallback;
    if (callback === undefined) throw new Error("no scan running");
    FakeScanWiFi.scanCallback = undefined;
    for (const item of items) callback({ ...item });
    // The SDK's sources call back with no argument; its typings say null.
    (callback as (item?: ScanItem | null) => void)();
  }

  static accessPoint(options: { ssid: string; station?: boolean }): void {
    if (FakeScanWiFi.failAccessPoint !== undefined) throw new Error(FakeScanWiFi.failAccessPoint);
    if (new TextEncoder().encode(options.ssid).length > 32) throw new Error("ssid too long - 32 bytes max");
    FakeScanWiFi.accessPoints.push(options);
  }
}
