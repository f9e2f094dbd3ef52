// Set-up from a phone, on the Moddable SDK: scan for nearby networks, open an access point, answer
// every DNS name with the board's address (so phones show the page by themselves), serve the
// core's SetupSite on the SDK's `http` Server, and restart once good settings are stored. On the
// Linux simulator ("host" network) there is no access point or DNS: the page is served on the
// host's network. Every SDK module is injected, so this runs under Node in tests.
// Policy when failing: a scan that fails leaves the list empty (a name can still be typed); an access
// point, DNS or HTTP server that cannot start is logged and set-up stops, storing nothing; a build
// that cannot restart itself says so, with the settings already stored.

import type { NearbyNetwork } from "../core/setup-form.js";
import { SetupSite } from "../core/setup-site.js";
import { errorMessage } from "../core/text.js";
import type { Logger, SettingsStore, Timers } from "../ports.js";

/** One network of a `WiFi.scan`, as the SDK reports it. */
export interface ScanItem {
  ssid: string;
  rssi: number;
  authentication: string;
}

/** The part of the `wifi` module set-up uses (modules/network/wifi). */
export interface SetupWiFiModule {
  mode: number;
  readonly Mode: { readonly station: number };
  /** Calls back once per network found, then once with nothing (typed null; undefined in the SDK's sources). */
  scan(options: object, callback: (item: ScanItem | null) => void): void;
  accessPoint(options: { ssid: string; station?: boolean }): void;
}

/** The request a Server callback runs on: `this` inside the callback. */
export type ServerRequest = object;

/** The SDK's `http` Server: one callback for every request, called with the request as `this`. */
export interface HttpServerModule {
  new (options: { port: number }): {
    callback(this: ServerRequest, message: number, value?: unknown, etc?: unknown): unknown;
    close(): void;
  };
}

/** The SDK's DNS server (modules/network/dns/dnsserver): answers an A query for a name (message 1) with the address the callback returns; "" is no answer. */
export interface DnsServerModule {
  new (callback: (message: number, name?: string) => string): { close(): void };
}

export interface SetupModules {
  WiFi: SetupWiFiModule;
  Net: { get(what: "IP" | "MAC", nif?: "ap"): unknown };
  Server: HttpServerModule;
  /** Absent where there is no access point (the simulator). */
  DNSServer?: DnsServerModule;
  /** Restarts the board (System.restart on ESP32); absent where the build cannot. */
  restart?: () => void;
}

export interface SetupOptions {
  /** "wifi": an access point of the board's own; "host": the simulator, on the host's network. */
  network: "wifi" | "host";
  /** 80 on a board (phones probe port 80); any free port on the simulator. */
  port: number;
  logger: Logger;
  timers: Timers;
}

/** The SDK Server's callback messages (modules/network/http/http.js). */
const MESSAGE = Object.freeze({ status: 2, header: 3, headersComplete: 4, requestComplete: 6, prepareResponse: 8, responseFragment: 9 });

/** Time for the confirmation (a few KB) to leave before the restart cuts the connection. */
const RESTART_DELAY_MS = 2_000;
/** Where ESP-IDF puts its access point unless told otherwise. */
const DEFAULT_AP_ADDRESS = "192.168.4.1";

/** The access point's name: "TagoIO-Setup-" and the MAC's last four hex digits, so boards side by side differ. */
export function accessPointName(mac: unknown): string {
  const hex = typeof mac === "string" ? mac.replace(/[^0-9a-f]/gi, "") : "";
  return hex.length >= 4 ? `TagoIO-Setup-${hex.slice(-4).toUpperCase()}` : "TagoIO-Setup";
}

export interface SetupRun {
  /** Closes whatever set-up opened. */
  stop(): void;
}

/** Scans, then opens set-up; the board restarts into normal operation after a good submission. */
export function startSetup(modules: SetupModules, store: SettingsStore, options: SetupOptions): SetupRun {
  const { logger } = options;
  const open: Array<{ close(): void }> = [];
  const networks: NearbyNetwork[] = [];
  let stopped = false;

  const serve = (): void => {
    if (stopped) return;
    try {
      let address = "127.0.0.1";
      if (options.network === "wifi") {
        const ssid = accessPointName(modules.Net.get("MAC"));
        // With the station kept on, the board can scan again while set-up runs.
        modules.WiFi.accessPoint({ ssid, station: true });
        const ap = modules.Net.get("IP", "ap");
        address = typeof ap === "string" && ap !== "" ? ap : DEFAULT_AP_ADDRESS;
        if (modules.DNSServer !== undefined) open.push(new modules.DNSServer((message) => (message === 1 ? address : "")));
        logger.log("info", `setup: join the Wi-Fi network "${ssid}" (no password); the page opens at http://${address}/`);
      }
      const origin = `http://${address}${options.port === 80 ? "" : `:${options.port}`}`;
      const site = new SetupSite({ store, networks: () => networks, origin });
      open.push(listen(modules, site, options));
      if (options.network === "host") logger.log("info", `setup: the page is at ${origin}/`);
    } catch (e) {
      logger.log("error", `setup: could not start (${errorMessage(e)}); nothing is stored`);
      stop();
    }
  };

  const stop = (): void => {
    stopped = true;
    for (const thing of open.splice(0)) {
      try {
        thing.close();
      } catch {
        // already closed
      }
    }
  };

  try {
    modules.WiFi.mode = modules.WiFi.Mode.station;
    modules.WiFi.scan({}, (item) => {
      if (item === undefined || item === null) serve();
      else networks.push({ ssid: item.ssid, rssi: item.rssi, secure: item.authentication !== "none" });
    });
  } catch (e) {
    logger.log("warn", `setup: no Wi-Fi scan (${errorMessage(e)}); the network's name must be typed`);
    serve();
  }
  return { stop };
}

/** Per request: what arrived, then what goes back, streamed in pieces the socket has room for. */
interface Exchange {
  method: string;
  path: string;
  length: number;
  body: string;
  /** The part of the answer's body not yet written. */
  rest: string;
}

function listen(modules: SetupModules, site: SetupSite, options: SetupOptions): { close(): void } {
  const exchanges = new WeakMap<ServerRequest, Exchange>();
  const server = new modules.Server({ port: options.port });
  server.callback = function (this: ServerRequest, message, value, etc) {
    const exchange = exchanges.get(this);
    if (message === MESSAGE.status) {
      exchanges.set(this, { method: String(etc), path: String(value), length: 0, body: "", rest: "" });
    } else if (exchange === undefined) {
      return undefined;
    } else if (message === MESSAGE.header) {
      if (value === "content-length") exchange.length = Number(etc);
    } else if (message === MESSAGE.headersComplete) {
      // false: the server reads past a body too large, keeping none of it.
      return site.accepts(exchange.length) ? String : false;
    } else if (message === MESSAGE.requestComplete) {
      if (typeof value === "string") exchange.body = value;
    } else if (message === MESSAGE.prepareResponse) {
      const answer = site.accepts(exchange.length) ? site.respond(exchange.method, exchange.path, exchange.body) : site.tooLarge();
      exchange.rest = answer.body;
      // Not at responseComplete: the SDK's server reports that only once the phone closes the connection.
      if (answer.restart) restartSoon(modules, options);
      const headers = answer.headers.flat();
      // body: true streams it (responseFragment) with this length: a page may exceed one write's room.
      return { status: answer.status, headers: [...headers, "Content-Length", String(answer.body.length)], body: true };
    } else if (message === MESSAGE.responseFragment) {
      const room = Number(value);
      const piece = exchange.rest.slice(0, room);
      exchange.rest = exchange.rest.slice(piece.length);
      return piece === "" ? undefined : piece;
    }
    return undefined;
  };
  return server;
}

function restartSoon(modules: SetupModules, options: SetupOptions): void {
  const restart = modules.restart;
  if (restart === undefined) {
    options.logger.log("warn", "setup: settings stored; this build cannot restart itself: start it again to run with them");
    return;
  }
  options.logger.log("info", "setup: settings stored; restarting");
  options.timers.set(restart, RESTART_DELAY_MS);
}
