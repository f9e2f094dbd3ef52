// The conformance scenarios, as data plus scripted servers. Portable: bundled into the XS worker
// and run by Node from the same bundle. The constants the checks need are exported with them.

import type { HttpRequest, Sensor } from "../../firmware/ports.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { ACK, bodyText, reply, type Answer } from "../../firmware/fakes/scripted-http.js";
import { queryStored, type StoredReading } from "../../firmware/fakes/fake-tago.js";
import type { ScenarioSpec } from "./scenario.js";
import { ScriptedSensor } from "../../firmware/fakes/scripted-sensor.js";

export const TOKEN = "6a2c1f0e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
/** 2025-06-01T00:00:00.000Z */
export const WALL_START_MS = 1_748_736_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Sensor readings only: the telemetry scenario turns it on. */
const BASE = { token: TOKEN, sampleIntervalMs: 10_000, variables: BOARD_VARIABLES, telemetryIntervalMs: 0 };

/** A 200 with the TagoIO envelope, counting the records it acknowledges (and proving the body is JSON). */
function acknowledge(request: HttpRequest): Answer {
  return ACK((JSON.parse(bodyText(request)) as unknown[]).length);
}

const REFUSED: Answer = { ok: false, error: "refused", message: "connect ECONNREFUSED", bodySent: false };

/**
 * A scripted TagoIO that stores what it acknowledges and answers a landing check's GET from what it
 * stored; `lose` says which uploads (by request index) it stores and then loses the answer of,
 * `half` which of those it stored only the first half of before the connection died.
 */
export function storingServer(lose: (index: number) => boolean = () => false, half: (index: number) => boolean = () => false): (request: HttpRequest, index?: number) => Answer {
  const stored: StoredReading[] = [];
  return (request, index = -1) => {
    if (request.method === "GET") return reply(200, { status: true, result: queryStored(stored, request.path) });
    const records = JSON.parse(bodyText(request)) as StoredReading[];
    if (!lose(index)) {
      stored.push(...records);
      return ACK(records.length);
    }
    stored.push(...(half(index) ? records.slice(0, Math.ceil(records.length / 2)) : records));
    return LOST;
  };
}

const LOST: Answer = { ok: false, error: "reset", message: "connection reset after the server stored the data", bodySent: true };

/**
 * lost-acks: every fifth request, when an upload, is stored and its answer lost (request `half`
 * only half stored); the first check gets no answer either.
 */
export const LOST_ACKS = { every: 5, failedCheck: 5, half: 14 };

export const OUTAGE = { fromMs: 1 * HOUR, toMs: 4 * HOUR };
/** The telemetry scenario's report interval (the default). */
export const TELEMETRY_MS = 15 * MINUTE;
export const RING_OUTAGE = { fromMs: 2 * MINUTE, toMs: 62 * MINUTE };
export const RING_CAPACITY = 64;

/** 429s: the first names its wait in the TagoIO message, the second in a header only. */
export const RATE_LIMITS: ReadonlyArray<{ index: number; waitMs: number }> = [
  { index: 3, waitMs: 42_000 },
  { index: 6, waitMs: 17_000 },
];

/** The reading the server refuses (400) in any batch that carries it. */
export const REFUSED_READING = { variable: "pressure", time: new Date(WALL_START_MS + 5 * MINUTE).toISOString() };

/**
 * A device deactivated for its first half hour (TagoCore's 400), then immutable with a window
 * opening at the midnight it boots 20 minutes before: its readings before midnight cannot be stored.
 */
export const DEVICE_400 = {
  wallStartMs: Date.UTC(2025, 5, 1, 23, 40),
  deactivatedUntilMs: 30 * MINUTE,
  windowOpensMs: Date.UTC(2025, 5, 2),
  window: "Time must be between 2025-06-02 and 2025-06-03",
};

/** SNTP answers 7.5 minutes after boot; until then the RTC reads 1970 and is not trusted. */
export const SYNC = { atMs: 450_000, wallMs: WALL_START_MS + 12 * HOUR };

/** String readings no simulated chip produces; the 257-emoji one exceeds maxStringLength (256). */
export const STRINGS: readonly string[] = [
  "Café crème brûlée",
  "naïve “smart quotes” and ‘single’ — dash…",
  "emoji 😀🌡️🔥 and a flag 🇧🇷",
  'JSON specials: "double" \\ back\\slash / slash',
  "controls: \u0000 \u0001 \u0007 \b \t \n \f \r \u001b \u001f \u007f end",
  "日本語のテキスト, 中文, 한국어",
  "separators \u2028 \u2029 BOM \ufeff NBSP \u00a0",
  "😀".repeat(256),
  "😀".repeat(257),
  "",
];
export const MAX_STRING_LENGTH = 256;

function panel(): Sensor {
  return new ScriptedSensor(
    "panel",
    STRINGS.map((text, i) => ({ text, open: i % 3 === 0 })),
  );
}

/**
 * Reporting filters on the simulated board, whose chips are noisier than any delta here: a
 * minute's mean or median, rounded, then a delta with a heartbeat; and a 5-minute mean.
 */
export const REPORTING = {
  temperature: { window: { samples: 6, aggregate: "mean" }, decimals: 1, delta: 0.1, heartbeatMs: 10 * MINUTE },
  humidity: { window: { samples: 6, aggregate: "median" }, decimals: 0, delta: 1, heartbeatMs: 10 * MINUTE },
  pressure: { decimals: 0, window: { ms: 5 * MINUTE, aggregate: "mean" } },
};

export const SCENARIOS: Readonly<Record<string, ScenarioSpec>> = {
  "normal-day": {
    config: BASE,
    durationMs: 24 * HOUR,
    wallStartMs: WALL_START_MS,
    answer: (request) => acknowledge(request),
  },
  "reporting-filters": {
    config: { ...BASE, variables: BOARD_VARIABLES.map((v) => ({ ...v, ...REPORTING[v.name as keyof typeof REPORTING] })) },
    durationMs: 24 * HOUR,
    wallStartMs: WALL_START_MS,
    answer: (request) => acknowledge(request),
  },
  "outage-backoff": {
    config: { ...BASE, bufferCapacity: 4096 },
    durationMs: 8 * HOUR,
    wallStartMs: WALL_START_MS,
    answer: (request, _index, nowMs) =>
      nowMs >= OUTAGE.fromMs && nowMs < OUTAGE.toMs ? REFUSED : acknowledge(request),
  },
  "telemetry-outage": {
    config: { ...BASE, bufferCapacity: 4096, telemetryIntervalMs: TELEMETRY_MS },
    durationMs: 8 * HOUR,
    wallStartMs: WALL_START_MS,
    answer: (request, _index, nowMs) =>
      nowMs >= OUTAGE.fromMs && nowMs < OUTAGE.toMs ? REFUSED : acknowledge(request),
  },
  "rate-limited": {
    config: BASE,
    durationMs: 30 * MINUTE,
    wallStartMs: WALL_START_MS,
    answer: (request, index) => {
      if (index === RATE_LIMITS[0].index) {
        return reply(429, { status: false, message: `Too many requests (Retry-After: ${RATE_LIMITS[0].waitMs / 1000})` });
      }
      if (index === RATE_LIMITS[1].index) {
        return reply(429, "<html><body>Too Many Requests</body></html>", { "retry-after": String(RATE_LIMITS[1].waitMs / 1000) });
      }
      return acknowledge(request);
    },
  },
  "bisect-400": {
    config: BASE,
    durationMs: 30 * MINUTE,
    wallStartMs: WALL_START_MS,
    answer: (request) => {
      const records = JSON.parse(bodyText(request)) as Array<{ variable: string; time?: string }>;
      const refused = records.some((r) => r.variable === REFUSED_READING.variable && r.time === REFUSED_READING.time);
      return refused ? reply(400, { status: false, message: "Invalid data: pressure out of range" }) : acknowledge(request);
    },
  },
  "device-400": {
    config: BASE,
    durationMs: 60 * MINUTE,
    wallStartMs: DEVICE_400.wallStartMs,
    answer: (request, _index, nowMs) => {
      if (nowMs < DEVICE_400.deactivatedUntilMs) return reply(400, { status: false, message: "Device is deactivated" });
      const records = JSON.parse(bodyText(request)) as Array<{ time: string }>;
      const outside = records.some((r) => Date.parse(r.time) < DEVICE_400.windowOpensMs);
      return outside ? reply(400, { status: false, message: DEVICE_400.window }) : acknowledge(request);
    },
  },
  "full-ring-drop-oldest": fullRing("drop-oldest"),
  "full-ring-drop-newest": fullRing("drop-newest"),
  "non-ascii-strings": {
    config: {
      ...BASE,
      maxStringLength: MAX_STRING_LENGTH,
      variables: [
        { name: "label", sensor: "panel", field: "text" },
        { name: "door_open", sensor: "panel", field: "open" },
        BOARD_VARIABLES[0],
      ],
    },
    durationMs: 20 * MINUTE,
    wallStartMs: WALL_START_MS,
    sensors: (clock) => [panel(), ...simulatedSensors({ clock, seed: 42 })],
    answer: (request) => acknowledge(request),
  },
  "lost-acks": {
    config: BASE,
    durationMs: 2 * HOUR,
    wallStartMs: WALL_START_MS,
    answer: (() => {
      const server = storingServer(
        (index) => index % LOST_ACKS.every === LOST_ACKS.every - 1,
        (index) => index === LOST_ACKS.half,
      );
      return (request: HttpRequest, index: number) => (index === LOST_ACKS.failedCheck ? LOST : server(request, index));
    })(),
  },
  "presync-rebase": {
    config: BASE,
    durationMs: 30 * MINUTE,
    wallStartMs: 0,
    sync: SYNC,
    answer: (request) => acknowledge(request),
  },
};

function fullRing(whenFull: "drop-oldest" | "drop-newest"): ScenarioSpec {
  return {
    config: { ...BASE, bufferCapacity: RING_CAPACITY, whenFull },
    durationMs: 90 * MINUTE,
    wallStartMs: WALL_START_MS,
    answer: (request, _index, nowMs) =>
      nowMs >= RING_OUTAGE.fromMs && nowMs < RING_OUTAGE.toMs ? REFUSED : acknowledge(request),
  };
}
