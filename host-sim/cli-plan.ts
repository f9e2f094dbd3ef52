// From command-line options to a run plan: where the device posts (a local endpoint, TagoIO, or any
// endpoint), the raw agent configuration, the trust anchor, the clock, the flash and the output. Every problem
// is collected, the configuration's own (validateConfig) and the simulated board's (each variable's
// sensor and field) included, so one error lists them all before anything starts.
// No problem message ever contains the token.

import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_KEYS, validateConfig } from "../firmware/core/config.js";
import { journalProblems, MIN_SECTOR_BYTES, MIN_SECTORS } from "../firmware/core/journal.js";
import { STATE_SECTORS } from "../firmware/core/sleep-settings.js";
import type { LogLevel } from "../firmware/ports.js";
import { LOG_LEVELS } from "./ports/console-logger.js";
import { boardProblems, withDefaultVariables, type DeviceTime } from "./device/device.js";
import { parseDuration } from "./duration.js";
import { flashFileGeometry, type FlashGeometry } from "./ports/flash-file.js";
import type { NodeHttpOptions } from "./ports/node-http.js";
import { errorMessage } from "../firmware/core/text.js";

export const DEFAULT_DATA_DIR = ".tago-local";
/** The flash file of a local real-time run, in its data dir. */
export const DEFAULT_FLASH_FILE = "flash.bin";
/** The board's stored settings in a local real-time run's data dir. */
export const DEFAULT_SETTINGS_FILE = "settings.json";
export const DEFAULT_FLASH_BYTES = 256 * 1024;
export const DEFAULT_SECTOR_BYTES = 4096;
const MAX_FLASH_BYTES = 64 * 1024 * 1024;
export const TOKEN_ENV = "TAGOIO_DEVICE_TOKEN";
const TRUST_HINT = "give --ca <file> (the server's root CA, PEM)";
/** Stands in for the token a local run generates, so the rest of the configuration can be checked first. */
const LOCAL_TOKEN_STAND_IN = "00000000-0000-4000-8000-000000000000";
/** Keys the target options decide; --set may not override them. */
const TARGET_KEYS = ["token", "region", "host", "port", "https"];
export const SETTABLE_KEYS = CONFIG_KEYS.filter((k) => !TARGET_KEYS.includes(k));

/** The options as commander hands them over. */
export interface CliOptions {
  token?: string;
  host?: string;
  region?: string;
  endpoint?: string;
  ca?: string;
  insecurePlainHttp?: boolean;
  dataDir?: string;
  port?: string;
  printData?: boolean;
  virtual?: boolean;
  duration?: string;
  start?: string;
  syncAfter?: string;
  sampleInterval?: string;
  uploadInterval?: string;
  mode?: string;
  /** Write the run's phase counts (PhaseCounts, for the energy model) to this file as JSON. */
  phases?: string;
  buffer?: string;
  /** A file, false for --no-flash, undefined for the default. */
  flash?: string | false;
  /** Both --flash and --no-flash were given (the last one given sets `flash`). */
  flashAndNoFlash?: boolean;
  flashSize?: string;
  flashSector?: string;
  set?: string[];
  /** The board's stored settings file; undefined for the default. */
  settings?: string;
  seed: string;
  sensorFailureRate?: string;
  statusEvery: string;
  logLevel: string;
}

export type Target =
  | { kind: "local"; dataDir: string; port: number }
  | { kind: "tagoio" }
  | { kind: "endpoint"; url: string };

/**
 * The flash the journal lives on: none (RAM ring only), in memory (gone at exit), or a file kept
 * write-through (an existing file keeps its own geometry).
 */
export type FlashPlan =
  | { kind: "none" }
  | ({ kind: "memory" } & FlashGeometry)
  | ({ kind: "file"; path: string; exists: boolean } & FlashGeometry);

export interface Plan {
  target: Target;
  /** Raw agent configuration; for a local target the endpoint adds token, host, port and https. */
  config: Record<string, unknown>;
  tls: Pick<NodeHttpOptions, "ca" | "caName" | "trustHint">;
  time: DeviceTime;
  flash: FlashPlan;
  /** The file of the board's stored settings (TagoIO parameters write it); none: parameters are not taken. */
  settingsFile: string | undefined;
  durationMs: number | undefined;
  seed: number;
  sensorFailureRate: number | undefined;
  statusEveryMs: number;
  logLevel: LogLevel;
  printData: boolean;
  phasesFile: string | undefined;
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; problems: string[] };

/** Problems found so far; every step adds to it and goes on, so one error lists them all. */
type Problems = string[];

function wholeNumber(text: string, min: number, max: number): number | undefined {
  const n = Number(text);
  return /^\d+$/.test(text.trim()) && n >= min && n <= max ? n : undefined;
}

function durationOf(flag: string, text: string | undefined, problems: Problems): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) problems.push(`${flag}: ${JSON.stringify(text)} is not a duration (e.g. 24h, 90m, 3600s, 500ms)`);
  return ms;
}

/** Where to post; puts host, port, https and region into `config`. */
function targetOf(o: CliOptions, token: string | undefined, config: Record<string, unknown>, problems: Problems): Target {
  let target: Target;
  if (o.endpoint !== undefined) {
    target = { kind: "endpoint", url: o.endpoint };
    if (o.host !== undefined || o.region !== undefined) problems.push("--endpoint: give either --endpoint or --host/--region, not both");
    let url: URL | undefined;
    try {
      url = new URL(o.endpoint);
    } catch {
      problems.push("--endpoint: not a URL (e.g. https://127.0.0.1:8443)");
    }
    if (url !== undefined) {
      if (url.protocol !== "https:" && url.protocol !== "http:") problems.push(`--endpoint: scheme ${url.protocol} is not https: or http:`);
      else if (url.protocol === "http:" && o.insecurePlainHttp !== true) {
        problems.push("--endpoint: http:// sends the token and readings unencrypted; add --insecure-plain-http to allow it");
      }
      if (url.pathname !== "/" || url.search !== "" || url.username !== "") {
        problems.push("--endpoint: give scheme, host and port only (the agent posts to /data itself)");
      }
      config.host = url.hostname;
      config.port = url.port === "" ? (url.protocol === "http:" ? 80 : 443) : Number(url.port);
      config.https = url.protocol !== "http:";
    }
  } else if (token !== undefined) {
    target = { kind: "tagoio" };
    if (o.host !== undefined) config.host = o.host;
    if (o.region !== undefined) config.region = o.region;
  } else {
    const port = o.port === undefined ? 0 : wholeNumber(o.port, 0, 65_535);
    if (port === undefined) problems.push(`--port: ${JSON.stringify(o.port)} is not a port number (0 to 65535)`);
    target = { kind: "local", dataDir: o.dataDir ?? DEFAULT_DATA_DIR, port: port ?? 0 };
    if (existsSync(target.dataDir) && !statSync(target.dataDir).isDirectory()) problems.push(`--data-dir: ${target.dataDir} is a file, not a folder`);
    if (o.host !== undefined || o.region !== undefined) problems.push(`--host/--region: post to TagoIO with --token (or ${TOKEN_ENV}) too`);
  }
  if (target.kind !== "local") {
    for (const [flag, given] of [["--data-dir", o.dataDir], ["--port", o.port], ["--print-data", o.printData]] as const) {
      if (given !== undefined) problems.push(`${flag}: only for the local endpoint (started when no --token is given)`);
    }
  }
  if (o.insecurePlainHttp === true && !(target.kind === "endpoint" && config.https === false)) {
    problems.push("--insecure-plain-http: only with an http:// --endpoint");
  }
  return target;
}

function trustOf(o: CliOptions, target: Target, problems: Problems): Plan["tls"] {
  if (o.ca === undefined) return { trustHint: TRUST_HINT };
  if (target.kind === "local") problems.push("--ca: the local endpoint brings its own CA");
  let pem = "";
  try {
    pem = readFileSync(o.ca, "utf8");
  } catch (e) {
    problems.push(`--ca: cannot read ${o.ca} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (pem !== "" && !pem.includes("-----BEGIN CERTIFICATE-----")) problems.push(`--ca: ${o.ca} holds no PEM certificate`);
  return { ca: pem, caName: o.ca, trustHint: TRUST_HINT };
}

function timeOf(o: CliOptions, target: Target, problems: Problems): DeviceTime {
  if (o.virtual !== true) {
    if (o.start !== undefined || o.syncAfter !== undefined) problems.push("--start/--sync-after: only with --virtual");
    return { mode: "real" };
  }
  if (o.duration === undefined) problems.push("--virtual: needs --duration (how much device time to run)");
  if (target.kind === "tagoio") {
    problems.push("--virtual: would post hours of readings to TagoIO in seconds (billed, rate limited); use the local endpoint or --endpoint");
  }
  const startWallMs = o.start === undefined ? Date.now() : Date.parse(o.start);
  if (Number.isNaN(startWallMs)) problems.push(`--start: ${JSON.stringify(o.start)} is not a date (ISO 8601, e.g. 2026-01-01T00:00:00Z)`);
  return { mode: "virtual", startWallMs, syncAfterMs: durationOf("--sync-after", o.syncAfter, problems) };
}

/** Bytes as people type them: 262144, 256k, 256KB, 1m (k and m are 1024 and 1024²). */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (m === null) return undefined;
  const unit = (m[2] ?? "b").toLowerCase()[0];
  return Number(m[1]) * (unit === "k" ? 1024 : unit === "m" ? 1024 * 1024 : 1);
}

function bytesOf(flag: string, text: string | undefined, fallback: number, problems: Problems): number {
  if (text === undefined) return fallback;
  const n = parseBytes(text);
  if (n === undefined) problems.push(`${flag}: ${JSON.stringify(text)} is not a size in bytes (e.g. 262144, 256k, 1m)`);
  return n ?? fallback;
}

function kb(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}k` : `${bytes}`;
}

/**
 * Where the journal lives: --flash <file>, else the data dir's flash.bin for a local run in real
 * time (what a restart recovers), else in memory; --no-flash or journal=false: nowhere.
 */
function flashOf(o: CliOptions, target: Target, time: DeviceTime, journal: boolean, problems: Problems): FlashPlan {
  const sizeGiven = o.flashSize !== undefined || o.flashSector !== undefined;
  if (o.flashAndNoFlash === true) problems.push("--flash/--no-flash: give one of them");
  if (o.flash === false || !journal) {
    if (typeof o.flash === "string") problems.push("--flash: the journal is off (journal=false)");
    if (sizeGiven) problems.push(`--flash-size/--flash-sector: no flash with ${o.flash === false ? "--no-flash" : "journal=false"}`);
    return { kind: "none" };
  }
  const path = typeof o.flash === "string" ? o.flash : target.kind === "local" && time.mode === "real" ? join(target.dataDir, DEFAULT_FLASH_FILE) : undefined;
  let existing: FlashGeometry | undefined;
  try {
    existing = path === undefined ? undefined : flashFileGeometry(path);
  } catch (e) {
    problems.push(`--flash: ${errorMessage(e)}; give another file (or delete this one: its journal is lost)`);
  }
  if (existing !== undefined) {
    const bytes = existing.sectorSize * existing.sectorCount;
    const sector = bytesOf("--flash-sector", o.flashSector, existing.sectorSize, problems);
    const size = bytesOf("--flash-size", o.flashSize, bytes, problems);
    if (sector !== existing.sectorSize || size !== bytes) {
      problems.push(
        `--flash-size/--flash-sector: ${path} already holds a flash of ${kb(bytes)} in ${existing.sectorSize}-byte sectors; ` +
          "leave them out to use it, or give another --flash file",
      );
    }
    return { kind: "file", path: path as string, exists: true, ...existing };
  }
  const sectorSize = bytesOf("--flash-sector", o.flashSector, DEFAULT_SECTOR_BYTES, problems);
  const size = bytesOf("--flash-size", o.flashSize, DEFAULT_FLASH_BYTES, problems);
  if (sectorSize < MIN_SECTOR_BYTES) problems.push(`--flash-sector: at least ${MIN_SECTOR_BYTES} bytes`);
  else if (size % sectorSize !== 0) problems.push(`--flash-size: ${size} bytes is not a whole number of ${sectorSize}-byte sectors`);
  else if (size / sectorSize < MIN_SECTORS) problems.push(`--flash-size: at least ${MIN_SECTORS} sectors (${MIN_SECTORS * sectorSize} bytes)`);
  else if (size > MAX_FLASH_BYTES) problems.push(`--flash-size: at most ${kb(MAX_FLASH_BYTES)}`);
  const geometry = { sectorSize, sectorCount: Math.max(1, Math.floor(size / sectorSize)) };
  return path === undefined ? { kind: "memory", ...geometry } : { kind: "file", path, exists: false, ...geometry };
}

/** The agent's settings into `config`: the handy flags, then --set key=value. */
function settingsOf(o: CliOptions, config: Record<string, unknown>, problems: Problems): void {
  const handy: Record<string, number | string | undefined> = {
    sampleIntervalMs: durationOf("--sample-interval", o.sampleInterval, problems),
    uploadIntervalMs: durationOf("--upload-interval", o.uploadInterval, problems),
    bufferCapacity: o.buffer,
    mode: o.mode,
  };
  for (const [key, value] of Object.entries(handy)) if (value !== undefined) config[key] = value;
  for (const entry of o.set ?? []) {
    const eq = entry.indexOf("=");
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (eq < 0) problems.push(`--set ${key}: give key=value`);
    else if (TARGET_KEYS.includes(key)) problems.push(`--set ${key}: set it with --token, --host, --region or --endpoint`);
    else if (!CONFIG_KEYS.includes(key)) problems.push(`--set ${key}: unknown setting (one of ${SETTABLE_KEYS.join(", ")})`);
    else if (key in config) problems.push(`--set ${key}: given twice`);
    else config[key] = entry.slice(eq + 1);
  }
}

export function makePlan(o: CliOptions, env: Readonly<Record<string, string | undefined>>): PlanResult {
  const problems: Problems = [];
  const config: Record<string, unknown> = {};
  const token = o.token ?? env[TOKEN_ENV];
  const target = targetOf(o, token, config, problems);
  const tls = trustOf(o, target, problems);
  const durationMs = durationOf("--duration", o.duration, problems);
  const time = timeOf(o, target, problems);
  settingsOf(o, config, problems);
  const checked = validateConfig(withDefaultVariables({ ...config, token: target.kind === "local" ? LOCAL_TOKEN_STAND_IN : token }));
  problems.push(...(checked.ok ? boardProblems(checked.config.variables) : checked.problems));
  const known = problems.length;
  const flash = flashOf(o, target, time, !checked.ok || checked.config.journal, problems);
  // The journal's own check, once the flash's shape is settled (else it would repeat a problem said).
  const sleeping = checked.ok && checked.config.mode === "sleep";
  if (sleeping && flash.kind === "none") problems.push("--no-flash: sleep mode keeps its readings and state on flash");
  if (sleeping && flash.kind !== "none" && flash.sectorCount < MIN_SECTORS + STATE_SECTORS) {
    problems.push(`--flash-size: sleep mode needs at least ${MIN_SECTORS + STATE_SECTORS} sectors (the journal, and ${STATE_SECTORS} for its state)`);
  }
  if (checked.ok && flash.kind !== "none" && problems.length === known) {
    // Sleep mode keeps its state in the partition's last sectors; the journal has the rest.
    const sectorCount = flash.sectorCount - (sleeping ? STATE_SECTORS : 0);
    problems.push(...journalProblems({ sectorCount, sectorSize: flash.sectorSize }, checked.config.maxStringLength, checked.config.variables));
  }
  if (o.phases !== undefined && time.mode !== "virtual") problems.push("--phases: the phase counts come from a virtual run (--virtual)");

  const seed = wholeNumber(o.seed, 0, 2 ** 32 - 1);
  if (seed === undefined) problems.push(`--seed: ${JSON.stringify(o.seed)} is not a whole number`);
  const sensorFailureRate = o.sensorFailureRate === undefined ? undefined : Number(o.sensorFailureRate);
  if (sensorFailureRate !== undefined && !(sensorFailureRate >= 0 && sensorFailureRate <= 1)) {
    problems.push("--sensor-failure-rate: a probability from 0 to 1");
  }
  const statusEveryMs = durationOf("--status-every", o.statusEvery, problems) ?? 0;
  if (statusEveryMs < 100) problems.push("--status-every: at least 100ms");
  if (!(LOG_LEVELS as string[]).includes(o.logLevel)) problems.push(`--log-level: one of ${LOG_LEVELS.join(", ")}`);

  if (problems.length > 0) return { ok: false, problems };
  if (target.kind !== "local") config.token = token;
  return {
    ok: true,
    plan: {
      target,
      config,
      tls,
      time,
      flash,
      settingsFile: o.settings ?? (target.kind === "local" && time.mode === "real" ? join(target.dataDir, DEFAULT_SETTINGS_FILE) : undefined),
      durationMs,
      seed: seed ?? 1,
      sensorFailureRate,
      statusEveryMs,
      logLevel: o.logLevel as LogLevel,
      printData: o.printData === true,
      phasesFile: o.phases,
    },
  };
}
