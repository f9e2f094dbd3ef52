// The Moddable ports on any engine: boot() from firmware/moddable/boot.ts with a configuration
// shaped as mcconfig gives it (every value a string), over the portable fakes of
// moddable-fakes.ts, driven through virtual time by the fake Timer. Portable, like scenario.ts:
// the same code runs on XS (xsnap) and on Node, and everything it returns is plain data. Jitter
// comes from a seeded random source, so the two engines can agree.

import type { Snapshot } from "../../firmware/core/agent.js";
import { boot, type BootModules } from "../../firmware/moddable/boot.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { TOKEN } from "../support/fixtures.js";
import { TURNS } from "./drive.js";
import {
  FakeSecureSocket,
  INSTRUMENTATION,
  makeFlashClass,
  makeRequestClass,
  makeSntpClass,
  makeWiFiClass,
  NET,
  NoResource,
  VirtualTimer,
  VirtualTime,
  type Plan,
  type SeenRequest,
} from "./moddable-fakes.js";

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

/** Answers by request index: ok, -2, 503, an oversized 200, silence, then ok from there on. */
export const PLAN_KINDS = ["ok", "error", "503", "oversized", "silent"] as const;

function envelope(records: number): string {
  return JSON.stringify({ status: true, result: `${records} Data Added` });
}

function recordCount(body: string): number {
  try {
    const parsed = JSON.parse(body) as unknown;
    return Array.isArray(parsed) ? parsed.length : 0;
  } catch {
    return 0;
  }
}

function planFor(index: number, body: string): Plan {
  const count = recordCount(body);
  switch (index) {
    case 1:
      return { kind: "error" };
    case 2:
      return { kind: "reply", status: 503, body: JSON.stringify({ status: false, message: "Service Unavailable" }) };
    case 3: {
      const pad = "x".repeat(BIG_BODY_BYTES);
      const text = JSON.stringify({ status: true, result: `${count} Data Added`, pad }).slice(0, BIG_BODY_BYTES);
      return { kind: "reply", status: 200, body: text, headers: [["Content-Type", "application/json"]], fragment: BIG_FRAGMENT };
    }
    case 4:
      return { kind: "silent" };
    default:
      return { kind: "reply", status: 200, body: envelope(count), headers: [["Content-Type", "application/json; charset=utf-8"]] };
  }
}

export interface ModdableRun {
  ok: boolean;
  problems: string[];
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
}

/** Not a UUID: refused, and never to be traced whole. */
export const INVALID_TOKEN = "not-a-tago-token-0123456789";

export const MODDABLE_SCENARIOS: Readonly<Record<string, ModdableSpec>> = {
  "device-run": { config: DEVICE_CONFIG, durationMs: 90_000 },
  "invalid-config": {
    config: {
      ssid: "lab",
      sensors: "simulated",
      token: INVALID_TOKEN,
      sampleIntervalMs: "fast",
      uploadIntervalMs: "5000",
    },
    durationMs: 60_000,
  },
};

export async function runModdableScenario(spec: ModdableSpec): Promise<ModdableRun> {
  const timer = new VirtualTimer();
  const time = new VirtualTime(timer);
  const trace: string[] = [];
  const requests: SeenRequest[] = [];
  const sntp: ModdableRun["sntp"] = [];
  const wifi = { monitors: 0, connects: 0 };
  const flashOps = { writes: 0, erases: 0 };
  const modules: BootModules = {
    config: Object.freeze({ ...spec.config }),
    trace: (text) => trace.push(`${timer.now} ${text.endsWith("\n") ? text.slice(0, -1) : text}`),
    Timer: { set: timer.set, clear: timer.clear },
    Time: time,
    now: time.now,
    Request: makeRequestClass(timer, requests, planFor),
    SecureSocket: FakeSecureSocket,
    Resource: NoResource,
    Net: NET,
    WiFi: makeWiFiClass(wifi),
    SNTP: makeSntpClass(timer, sntp, SNTP_DELAY_MS, SNTP_SECONDS),
    Instrumentation: INSTRUMENTATION,
    hardware: { sensors: {}, Flash: makeFlashClass(flashOps) },
    random: new SeededRandom(7),
  };

  const result = boot(modules);
  while (timer.runNext(spec.durationMs)) {
    for (let i = 0; i < TURNS; i++) await undefined;
  }
  timer.now = Math.max(timer.now, spec.durationMs);
  return {
    ok: result.ok,
    problems: result.ok ? [] : result.problems,
    trace,
    requests,
    snapshot: result.ok ? result.agent.snapshot() : null,
    sntp,
    timeSets: time.sets,
    wifi,
    flash: flashOps,
    pendingTimers: timer.pending,
    endMs: timer.now,
  };
}
