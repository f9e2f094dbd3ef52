// The ports: everything the portable core needs from its host, and nothing more.
// Each host (firmware/moddable, host-sim) implements them; the core never opens hardware,
// sockets or timers itself. Every method must return or call back; none may throw
// unless its comment says so.

/** Time as the device knows it. */
export interface Clock {
  /** Milliseconds since boot; never goes backwards, never jumps. */
  monotonicMs(): number;
  /** Wall time in milliseconds since 1970; meaningful only while `wallTrusted()` is true. */
  wallMs(): number;
  /** True once the wall time has been set from a trusted source (SNTP, the host's clock); then true until reboot. */
  wallTrusted(): boolean;
}

export type TimerHandle = unknown;

/** One-shot timers. A cleared timer's callback never runs. */
export interface Timers {
  set(callback: () => void, delayMs: number): TimerHandle;
  clear(handle: TimerHandle): void;
}

export type HttpMethod = "GET" | "POST" | "PUT";

export interface HttpRequest {
  method: HttpMethod;
  /** TLS when true; plain HTTP only when the configuration says so. */
  tls: boolean;
  host: string;
  port: number;
  /** Path and query, starting with "/". */
  path: string;
  /** Name/value pairs in order. The port adds Host, Content-Length and Connection itself. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** The request body's bytes; the port may keep a view of them until the exchange ends, no longer. */
  body?: Uint8Array;
  /** The whole exchange (connect, TLS, send, receive) must end within this many milliseconds. */
  timeoutMs: number;
  /** Read at most this many body bytes; stop reading past it and say `truncated`. */
  maxResponseBytes: number;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Readonly<Record<string, string>>;
  /** The body, at most `maxResponseBytes` long. */
  body: Uint8Array;
  /** True when the body was longer than `maxResponseBytes` and reading stopped. */
  truncated: boolean;
}

/** Why no response arrived. */
export type TransportErrorKind =
  | "timeout"
  | "dns"
  | "refused"
  | "reset"
  | "tls"
  | "cancelled"
  | "other";

export type HttpResult =
  | { ok: true; response: HttpResponse }
  /**
   * `bodySent`: the request (its head and every byte of its body) was handed whole to the
   * connection before it failed, so the server may have acted on it: an ambiguous outcome.
   * False when it failed before that (no connection, TLS, DNS, cut off while sending).
   */
  | { ok: false; error: TransportErrorKind; message: string; bodySent: boolean };

export interface HttpExchange {
  /** Always resolves, never rejects: failures come back as `{ok: false}`. */
  result: Promise<HttpResult>;
  /** Abandon the exchange; `result` then resolves with error "cancelled" (saying whether the body went) if it has not already. */
  cancel(): void;
}

export interface HttpClient {
  request(request: HttpRequest): HttpExchange;
}

/**
 * NOR flash: a write can only clear bits (1 -> 0); `erase` sets a whole sector back to 0xFF.
 * Offsets are bytes from the start of the partition. read, write and erase throw a RangeError
 * outside the partition, and whatever the hardware raises when it fails.
 */
export interface Flash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  erase(sector: number): void;
}

/**
 * A sensor in the ECMA-419 Sensor Class Pattern: `sample()` returns a plain object
 * (for example `{thermometer: {temperature: 21.5}, hygrometer: {humidity: 40}}`) and throws
 * when the device cannot be read.
 */
export interface Sensor {
  readonly name: string;
  sample(): unknown;
}

export interface Network {
  /** True while the device has a route to the internet (Wi-Fi associated and an address). */
  online(): boolean;
  /**
   * Sleep mode: brings the radio up (Wi-Fi join, DHCP) because an upload is due; `online()` says
   * when it is. The agent asks only on wakes that upload, so the others never power the radio.
   * A host whose network is always up omits it.
   */
  up?(): void;
}

/**
 * Device health where the platform can tell (the agent's telemetry, `core/telemetry.ts`): a
 * method a host lacks, or undefined from one, is simply not reported. Uptime is the Clock's.
 */
export interface Health {
  /** Wi-Fi signal strength, dBm. */
  rssi?(): number | undefined;
  /** Heap free for allocation, bytes. */
  freeMemory?(): number | undefined;
  /** Boots of this device, this one included, where a persistent store counts them. */
  bootCount?(): number | undefined;
  /** Why the device last reset, as the platform names it. */
  resetReason?(): string | undefined;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, message: string): void;
}

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/**
 * Per-board settings that survive a reboot: the SDK's `preference` module (NVS) on a device, a
 * file on the host. String values under keys of at most 15 characters (NVS's limit).
 */
export interface SettingsStore {
  get(key: string): string | undefined;
  /** Stores `value`; throws a RangeError naming the key when the platform's limits refuse it. */
  set(key: string, value: string): void;
  remove(key: string): void;
  /** Every key stored. */
  keys(): string[];
}

/** Why this boot happened: the sleep timer ended a deep sleep, a reset, or power was applied. */
export type WakeReason = "timer" | "reset" | "power-on";

/**
 * Deep sleep: RAM is lost and the device boots again at wake; the RTC keeps the wall clock
 * running. Where the platform has none, the host emulates it by ending the run and starting it
 * again, and says so.
 */
export interface Sleep {
  wakeReason(): WakeReason;
  /** Sleeps `ms` milliseconds with the radio off, then boots again; it does not return on a device. */
  sleep(ms: number): void;
}

/** Everything a host hands the agent. */
export interface Ports {
  clock: Clock;
  timers: Timers;
  http: HttpClient;
  sensors: ReadonlyArray<Sensor>;
  network: Network;
  logger: Logger;
  random: Random;
  health?: Health;
  flash?: Flash;
  settings?: SettingsStore;
  sleep?: Sleep;
}
