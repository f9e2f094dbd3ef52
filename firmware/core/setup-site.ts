// The set-up web site behind any HTTP server (the SDK's on a board, Node's in the simulator):
// GET / is the form, POST / stores it, and every other GET, including the probes Android, iOS,
// macOS and Windows make to detect a captive portal, is redirected to the form, so a phone that
// joins the set-up network opens it by itself (the DNS server sends every name here).
// Policy when failing: a bad submission is answered 400 with the form and its problems, a body over
// MAX_FORM_BYTES 413 unread, other methods 405; nothing is stored then and the device stays in set-up.

import type { SettingsStore } from "../ports.js";
import { applySetup, MAX_FORM_BYTES, nearbyNetworks, storedEntry, type NearbyNetwork, type SetupEntry, type SetupProblems } from "./setup-form.js";
import { renderSavedPage, renderSetupPage } from "./setup-page.js";

/** Paths phones and laptops ask for to learn whether a network has a captive portal. */
export const CAPTIVE_PROBE_PATHS: readonly string[] = Object.freeze([
  "/generate_204", // Android
  "/gen_204", // Android, Chrome
  "/hotspot-detect.html", // iOS, macOS
  "/library/test/success.html", // older iOS
  "/connecttest.txt", // Windows 10 and later
  "/ncsi.txt", // older Windows
  "/redirect", // Windows
  "/canonical.html", // Firefox
  "/success.txt", // Firefox
]);

export interface SetupResponse {
  status: number;
  headers: ReadonlyArray<readonly [string, string]>;
  /** ASCII text: its length is its byte count. */
  body: string;
  /** True once good settings are stored: restart into normal operation after sending this. */
  restart: boolean;
}

export interface SetupSiteOptions {
  store: SettingsStore;
  /** The networks a scan found (repeats and hidden ones included), asked at every showing of the form. */
  networks(): readonly NearbyNetwork[];
  /** Where redirects point, e.g. "http://192.168.4.1". */
  origin: string;
}

const HTML: ReadonlyArray<readonly [string, string]> = Object.freeze([
  Object.freeze(["Content-Type", "text/html; charset=utf-8"] as const),
  // The form may carry what was typed: no cache keeps it.
  Object.freeze(["Cache-Control", "no-store"] as const),
]);

export class SetupSite {
  private readonly options: SetupSiteOptions;

  constructor(options: SetupSiteOptions) {
    this.options = options;
  }

  /** Whether a request body of `bytes` is read at all; a larger one is answered 413 unread. */
  accepts(bytes: number): boolean {
    return bytes <= MAX_FORM_BYTES;
  }

  /** The answer to one request; `target` is the request's path and query. */
  respond(method: string, target: string, body: string): SetupResponse {
    const path = target.split("?")[0];
    if (method === "POST" && path === "/") return this.submit(body);
    if (method === "POST") return text(404, "Not found");
    if (method !== "GET") return text(405, "Method not allowed", [["Allow", "GET, POST"]]);
    if (path !== "/") return { status: 302, headers: [["Location", `${this.options.origin}/`]], body: "", restart: false };
    return this.form(200, storedEntry(this.options.store), {});
  }

  /** The answer to a body too large to read. */
  tooLarge(): SetupResponse {
    return text(413, `The form is at most ${MAX_FORM_BYTES} bytes`);
  }

  private submit(body: string): SetupResponse {
    const outcome = applySetup(body, this.options.store);
    if (outcome.ok) return { status: 200, headers: HTML, body: renderSavedPage(outcome.ssid), restart: true };
    return this.form(400, outcome.entry, outcome.problems);
  }

  private form(status: number, entry: SetupEntry, problems: SetupProblems): SetupResponse {
    const networks = nearbyNetworks(this.options.networks());
    const tokenStored = this.options.store.get("token") !== undefined;
    return { status, headers: HTML, body: renderSetupPage({ networks, entry, tokenStored, problems }), restart: false };
  }
}

function text(status: number, message: string, headers: ReadonlyArray<readonly [string, string]> = []): SetupResponse {
  return { status, headers: [["Content-Type", "text/plain"], ...headers], body: message, restart: false };
}
