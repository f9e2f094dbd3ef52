// The board's settings in layers: the built-in defaults (`mc/config`, the command line) under the
// values stored on the board (the SettingsStore port: NVS on a device, a file on the host), which
// the set-up page and remote changes (TagoIO device parameters) write. The merge is checked by the
// host's own validation (validateConfig for the core's keys, the same messages, never the token).
// Policy when failing: a stored value that no longer validates (or that no setting of this
// firmware names) is reported in `ignored` and left out; it never stops the board, and it stays
// stored until something writes that key again. Writes only when a value changes (flash wears).
//
// Store keys: NVS keys are at most 15 characters. A key that fits is its own store key; a longer
// one is its first 10 characters, "~" and 4 base-36 digits of the CRC-32 of the whole key
// (`storeKey`), e.g. maxRequestsPerMinute -> "maxRequest~" + 4 digits. A variable's filter is
// the key `<variable>.<filter>` (temperature.delta), shortened by the same rule.

import type { SettingsStore } from "../ports.js";
import { CONFIG_KEYS, validateConfig, type AgentConfig } from "./config.js";
import { crc32 } from "./crc.js";
import { REPORTING_KEYS } from "./reporting.js";
import { isRecord } from "./text.js";

/** NVS: keys of at most 15 characters, string values of at most 4000 bytes with their terminating NUL. */
export const STORE_KEY_MAX = 15;
export const STORE_VALUE_MAX_BYTES = 3999;

/** A setting the host owns (Wi-Fi, log level...): applied at once when `apply` is given, else at the next boot. */
export interface HostKey {
  apply?: (value: string) => void;
  /** Set on the board only (the set-up page, the build), never from a TagoIO parameter. */
  localOnly?: boolean;
}

/** A raw configuration as the host validates it: every problem, and the agent's configuration when there are none. */
export interface Checked {
  problems: string[];
  config?: AgentConfig;
}

export type SettingsCheck = (raw: Record<string, unknown>) => Checked;

/** The core's keys of a raw configuration: what validateConfig takes. */
export function agentKeys(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const agent: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) if (raw[key] !== undefined) agent[key] = raw[key];
  return agent;
}

/** The check of a host with no settings of its own: validateConfig on the core's keys. */
export function checkCore(raw: Record<string, unknown>): Checked {
  const result = validateConfig(agentKeys(raw));
  return result.ok ? { problems: [], config: result.config } : { problems: result.problems };
}

/** The key under which `key` is stored: itself when it fits NVS, else shortened (header). */
export function storeKey(key: string): string {
  if (key.length <= STORE_KEY_MAX) return key;
  const bytes = new TextEncoder().encode(key);
  const hash = crc32(bytes, 0, bytes.length).toString(36);
  return key.slice(0, 10) + "~" + ("0000" + hash).slice(-4);
}

/** Why a store would refuse `value` under store key `key`; undefined when it fits. */
export function storeLimitProblem(key: string, value: string): string | undefined {
  if (key === "" || key.length > STORE_KEY_MAX || !/^[\x21-\x7e]+$/.test(key)) return `settings: key "${key}" must be 1 to ${STORE_KEY_MAX} printable ASCII characters`;
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > STORE_VALUE_MAX_BYTES) return `settings: ${key}: a value of ${bytes} bytes is over the ${STORE_VALUE_MAX_BYTES} a stored setting may hold`;
  return undefined;
}

/** A filter key's variable and filter, or undefined for a flat key. */
function filterKey(key: string): [string, string] | undefined {
  const dot = key.indexOf(".");
  return dot < 0 ? undefined : [key.slice(0, dot), key.slice(dot + 1)];
}

/** The variables with the stored filters put into their entries (a window's value is JSON). */
function withFilters(variables: unknown, filters: ReadonlyArray<readonly [string, string, string]>): unknown {
  let list = variables;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list);
    } catch {
      return variables; // validateConfig names it
    }
  }
  if (!Array.isArray(list)) return variables;
  const copy: unknown[] = list.map((v: unknown) => (isRecord(v) ? { ...v } : v));
  for (const [name, filter, value] of filters) {
    const entry = copy.find((v) => isRecord(v) && v.name === name) as Record<string, unknown> | undefined;
    if (entry === undefined) continue;
    let parsed: unknown = value;
    if (filter === "window") {
      try {
        parsed = JSON.parse(value);
      } catch {
        // left a string: validateConfig says what a window must be
      }
    }
    entry[filter] = parsed;
  }
  return copy;
}

/** `defaults` with `overlay` on top; filter keys go into their variable's entry. */
function compose(defaults: Readonly<Record<string, unknown>>, overlay: ReadonlyMap<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = { ...defaults };
  const filters: Array<[string, string, string]> = [];
  overlay.forEach((value, key) => {
    const filter = filterKey(key);
    if (filter === undefined) raw[key] = value;
    else filters.push([filter[0], filter[1], value]);
  });
  if (filters.length > 0) raw.variables = withFilters(raw.variables, filters);
  return raw;
}

function variableNames(raw: Record<string, unknown>): string[] {
  const list = withFilters(raw.variables, []);
  return Array.isArray(list) ? list.filter(isRecord).map((v) => String(v.name)) : [];
}

export class SettingsLayers {
  /** Stored values left out at load, each with why (never a value). */
  readonly ignored: string[] = [];
  readonly hostKeys: Readonly<Record<string, HostKey>>;
  /** Store writes and removals made, for the flash's sake. */
  writes = 0;
  private readonly defaults: Readonly<Record<string, unknown>>;
  private readonly store: SettingsStore | undefined;
  private readonly check: SettingsCheck;
  /** The stored values taken, by setting key. */
  private readonly overlay = new Map<string, string>();

  constructor(defaults: Readonly<Record<string, unknown>>, store: SettingsStore | undefined, check: SettingsCheck, hostKeys: Readonly<Record<string, HostKey>> = {}) {
    this.defaults = defaults;
    this.store = store;
    this.check = check;
    this.hostKeys = hostKeys;
    if (store !== undefined) this.load(store);
  }

  get persistent(): boolean {
    return this.store !== undefined;
  }

  /** The merged raw configuration, host keys included. */
  merged(): Record<string, unknown> {
    return compose(this.defaults, this.overlay);
  }

  /** The keys of the stored values taken. */
  storedKeys(): string[] {
    return [...this.overlay.keys()];
  }

  /** The value the merged settings give `key` in the stored layer, if any. */
  stored(key: string): string | undefined {
    return this.overlay.get(key);
  }

  /** Whether `key` names a setting: the core's, the host's, or `<variable>.<filter>` of a configured variable. */
  knows(key: string): boolean {
    const filter = filterKey(key);
    if (filter === undefined) return CONFIG_KEYS.includes(key) || key in this.hostKeys;
    return REPORTING_KEYS.includes(filter[1]) && variableNames(this.merged()).includes(filter[0]);
  }

  /** The problems `key=value` would add to the merged settings; none when it may be taken. "" takes the key back to its default. */
  problemsWith(key: string, value: string): string[] {
    return this.added(this.overlay, key, value);
  }

  /** The merged settings with `key=value` taken, checked. */
  checkWith(key: string, value: string): Checked {
    return this.check(compose(this.defaults, this.with(this.overlay, key, value)));
  }

  /**
   * Takes `key=value` into the stored layer and the store; "" removes it (back to the built-in
   * value). Writes only on a change; throws the store's RangeError when its limits refuse it.
   */
  set(key: string, value: string): void {
    if ((this.overlay.get(key) ?? "") === value) return;
    const at = storeKey(key);
    if (this.store !== undefined) {
      if (value === "") this.store.remove(at);
      else {
        const problem = storeLimitProblem(at, value);
        if (problem !== undefined) throw new RangeError(problem);
        this.store.set(at, value);
      }
      this.writes++;
    }
    if (value === "") this.overlay.delete(key);
    else this.overlay.set(key, value);
  }

  private with(base: ReadonlyMap<string, string>, key: string, value: string): Map<string, string> {
    const trial = new Map(base);
    if (value === "") trial.delete(key);
    else trial.set(key, value);
    return trial;
  }

  private added(base: ReadonlyMap<string, string>, key: string, value: string): string[] {
    const before = new Set(this.check(compose(this.defaults, base)).problems);
    return this.check(compose(this.defaults, this.with(base, key, value))).problems.filter((p) => !before.has(p));
  }

  /** Takes each stored value that still validates, in key order: flat keys first, then the filters of the variables they give. */
  private load(store: SettingsStore): void {
    const found = new Map<string, string>();
    for (const at of store.keys()) {
      const value = store.get(at);
      if (value !== undefined) found.set(at, value);
    }
    const take = (candidates: readonly string[]): void => {
      for (const key of [...candidates].sort()) {
        const value = found.get(storeKey(key));
        if (value === undefined) continue;
        found.delete(storeKey(key));
        const problems = this.added(this.overlay, key, value);
        if (problems.length === 0) this.overlay.set(key, value);
        else this.ignored.push(`stored ${key} ignored: ${problems.join("; ")}`);
      }
    };
    take([...CONFIG_KEYS, ...Object.keys(this.hostKeys)]);
    take(variableNames(this.merged()).flatMap((name) => REPORTING_KEYS.map((filter) => `${name}.${filter}`)));
    found.forEach((_, at) => this.ignored.push(`stored key "${at}" names no setting of this firmware; ignored`));
  }
}
