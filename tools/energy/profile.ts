// The power profile of an ESP32 module (WROOM-32 class) the energy model charges each phase of a
// run with: a current and, for the phases a run counts rather than times, a duration. The default
// figures and their sources are in the README ("Energy model"); a user's JSON file may replace
// any of them. Policy when failing: every problem of a profile file is listed, each naming its
// field, and nothing is run.

import { describe, isRecord } from "../../firmware/core/text.js";

/** A phase the run counts: it lasts `ms` each time, drawing `ma` on average. */
export interface TimedPhase {
  ma: number;
  ms: number;
}

/** A state the device stays in for as long as the run says, drawing `ma`. */
export interface SteadyState {
  ma: number;
}

export interface PowerProfile {
  name: string;
  /** From a timer wake to the agent's first line: ROM, bootloader, ESP-IDF start, NVS, the XS machine. */
  boot: TimedPhase;
  /** One sample: every sensor read once (CPU on, radio off). */
  sample: TimedPhase;
  /** Association and WPA2 handshake with the access point. */
  wifiJoin: TimedPhase;
  /** The DHCP lease after each join. */
  dhcp: TimedPhase;
  /** One TLS handshake (one per HTTPS request: the SDK's Request opens a connection each time). */
  tlsHandshake: TimedPhase;
  /** The server's turn on each request: the radio listens for the answer. */
  requestWait: TimedPhase;
  /** Radio transmitting, per KB on the wire (request heads and bodies). */
  sendPerKb: TimedPhase;
  /** Radio receiving, per KB of answers. */
  receivePerKb: TimedPhase;
  /** One 4 KB sector erase of the SPI NOR flash (journal and state area), the CPU waiting on it. */
  flashErase: TimedPhase;
  /** One page program (at most 256 bytes) of the SPI NOR flash, the CPU waiting on it. */
  flashProgram: TimedPhase;
  /** The agent's XS work at a wake (restore, journal, state, upload's batch), per million computrons. */
  xsPerMillionComputrons: TimedPhase;
  /** Awake with the radio off, beyond the phases above (the agent's own work at a wake). */
  awake: SteadyState;
  /** Always-on between phases: Wi-Fi associated, modem sleep (the ESP-IDF station default). */
  idle: SteadyState;
  /** Deep sleep: RTC timer and RTC memory on. */
  deepSleep: SteadyState;
}

export const TIMED_PHASES = [
  "boot",
  "sample",
  "wifiJoin",
  "dhcp",
  "tlsHandshake",
  "requestWait",
  "sendPerKb",
  "receivePerKb",
  "flashErase",
  "flashProgram",
  "xsPerMillionComputrons",
] as const;
export const STEADY_STATES = ["awake", "idle", "deepSleep"] as const;

export type TimedPhaseName = (typeof TIMED_PHASES)[number];
export type SteadyStateName = (typeof STEADY_STATES)[number];

/** The defaults; each figure's source is in the README's table. */
export const DEFAULT_PROFILE: PowerProfile = {
  name: "ESP32-WROOM-32 (defaults)",
  boot: { ma: 40, ms: 110 },
  sample: { ma: 50, ms: 22 },
  wifiJoin: { ma: 100, ms: 1200 },
  dhcp: { ma: 95, ms: 800 },
  tlsHandshake: { ma: 60, ms: 1500 },
  requestWait: { ma: 95, ms: 300 },
  sendPerKb: { ma: 190, ms: 20 },
  receivePerKb: { ma: 95, ms: 10 },
  flashErase: { ma: 70, ms: 45 },
  flashProgram: { ma: 70, ms: 0.4 },
  xsPerMillionComputrons: { ma: 50, ms: 1000 },
  awake: { ma: 50 },
  idle: { ma: 31.12 },
  deepSleep: { ma: 0.01 },
};

export type ProfileCheck = { ok: true; profile: PowerProfile; fromDefaults: string[] } | { ok: false; problems: string[] };

function figureProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    return `${field}: must be a number at least 0 (got ${describe(value)})`;
  }
  return undefined;
}

/**
 * A user's profile: any of the phases and states, each a whole `{ma, ms}` or `{ma}`; what it
 * leaves out keeps the default (listed in `fromDefaults`). Unknown keys are refused, so a typo
 * never silently keeps a default.
 */
export function parseProfile(raw: unknown, base: PowerProfile = DEFAULT_PROFILE): ProfileCheck {
  if (!isRecord(raw)) return { ok: false, problems: ["the profile must be a JSON object"] };
  const problems: string[] = [];
  const known = new Set<string>(["name", "sources", ...TIMED_PHASES, ...STEADY_STATES]);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) problems.push(`${key}: not a phase or state of the profile (known: ${[...TIMED_PHASES, ...STEADY_STATES].join(", ")})`);
  }
  if (raw.name !== undefined && (typeof raw.name !== "string" || raw.name === "")) problems.push("name: must be a non-empty string");
  const profile: PowerProfile = { ...base, name: typeof raw.name === "string" && raw.name !== "" ? raw.name : "custom" };
  const fromDefaults: string[] = [];
  const read = (key: TimedPhaseName | SteadyStateName, fields: readonly ("ma" | "ms")[]): Record<string, number> | undefined => {
    const given = raw[key];
    if (given === undefined) {
      fromDefaults.push(key);
      return undefined;
    }
    if (!isRecord(given)) {
      problems.push(`${key}: must be an object ${fields.length === 2 ? "{ma, ms}" : "{ma}"}`);
      return undefined;
    }
    const out: Record<string, number> = {};
    for (const extra of Object.keys(given).filter((k) => !(fields as readonly string[]).includes(k))) problems.push(`${key}.${extra}: not a field (has ${fields.join(", ")})`);
    for (const field of fields) {
      const problem = figureProblem(`${key}.${field}`, given[field]);
      if (problem !== undefined) problems.push(problem);
      else out[field] = given[field] as number;
    }
    return out;
  };
  for (const key of TIMED_PHASES) {
    const figures = read(key, ["ma", "ms"]);
    if (figures !== undefined) profile[key] = { ma: figures.ma, ms: figures.ms };
  }
  for (const key of STEADY_STATES) {
    const figures = read(key, ["ma"]);
    if (figures !== undefined) profile[key] = { ma: figures.ma };
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, profile, fromDefaults };
}
