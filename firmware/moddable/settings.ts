// The device's settings as `mc/config` delivers them: the manifest's "config" merged with the
// mcconfig command line, where every value is a string. The agent's own keys (CONFIG_KEYS of
// the core) are passed through for the core's validateConfig to parse; this file reads only the
// host's keys (Wi-Fi, SNTP, sensors, trust, flash, logging) and their defaults.
// Policy when failing: every problem is collected, each naming its key; none is fatal here.
// `tls` belongs to the SDK (its TLS manifest keeps cipher-suite switches there): a `tls=...` on the
// command line would replace them, so it is reported, pointing at the agent's own `https`.

import { validateConfig } from "../core/config.js";
import { agentKeys, type Checked, type HostKey } from "../core/settings-layers.js";
import type { LogLevel } from "../ports.js";
import { LOG_LEVELS } from "./logger.js";
import { defaultVariables, parseSensorList, type SensorSpec } from "./sensors.js";
import type { WiFiCredentials } from "./wifi.js";

export interface HostSettings {
  /** "wifi": join `ssid` and keep reconnecting; "host": the simulator uses the host's network. */
  network: "wifi" | "host";
  /** "sntp": untrusted until SNTP answers; "host": the simulator trusts the host's clock. */
  clock: "sntp" | "host";
  wifi?: WiFiCredentials;
  sntpHosts: string[];
  sensors: SensorSpec[];
  customCa?: string;
  flashPartition: string;
  logLevel: LogLevel;
  /** How often the agent's status line is traced; 0: never. */
  statusIntervalMs: number;
  /**
   * 0: never. Else, after this much uptime with nothing on the wire, the agent stops and the device
   * deep-sleeps for a sample interval through the Sleep port: a check of the port and of the
   * simulator's emulation (npm run firmware:sim --sleep-after) until the sleep mode calls it itself.
   */
  sleepAfterMs: number;
}

export interface Settings {
  /** The agent's raw configuration, for validateConfig. */
  agent: Record<string, unknown>;
  host: HostSettings;
  problems: string[];
}

export const HOST_DEFAULTS = Object.freeze({
  network: "wifi",
  clock: "sntp",
  sntp: "pool.ntp.org",
  flashPartition: "journal",
  logLevel: "info",
  statusIntervalMs: 60_000,
  sleepAfterMs: 0,
} as const);

/** Host intervals (status lines, the sleep check): at most a day, at least a second. */
const HOST_INTERVAL_MAX_MS = 86_400_000;

function text(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function choice<T extends string>(
  config: Readonly<Record<string, unknown>>,
  key: string,
  allowed: readonly T[],
  fallback: T,
  problems: string[],
): T {
  const value = config[key];
  if (value === undefined || value === "") return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${key}: ${JSON.stringify(value)} must be one of ${allowed.join(", ")}`);
  return fallback;
}

/** statusIntervalMs, sleepAfterMs: 0 (off) or 1 s to a day, as a number or a string of digits. */
function interval(config: Readonly<Record<string, unknown>>, key: string, fallback: number, problems: string[]): number {
  const value = config[key];
  if (value === undefined || value === "") return fallback;
  const ms = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof ms === "number" && Number.isInteger(ms) && (ms === 0 || (ms >= 1000 && ms <= HOST_INTERVAL_MAX_MS))) return ms;
  problems.push(`${key}: ${JSON.stringify(value)} must be 0 (off) or whole milliseconds from 1000 to ${HOST_INTERVAL_MAX_MS}`);
  return fallback;
}

export function readSettings(config: Readonly<Record<string, unknown>>): Settings {
  const problems: string[] = [];

  const network = choice(config, "network", ["wifi", "host"] as const, HOST_DEFAULTS.network, problems);
  const clock = choice(config, "clock", ["sntp", "host"] as const, HOST_DEFAULTS.clock, problems);
  const logLevel = choice(config, "logLevel", LOG_LEVELS, HOST_DEFAULTS.logLevel, problems);

  let wifi: WiFiCredentials | undefined;
  if (network === "wifi") {
    const ssid = text(config.ssid);
    if (ssid === undefined) problems.push('ssid: missing; give the Wi-Fi network as ssid="..." password="..." on the mcconfig command line');
    else {
      wifi = { ssid };
      if (typeof config.password === "string" && config.password !== "") wifi.password = config.password;
    }
  }

  const sntpHosts = (text(config.sntp) ?? HOST_DEFAULTS.sntp)
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  if (clock === "sntp" && sntpHosts.length === 0) problems.push("sntp: no SNTP host given");

  let sensors: SensorSpec[] = [];
  if (config.sensors === undefined || config.sensors === "") {
    problems.push('sensors: missing; list them, e.g. sensors=sht3x,bmp280@0x77 or sensors=simulated');
  } else {
    const parsed = parseSensorList(config.sensors);
    sensors = parsed.specs;
    problems.push(...parsed.problems);
  }

  if (config.tls !== undefined && (typeof config.tls !== "object" || config.tls === null)) {
    problems.push(
      `tls: ${JSON.stringify(config.tls)} would replace the SDK's TLS settings (config.tls, its cipher suites); for plain HTTP set https=false`,
    );
  }
  const statusIntervalMs = interval(config, "statusIntervalMs", HOST_DEFAULTS.statusIntervalMs, problems);
  const sleepAfterMs = interval(config, "sleepAfterMs", HOST_DEFAULTS.sleepAfterMs, problems);

  const agent = agentKeys(config);
  if (agent.variables === undefined || agent.variables === "") agent.variables = defaultVariables(sensors);

  const host: HostSettings = {
    network,
    clock,
    sntpHosts,
    sensors,
    flashPartition: text(config.flashPartition) ?? HOST_DEFAULTS.flashPartition,
    logLevel,
    statusIntervalMs,
    sleepAfterMs,
  };
  if (wifi !== undefined) host.wifi = wifi;
  const customCa = text(config.customCa);
  if (customCa !== undefined) host.customCa = customCa;
  return { agent, host, problems };
}

/** The device's whole check of a merged configuration: its own keys, then validateConfig on the agent's. */
export function checkDevice(raw: Record<string, unknown>): Checked {
  const settings = readSettings(raw);
  const validation = validateConfig(settings.agent);
  const problems = [...settings.problems, ...(validation.ok ? [] : validation.problems)];
  return problems.length === 0 && validation.ok ? { problems, config: validation.config } : { problems };
}

/**
 * The host's settings a layer may hold: `logLevel` applies at once, the others at the next boot;
 * the network, the Wi-Fi credentials, the trust anchor, the clock's source and the partition are
 * set on the board only (the build or the set-up page).
 */
export function deviceHostKeys(setLevel: (level: LogLevel) => void): Record<string, HostKey> {
  const local: HostKey = { localOnly: true };
  return {
    logLevel: { apply: (value) => setLevel(value as LogLevel) },
    statusIntervalMs: {},
    sntp: {},
    sensors: {},
    ssid: local,
    password: local,
    customCa: local,
    network: local,
    clock: local,
    flashPartition: local,
  };
}
