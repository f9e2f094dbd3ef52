// The set-up form's logic, the same on a board and in the host simulator: read an
// application/x-www-form-urlencoded submission, validate it (Wi-Fi rules here; token, region and
// host with validateConfig, so the messages are the ones every host prints) and store it in the
// SettingsStore under ssid, password, token, region and host, writing only what changed (NVS wears).
// Policy when failing: every problem is returned beside its field and nothing is stored; a value
// the store refuses is reported beside its field, and what that submission changed is put back.
// A stored token is never read back into a page.

import type { SettingsStore } from "../ports.js";
import { validateConfig } from "./config.js";
import { errorMessage } from "./text.js";

export const SETUP_FIELDS = Object.freeze(["ssid", "password", "token", "region", "host"] as const);
export type SetupField = (typeof SETUP_FIELDS)[number];

/** What the page shows back in its fields: never the password or the token. */
export interface SetupEntry {
  ssid: string;
  region: string;
  host: string;
}

export type SetupProblems = Partial<Record<SetupField, string[]>>;

export type SetupOutcome = { ok: true; ssid: string } | { ok: false; entry: SetupEntry; problems: SetupProblems };

/** A network a Wi-Fi scan found, as the page lists it. */
export interface NearbyNetwork {
  ssid: string;
  /** Signal strength, dBm. */
  rssi: number;
  /** False for an open network (no password). */
  secure: boolean;
}

/** Longer bodies are refused unread: the form's fields fit in far less. */
export const MAX_FORM_BYTES = 2048;

/** Networks listed at most; a crowded scan keeps the strongest. */
const MAX_NETWORKS = 20;
const MAX_SSID_BYTES = 32;
const WPA_PASSPHRASE = /^[\x20-\x7e]{8,63}$/;
const WPA_KEY = /^[0-9a-f]{64}$/i;

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/**
 * The fields of a form body. `+` is a space; a field whose percent-encoding is broken is left
 * out and named in `unreadable`. Of a repeated field, the last one counts.
 */
export function parseForm(body: string): { values: Map<string, string>; unreadable: string[] } {
  const values = new Map<string, string>();
  const unreadable: string[] = [];
  for (const pair of body.split("&")) {
    if (pair === "") continue;
    const at = pair.indexOf("=");
    const rawName = at < 0 ? pair : pair.slice(0, at);
    const rawValue = at < 0 ? "" : pair.slice(at + 1);
    const name = decodeComponent(rawName);
    if (name === undefined) continue;
    const value = decodeComponent(rawValue);
    if (value === undefined) unreadable.push(name);
    else values.set(name, value);
  }
  return { values, unreadable };
}

function decodeComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text.split("+").join(" "));
  } catch {
    return undefined;
  }
}

/** What the store holds, as the page shows it. */
export function storedEntry(store: SettingsStore): SetupEntry {
  return { ssid: store.get("ssid") ?? "", region: store.get("region") ?? "", host: store.get("host") ?? "" };
}

/** Scan results as the page lists them: one entry per name (its strongest), strongest first. */
export function nearbyNetworks(found: readonly NearbyNetwork[]): NearbyNetwork[] {
  const best = new Map<string, NearbyNetwork>();
  for (const network of found) {
    if (network.ssid === "") continue; // a hidden network: typed by name instead
    const seen = best.get(network.ssid);
    if (seen === undefined || network.rssi > seen.rssi) best.set(network.ssid, network);
  }
  return [...best.values()].sort((a, b) => b.rssi - a.rssi).slice(0, MAX_NETWORKS);
}

function wifiProblems(ssid: string, password: string, problems: string[]): void {
  if (ssid === "") problems.push("ssid: missing; choose a nearby network or type its name");
  else if (utf8Length(ssid) > MAX_SSID_BYTES) problems.push(`ssid: ${utf8Length(ssid)} bytes; a Wi-Fi network name has at most ${MAX_SSID_BYTES}`);
  if (password !== "" && !WPA_PASSPHRASE.test(password) && !WPA_KEY.test(password)) {
    problems.push(
      `password: not a WPA2 password (8 to 63 printable ASCII characters, or 64 hex digits; got ${password.length} characters); leave it empty for an open network`,
    );
  }
}

/** Sets `key` to `value`, or removes it for "", touching the store only when that changes it. */
function put(store: SettingsStore, key: SetupField, value: string): void {
  if (value === "") {
    if (store.get(key) !== undefined) store.remove(key);
  } else if (store.get(key) !== value) {
    store.set(key, value);
  }
}

/** Puts back what a failed submission had changed, as far as the store lets it. */
function restore(store: SettingsStore, before: ReadonlyArray<[SetupField, string]>): void {
  for (const [key, value] of before) {
    try {
      put(store, key, value);
    } catch {
      // the store refused this value before; it keeps what it has
    }
  }
}

function byField(messages: readonly string[]): SetupProblems {
  const problems: SetupProblems = {};
  for (const message of messages) {
    const field = SETUP_FIELDS.find((f) => message.startsWith(`${f}:`));
    if (field !== undefined) (problems[field] ??= []).push(message);
  }
  return problems;
}

/**
 * Validates a submitted form and, when every field is good, stores it. An empty token keeps the
 * stored one; the network comes from the typed name when one is typed, else from the list.
 */
export function applySetup(body: string, store: SettingsStore): SetupOutcome {
  const { values, unreadable } = parseForm(body);
  const field = (name: string): string => values.get(name) ?? "";
  const ssid = field("ssid_typed") !== "" ? field("ssid_typed") : field("ssid");
  const password = field("password");
  const typedToken = field("token").trim();
  const region = field("region");
  const host = field("host").trim();
  const entry: SetupEntry = { ssid, region, host };

  const messages: string[] = [];
  for (const name of unreadable) {
    // The typed network name is shown beside the network; fields the form does not have are ignored.
    const shown = name === "ssid_typed" ? "ssid" : name;
    if ((SETUP_FIELDS as readonly string[]).includes(shown)) messages.push(`${shown}: could not be read (broken form encoding); type it again`);
  }
  wifiProblems(ssid, password, messages);
  const token = typedToken !== "" ? typedToken : (store.get("token") ?? "");
  const checked = validateConfig({ token, region, host });
  if (!checked.ok) messages.push(...checked.problems.filter((p) => /^(token|region|host):/.test(p)));
  if (messages.length > 0) return { ok: false, entry, problems: byField(messages) };

  const writes: Array<[SetupField, string]> = [["ssid", ssid], ["password", password], ["region", region], ["host", host]];
  if (typedToken !== "") writes.push(["token", typedToken]);
  const before = writes.map(([key]): [SetupField, string] => [key, store.get(key) ?? ""]);
  for (const [key, value] of writes) {
    try {
      put(store, key, value);
    } catch (e) {
      restore(store, before);
      return { ok: false, entry, problems: { [key]: [`${key}: not stored (${errorMessage(e)})`] } };
    }
  }
  return { ok: true, ssid };
}
