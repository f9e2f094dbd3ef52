// The Wi-Fi link on the Moddable `wifi` and `net` modules. The firmware joins Wi-Fi itself, in the
// background: the SDK's setup/network (which would hold `main` until a first connection) is not
// in the build, so sampling starts at boot. Reconnecting is its job too (the ESP32 port of the
// SDK does not retry by itself). This link watches the station events and, whenever it has no
// address, calls WiFi.connect again after a full-jitter exponential backoff, until it gets one.
// Policy when failing: a connect call that throws counts as a failed attempt; nothing is lost,
// the agent only sees `up() === false` and keeps buffering.

import { fullJitterMs } from "../core/backoff.js";
import type { Logger, Random, TimerHandle, Timers } from "../ports.js";
import { errorMessage } from "../core/text.js";

export interface WiFiCredentials {
  ssid: string;
  password?: string;
}

/** The part of the `wifi` module this link uses (typings/wifi.d.ts). */
export interface WiFiModule {
  /** With no options it only watches; the callback receives "connect", "gotIP", "disconnect", ... */
  new (options: undefined, callback: (message: string) => void): { close(): void };
  connect(options: WiFiCredentials): void;
}

/** The part of the `net` module this link and the health port read (typings/net.d.ts). */
export interface NetModule {
  get(what: "IP" | "RSSI"): unknown;
}

/** A network link the agent can use; `up()` means an address is assigned. */
export interface Link {
  up(): boolean;
  /** Brings the link up (and keeps it up); a link that always is omits it. Idempotent. */
  start?(): void;
}

export interface WiFiLinkOptions {
  credentials: WiFiCredentials;
  /** Every wait is this plus a full-jitter share of min(cap, base * 2^attempts). */
  backoffBaseMs: number;
  backoffCapMs: number;
}

/** At least 10 s between attempts: a new WiFi.connect aborts an association still in progress. */
export const WIFI_BACKOFF = Object.freeze({ backoffBaseMs: 10_000, backoffCapMs: 300_000 } as const);

export class WiFiLink implements Link {
  private readonly WiFi: WiFiModule;
  private readonly net: NetModule;
  private readonly timers: Timers;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly options: WiFiLinkOptions;
  private monitor: { close(): void } | undefined;
  private addressed = false;
  /** Connect attempts since the link was last up, for the backoff exponent. */
  private attempts = 0;
  private retry: TimerHandle | undefined;

  constructor(
    modules: { WiFi: WiFiModule; Net: NetModule },
    timers: Timers,
    random: Random,
    logger: Logger,
    options: WiFiLinkOptions,
  ) {
    this.WiFi = modules.WiFi;
    this.net = modules.Net;
    this.timers = timers;
    this.random = random;
    this.logger = logger;
    this.options = options;
  }

  /** Starts watching; connects now unless the station already has an address. */
  start(): void {
    if (this.monitor !== undefined) return;
    this.monitor = new this.WiFi(undefined, (message) => this.onMessage(message));
    if (hasAddress(this.net.get("IP"))) this.addressed = true;
    else this.connect();
  }

  up(): boolean {
    return this.addressed;
  }

  private onMessage(message: string): void {
    if (message === "gotIP" || message === "changedIP") {
      if (!this.addressed) this.logger.log("info", `wifi: up, address ${String(this.net.get("IP"))}`);
      this.addressed = true;
      this.attempts = 0;
      this.cancelRetry();
    } else if (message === "disconnect" || message === "lostIP") {
      if (!this.addressed) return; // an attempt failed; its retry is already scheduled
      this.addressed = false;
      this.logger.log("warn", "wifi: link lost, reconnecting");
      this.scheduleRetry();
    }
  }

  private connect(): void {
    try {
      this.WiFi.connect(this.options.credentials);
    } catch (e) {
      this.logger.log("warn", `wifi: connect failed: ${errorMessage(e)}`);
    }
    this.scheduleRetry();
  }

  /** The next attempt, unless an address arrives first. */
  private scheduleRetry(): void {
    this.cancelRetry();
    const delay = fullJitterMs(this.attempts, this.options.backoffBaseMs, this.options.backoffCapMs, this.random);
    this.attempts++;
    this.retry = this.timers.set(() => {
      this.retry = undefined;
      if (!this.addressed) this.connect();
    }, this.options.backoffBaseMs + delay);
  }

  private cancelRetry(): void {
    if (this.retry !== undefined) this.timers.clear(this.retry);
    this.retry = undefined;
  }
}

/** A link that is always up: the Linux simulator uses the host's network. */
export const HOST_LINK: Link = Object.freeze({ up: () => true });

function hasAddress(ip: unknown): boolean {
  return typeof ip === "string" && ip !== "" && ip !== "0.0.0.0";
}
