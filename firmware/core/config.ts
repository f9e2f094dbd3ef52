// The agent's configuration: every field, every default, and the one validation that both hosts
// use. Input may come as strings (mcconfig command lines, CLI flags, environment): numbers and
// booleans are parsed here. `validateConfig` reports every problem at once, each naming its
// field; no message ever contains the token.

import { reportingProblems } from "./reporting.js";
import { applySleep, SLEEP_DEFAULTS, type SleepSettings } from "./sleep-settings.js";
import { applyTelemetry, TELEMETRY_DEFAULTS, type TelemetrySettings } from "./telemetry.js";
import { describe, isRecord } from "./text.js";
import { validateVariables, type VariableConfig } from "./variable-config.js";

export type WhenFull = "drop-oldest" | "drop-newest";

export interface AgentConfig extends TelemetrySettings, SleepSettings {
  /** Device-Token: a 36-character UUID. */
  token: string;
  host: string;
  port: number;
  /**
   * HTTPS when true. Plain HTTP only when set false explicitly, with a warning on every request.
   * Not called `tls`: the Moddable SDK keeps its cipher-suite switches under `config.tls`.
   */
  https: boolean;
  /** Certificate verification; turning it off must be explicit. */
  verifyTls: boolean;
  sampleIntervalMs: number;
  uploadIntervalMs: number;
  /** Records the RAM ring holds (16 bytes each). */
  bufferCapacity: number;
  whenFull: WhenFull;
  /** Upper bound on one request body; TagoIO refuses more than 200 kB. */
  maxBatchBytes: number;
  maxBatchRecords: number;
  /** Longest string value accepted, in characters; longer readings are dropped and counted. */
  maxStringLength: number;
  /** Total characters of string values the buffer may hold at once. */
  stringBudget: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  /** Most answer bytes a landing check's page takes (and never more than maxBatchBytes): a page is held as bytes, text and records at once. */
  maxCheckPageBytes: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Extra random wait added to every rate-limit wait, so a fleet does not return in step. */
  rateLimitJitterMs: number;
  /** Longest wait a server may ask for in Retry-After; longer requests are cut to this. */
  maxRetryAfterMs: number;
  /** How often to try again while the token is refused (401/403). */
  authRetryMs: number;
  /** How often to try again while the server refuses the device itself (a 400 such as "Device is deactivated"). */
  refusedRetryMs: number;
  /** After an ambiguous outcome, how long a failing landing check is retried before the batch is resent unchecked. */
  checkDeadlineMs: number;
  /** This device's own ceiling on requests per minute (TagoIO's limits are shared by a fleet). */
  maxRequestsPerMinute: number;
  /** Upload readings that carry no time (clock never synced) rather than hold them. */
  uploadWithoutTime: boolean;
  /** Journal readings to flash when the host has a partition: they survive reboots and long outages; `whenFull` then applies to it. */
  journal: boolean;
  /** How often TagoIO's device parameters are read (`remote-params.ts`), with a settings store; 0: never. */
  paramsIntervalMs: number;
  variables: VariableConfig[];
}

/** Every setting but the token and the variables: what has a default. */
type Settings = Omit<AgentConfig, "token" | "variables">;
/** The settings of one type, so that each gets its rule or its parser. */
type FieldOf<T> = { [K in keyof Settings]: Settings[K] extends T ? K : never }[keyof Settings];
type NumberField = FieldOf<number>;
type BooleanField = FieldOf<boolean>;

export const REGIONS: Readonly<Record<string, string>> = Object.freeze({
  "us-e1": "api.us-e1.tago.io",
  "eu-w1": "api.eu-w1.tago.io",
});

export const DEFAULT_HOST = "api.tago.io";

/** TagoIO refuses request bodies above 200 kB. */
export const TAGOIO_MAX_BODY_BYTES = 200_000;

export const DEFAULTS: Readonly<Settings> = Object.freeze({
  host: DEFAULT_HOST,
  port: 443,
  https: true,
  verifyTls: true,
  sampleIntervalMs: 10_000,
  uploadIntervalMs: 60_000,
  bufferCapacity: 1024,
  whenFull: "drop-oldest",
  maxBatchBytes: 32_768,
  maxBatchRecords: 1000,
  maxStringLength: 256,
  stringBudget: 4096,
  requestTimeoutMs: 30_000,
  maxResponseBytes: 2048,
  maxCheckPageBytes: 32_768,
  backoffBaseMs: 2_000,
  backoffCapMs: 300_000,
  rateLimitJitterMs: 5_000,
  maxRetryAfterMs: 900_000,
  authRetryMs: 900_000,
  refusedRetryMs: 900_000,
  checkDeadlineMs: 21_600_000,
  maxRequestsPerMinute: 6,
  uploadWithoutTime: false,
  journal: true,
  paramsIntervalMs: 600_000,
  ...TELEMETRY_DEFAULTS,
  ...SLEEP_DEFAULTS,
});

export type ConfigResult =
  | { ok: true; config: AgentConfig; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

interface NumberRule {
  min: number;
  max: number;
}

const NUMBER_RULES: Readonly<Record<NumberField, NumberRule>> = Object.freeze({
  port: Object.freeze({ min: 1, max: 65_535 }),
  sampleIntervalMs: Object.freeze({ min: 100, max: 86_400_000 }),
  uploadIntervalMs: Object.freeze({ min: 1_000, max: 86_400_000 }),
  bufferCapacity: Object.freeze({ min: 16, max: 1_000_000 }),
  maxBatchBytes: Object.freeze({ min: 1_024, max: TAGOIO_MAX_BODY_BYTES }),
  maxBatchRecords: Object.freeze({ min: 1, max: 8_000 }),
  maxStringLength: Object.freeze({ min: 1, max: 6_000 }),
  stringBudget: Object.freeze({ min: 0, max: 10_000_000 }),
  requestTimeoutMs: Object.freeze({ min: 1_000, max: 600_000 }),
  maxResponseBytes: Object.freeze({ min: 256, max: 1_048_576 }),
  maxCheckPageBytes: Object.freeze({ min: 1_536, max: 1_048_576 }),
  backoffBaseMs: Object.freeze({ min: 100, max: 3_600_000 }),
  backoffCapMs: Object.freeze({ min: 1_000, max: 86_400_000 }),
  rateLimitJitterMs: Object.freeze({ min: 0, max: 600_000 }),
  maxRetryAfterMs: Object.freeze({ min: 1_000, max: 86_400_000 }),
  authRetryMs: Object.freeze({ min: 10_000, max: 86_400_000 }),
  refusedRetryMs: Object.freeze({ min: 10_000, max: 86_400_000 }),
  checkDeadlineMs: Object.freeze({ min: 0, max: 86_400_000 }),
  maxRequestsPerMinute: Object.freeze({ min: 1, max: 600 }),
  telemetryIntervalMs: Object.freeze({ min: 0, max: 86_400_000 }),
  paramsIntervalMs: Object.freeze({ min: 0, max: 86_400_000 }),
  uploadEvery: Object.freeze({ min: 1, max: 100_000 }),
  uploadFillPercent: Object.freeze({ min: 1, max: 100 }),
});

/** The shortest params interval that is not 0 (off): the route allows 100 a minute for a whole profile. */
export const MIN_PARAMS_INTERVAL_MS = 60_000;

const BOOLEAN_FIELDS: readonly BooleanField[] = Object.freeze(["https", "verifyTls", "uploadWithoutTime", "journal"]);

/** The field names a configuration may carry, for hosts that read them from flat key=value input. */
export const CONFIG_KEYS: readonly string[] = Object.freeze([
  "token",
  "region",
  "variables",
  ...Object.keys(DEFAULTS),
]);

/** A token as it may appear in logs and errors: only its last four characters. */
export function redactToken(token: string): string {
  return token.length >= 8 ? "****" + token.slice(-4) : "****";
}

/** `text` with every UUID-shaped string (any device token) cut to its last four characters. */
export function redactTokens(text: string): string {
  // A regular expression literal is a new object on every call: a shared /g one would keep
  // lastIndex state, which a preloaded (frozen) module cannot write on XS.
  return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (uuid) => redactToken(uuid));
}

/** What is wrong with a device token, without repeating it; undefined when it is well formed. */
export function tokenProblem(token: unknown): string | undefined {
  if (token === undefined || token === "") return "token: missing (the Device-Token of this device, a 36-character UUID)";
  if (typeof token === "string" && UUID.test(token)) return undefined;
  if (typeof token === "string" && token.length === 36) return "token: not a TagoIO device token (36 characters, but not a UUID: 8-4-4-4-12 hex digits)";
  const got = typeof token === "string" ? `${token.length} characters` : typeof token;
  return `token: not a TagoIO device token (expected a 36-character UUID, 8-4-4-4-12 hex digits; got ${got})`;
}

function parseNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value.trim());
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  return undefined;
}

/**
 * Checks a raw configuration (from a manifest, a command line or a file) and fills in defaults.
 * Unknown keys are reported as warnings, never silently ignored.
 */
export function validateConfig(raw: unknown): ConfigResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!isRecord(raw)) return { ok: false, problems: ["configuration: must be an object"], warnings };

  for (const key of Object.keys(raw)) {
    if (!CONFIG_KEYS.includes(key)) warnings.push(`${key}: unknown setting, ignored`);
  }

  const set: Partial<Settings> = {};

  const token = tokenProblem(raw.token);
  if (token !== undefined) problems.push(token);

  const region = raw.region;
  const host = raw.host;
  if (region !== undefined && region !== "") {
    if (typeof region !== "string" || !(region in REGIONS)) {
      problems.push(`region: ${describe(region)} is not a TagoIO region (one of ${Object.keys(REGIONS).join(", ")})`);
    } else if (host !== undefined && host !== "" && host !== REGIONS[region]) {
      problems.push(`region: "${region}" and host ${describe(host)} disagree; give one of them`);
    } else {
      set.host = REGIONS[region];
    }
  } else if (host !== undefined && host !== "") {
    if (typeof host !== "string" || !(HOSTNAME.test(host) || IPV4.test(host))) {
      problems.push(`host: ${describe(host)} is not a host name or IPv4 address (no scheme, no port, no path)`);
    } else {
      set.host = host.toLowerCase();
    }
  }

  for (const key of Object.keys(NUMBER_RULES) as NumberField[]) {
    if (raw[key] === undefined || raw[key] === "") continue;
    const rule = NUMBER_RULES[key];
    const n = parseNumber(raw[key]);
    if (n === undefined || !Number.isInteger(n)) {
      problems.push(`${key}: ${describe(raw[key])} is not a whole number`);
    } else if (n < rule.min || n > rule.max) {
      problems.push(`${key}: ${n} is out of range (${rule.min} to ${rule.max})`);
    } else {
      set[key] = n;
    }
  }

  for (const key of BOOLEAN_FIELDS) {
    if (raw[key] === undefined || raw[key] === "") continue;
    const b = parseBoolean(raw[key]);
    if (b === undefined) problems.push(`${key}: ${describe(raw[key])} is not true or false`);
    else set[key] = b;
  }

  if (raw.whenFull !== undefined && raw.whenFull !== "") {
    if (raw.whenFull !== "drop-oldest" && raw.whenFull !== "drop-newest") problems.push(`whenFull: ${describe(raw.whenFull)} must be "drop-oldest" or "drop-newest"`);
    else set.whenFull = raw.whenFull;
  }

  const variables = validateVariables(raw.variables, problems, warnings);
  // Typed whole: a field without a default or a value here does not compile. The token is used
  // only when it passed tokenProblem.
  const config: AgentConfig = { ...DEFAULTS, ...set, token: String(raw.token), variables };
  problems.push(...reportingProblems(variables, config.sampleIntervalMs));
  applyTelemetry(raw, config, problems);
  if (config.paramsIntervalMs > 0 && config.paramsIntervalMs < MIN_PARAMS_INTERVAL_MS) {
    problems.push(`paramsIntervalMs: ${config.paramsIntervalMs} must be 0 (off) or at least ${MIN_PARAMS_INTERVAL_MS}`);
  }
  applySleep(raw, config, problems);
  if (config.backoffCapMs < config.backoffBaseMs) {
    problems.push(`backoffCapMs: ${config.backoffCapMs} is below backoffBaseMs (${config.backoffBaseMs})`);
  }
  if (config.maxStringLength * 12 + 512 > config.maxBatchBytes) {
    problems.push(
      `maxStringLength: ${config.maxStringLength} characters may encode to more than maxBatchBytes (${config.maxBatchBytes}) allows; lower it or raise maxBatchBytes`,
    );
  }
  if (!config.https) warnings.push("https: false: plain HTTP is on; readings and the token cross the network unencrypted");
  else if (!config.verifyTls) warnings.push("verifyTls: certificate verification is off; any server can pose as TagoIO");

  if (problems.length > 0) return { ok: false, problems, warnings };
  return { ok: true, config, warnings };
}
