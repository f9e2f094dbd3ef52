// The Moddable ports on any engine: boot() from firmware/moddable/boot.ts with a configuration
// shaped as mcconfig gives it (every value a string), over the portable fakes of
// test/moddable/fakes.ts, driven through virtual time by the fake Timer. Portable, like scenario.ts:
// the same code runs on XS (xsnap) and on Node, and everything it returns is plain data. Jitter
// comes from a seeded random source, so the two engines can agree.

import type { Snapshot } from "../../firmware/core/agent.js";
import { boot, type BootModules } from "../../firmware/moddable/boot.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { TOKEN } from "../support/fixtures.js";
import { TURNS } from "../../tools/xs/drive.js";
import {
  ESP32_ROOM,
  FakeNet,
  FakeNorFlash,
  FakeRequest,
  FakeSecureSocket,
  FakeSNTP,
  FakeTime,
  FakeTimer,
  FakeWiFi,
  INSTRUMENTATION,
  requestClass,
  resourceClass,
  SIMULATOR_ROOM,
  textBody,
  type SeenRequest,
  type WireRequest,
} from "../moddable/fakes.js";

/** SNTP's answer: 2026-11-18T... (seconds since 1970), this long after it was asked. */
export const SNTP_SECONDS = 1_795_000_000;
export const SNTP_DELAY_MS = 3_000;
export const MAX_RESPONSE_BYTES = 256;
export const REQUEST_TIMEOUT_MS = 4_000;
/** The oversized answer's length and fragment size. */
export const BIG_BODY_BYTES = 1_000;
export const BIG_FRAGMENT = 100;

/** What an ESP32 build's mcconfig command line gives: every value a string. */
export const DEVICE_CONFIG: Readonly<Record<string, unknown>> = {
  ssid: "lab",
  password: "pw",
  sntp: "pool.ntp.org,time.google.com",
  sensors: "simulated",
  token: TOKEN,
  sampleIntervalMs: "1000",
  uploadIntervalMs: "5000",
  requestTimeoutMs: String(REQUEST_TIMEOUT_MS),
  maxResponseBytes: String(MAX_RESPONSE_BYTES),
  maxRequestsPerMinute: "30",
  backoffBaseMs: "1000",
  backoffCapMs: "8000",
  logLevel: "debug",
  // the SDK's TLS manifest (modules/crypt/tls_common.json) puts its cipher switches here
  tls: { DHE_RSA: true, ECDHE_RSA: true },
};

/** Answers to the uploads (POSTs) in order: ok, -2 before sending, 503, an oversized 200, silence, then ok from there on. */
export const PLAN_KINDS = ["ok", "error", "503", "oversized", "silent"] as const;

/** Answers to the landing checks (GETs) in order: a 503, silence, then an empty list (this server keeps nothing). */
export const CHECK_PLAN = ["503", "silent"] as const;

function envelope(records: number): string {
  return JSON.stringify({ status: true, result: `${records} Data Added` });
}

function recordCount(sent: WireRequest): number {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(sent.body)) as unknown;
    return Array.isArray(parsed) ? parsed.length : 0;
  } catch {
    return 0;
  }
}

/** The fake server: scripts each upload by its place among the uploads. */
function serve(request: FakeRequest, index: number): void {
  const earlier = FakeRequest.made.slice(0, index).filter((made) => made.options.method === request.options.method).length;
  if (request.options.method === "GET") {
    const kind = CHECK_PLAN[earlier] ?? "ok";
    if (kind === "silent") return;
    const answer = kind === "503" ? { status: 503, body: textBody("<html>503</html>") } : { status: 200, body: textBody(JSON.stringify({ status: true, result: [] })) };
    request.reply(answer);
    return;
  }
  switch (PLAN_KINDS[earlier] ?? "ok") {
    case "error":
      request.fail();
      return;
    case "503":
      request.reply({ status: 503, body: textBody(JSON.stringify({ status: false, message: "Service Unavailable" })) });
      return;
    case "oversized":
      request.reply((sent) => {
        const pad = "x".repeat(BIG_BODY_BYTES);
        const text = JSON.stringify({ status: true, result: `${recordCount(sent)} Data Added`, pad }).slice(0, BIG_BODY_BYTES);
        return { status: 200, body: textBody(text), headers: [["Content-Type", "application/json"]], fragment: BIG_FRAGMENT };
      });
      return;
    case "silent":
      return;
    default:
      request.reply((sent) => ({
        status: 200,
        body: textBody(envelope(recordCount(sent))),
        headers: [["Content-Type", "application/json; charset=utf-8"]],
      }));
  }
}

export interface ModdableRun {
  ok: boolean;
  problems: string[];
  /** What a board in set-up lacks (no usable token or Wi-Fi); null when boot did not answer set-up. */
  setup: string[] | null;
  /** "uptimeMs line", the line as trace got it (without its newline). */
  trace: string[];
  requests: SeenRequest[];
  snapshot: Snapshot | null;
  sntp: Array<{ host: string; atMs: number; answeredAtMs: number | null }>;
  timeSets: number[];
  wifi: { monitors: number; connects: number };
  flash: { writes: number; erases: number };
  /** Live timers when the run ended. */
  pendingTimers: number;
  endMs: number;
}

export interface ModdableSpec {
  config: Readonly<Record<string, unknown>>;
  durationMs: number;
  /** Room SecureSocket offers per writable event. */
  room: number;
}

/** Not a UUID: refused, and never to be traced whole. */
export const INVALID_TOKEN = "not-a-tago-token-0123456789";

export const MODDABLE_SCENARIOS: Readonly<Record<string, ModdableSpec>> = {
  "device-run": { config: DEVICE_CONFIG, durationMs: 90_000, room: ESP32_ROOM },
  /** The same device over the Linux simulator's smaller socket room: every upload goes in several pieces. */
  "simulator-room": { config: DEVICE_CONFIG, durationMs: 40_000, room: SIMULATOR_ROOM },
  "invalid-config": {
    config: {
      ssid: "lab",
      sensors: "simulated",
      token: TOKEN,
      sampleIntervalMs: "fast",
      uploadIntervalMs: "soon",
    },
    durationMs: 60_000,
    room: ESP32_ROOM,
  },
  /** A token that is not one: boot answers set-up (the access point's cue) and starts nothing. */
  setup: {
    config: { ssid: "lab", sensors: "simulated", token: INVALID_TOKEN, sampleIntervalMs: "fast" },
    durationMs: 60_000,
    room: ESP32_ROOM,
  },
};

export async function runModdableScenario(spec: ModdableSpec): Promise<ModdableRun> {
  const timer = new FakeTimer();
  const time = new FakeTime(timer);
  const trace: string[] = [];
  const net = new FakeNet();
  net.ip = "10.0.0.2"; // the boot-time connection (setup/network) already gave an address
  FakeWiFi.reset(timer);
  FakeSNTP.reset(timer, { afterMs: SNTP_DELAY_MS, seconds: SNTP_SECONDS });
  FakeNorFlash.made = [];
  const modules: BootModules = {
    config: Object.freeze({ ...spec.config }),
    trace: (text) => trace.push(`${timer.now} ${text.endsWith("\n") ? text.slice(0, -1) : text}`),
    Timer: timer,
    Time: time,
    now: time.now,
    Request: requestClass(timer, { room: spec.room, serve }),
    SecureSocket: FakeSecureSocket,
    Resource: resourceClass([]),
    Net: net,
    WiFi: FakeWiFi,
    SNTP: FakeSNTP,
    Instrumentation: INSTRUMENTATION,
    hardware: { sensors: {}, Flash: FakeNorFlash },
    random: new SeededRandom(7),
  };

  const result = boot(modules);
  while (timer.runNext(spec.durationMs)) {
    for (let i = 0; i < TURNS; i++) await undefined;
  }
  timer.advanceTo(spec.durationMs);
  return {
    ok: result.ok,
    problems: result.ok ? [] : result.problems,
    setup: "setup" in result ? result.missing : null,
    trace,
    requests: FakeRequest.made.map((request) => request.seen()),
    snapshot: result.ok ? result.agent.snapshot() : null,
    sntp: FakeSNTP.made.map((s) => ({ host: s.hosts[0], atMs: s.atMs, answeredAtMs: s.answeredAtMs })),
    timeSets: time.sets,
    wifi: { monitors: FakeWiFi.monitors.length, connects: FakeWiFi.connects.length },
    flash: {
      writes: FakeNorFlash.made.reduce((n, f) => n + f.writes.length, 0),
      erases: FakeNorFlash.made.reduce((n, f) => n + f.chip.erases, 0),
    },
    pendingTimers: timer.pending,
    endMs: timer.now,
  };
}
