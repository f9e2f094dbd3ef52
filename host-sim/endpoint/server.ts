// The local TagoIO-compatible HTTPS endpoint: routes, authentication, rate limits and TagoIO's
// response envelopes over the store, validation and certificates next to it. Checks run in the
// order a client sees them: route (404), method (405), token (401), device deactivated (400),
// rate limit (429), body (413, 400), then the device's own limits as TagoCore words them (400):
// an immutable device's retention window, a mutable device's record limit. Every answer is JSON
// in an envelope; an unexpected fault answers 500, never a hang. Time stamps, rate windows and
// the retention window come from the injected wall clock. One route is this endpoint's own,
// for tests and people: `PUT /_local/device {"active": true|false}` with the device's token
// switches it on or off, from loopback only. One account-side route, TagoIO's
// `POST /device/{id}/params` with the Account-Token (`Authorization` header, as TagoIO's SDK sends
// it), sets parameters while the endpoint runs; while it listens, `<dataDir>/endpoint-url` says
// where, for the command that sets them (param-cli.ts). `GET /` and `/_local/dashboard/...` are the
// dashboard's (dashboard.ts), answered before any of this.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { readBody } from "./body.js";
import { loadOrCreateIdentity } from "./certs.js";
import { Dashboard } from "./dashboard.js";
import { parseDataQuery } from "./data-query.js";
import { isLoopback, leafNames } from "./names.js";
import { CalendarMinuteLimiter, PLANS, type RateLimits, type RateRoute } from "./ratelimit.js";
import { type DeviceRow, type ParamRow, Store } from "./store.js";
import { type NewRecord, validateData } from "./validate.js";

export interface EndpointDevice {
  token: string;
  name?: string;
  active?: boolean;
  params?: Array<{ key: string; value: string; sent?: boolean }>;
  /** A mutable device holding at most this many records (TagoCore: 50,000); none when absent. */
  dataLimit?: number;
  /** An immutable device keeping this many days back (and up to tomorrow); no window when absent. */
  retentionDays?: number;
}

/** One answered request, for logs. Never carries the token. */
export interface RequestLogEntry {
  method: string;
  /** The path without its query string. */
  path: string;
  status: number;
  /** Records stored (POST /data) or returned (GET /data). */
  records?: number;
}

export interface EndpointOptions {
  /** SQLite file, CA and leaf files live here (created if missing). */
  dataDir: string;
  /** The CA and leaf from another folder instead (created there if missing), data kept apart. */
  identityDir?: string;
  /** Tokens accepted (upserted on start; existing data kept). */
  devices: EndpointDevice[];
  /** Default 0 (ephemeral). */
  port?: number;
  /** Address to listen on; default "127.0.0.1". "0.0.0.0" or "::" serve the LAN too. */
  host?: string;
  /**
   * Extra names for the leaf certificate besides 127.0.0.1 and localhost: IPv4/IPv6 addresses and
   * DNS names (a bad entry throws a LeafNameError naming it). A leaf for another set of names is
   * re-issued from the same CA. Omitted: keep the current leaf's names (a new leaf has none extra).
   */
  names?: string[];
  /** Wall clock in ms for rate windows and server time stamps; default Date.now. */
  now?: () => number;
  /** Per calendar minute, profile-wide; defaults are TagoIO's Free plan. */
  rateLimits?: Partial<Record<RateRoute, number>>;
  /** Default 200_000. */
  maxBodyBytes?: number;
  /** Called once per answered request. */
  onRequest?: (entry: RequestLogEntry) => void;
  /** The Account-Token of `POST /device/{id}/params`; without one that route answers 401. */
  accountToken?: string;
}

/** Where a running endpoint writes its URL in its data dir. */
export const URL_FILE = "endpoint-url";

export interface StoredRecord {
  id: string;
  device: string;
  variable: string;
  value: string | number | boolean;
  unit?: string;
  group?: string;
  time: string;
  location?: unknown;
  metadata?: unknown;
  created_at: string;
}

export interface Endpoint {
  /** e.g. https://127.0.0.1:43123 */
  url: string;
  port: number;
  caPem: string;
  caPemPath: string;
  caDerPath: string;
  /** What the leaf certificate covers: 127.0.0.1, localhost, then the extra names. */
  names: string[];
  /** The dashboard page (loopback only); absent when listening on an address that is not loopback's. */
  dashboardUrl?: string;
  /** Set when CA files were missing at start: what was made again, and what that breaks. */
  caNotice?: string;
  /** Everything stored (after `mark()`'s answer `after`), oldest (first received) first, for tests and the CLI. */
  records(token?: string, after?: number): StoredRecord[];
  /** How many records the device with this token has (0 for an unknown token). */
  count(token: string): number;
  /** Where the stored data ends now, for `records(token, after)`. */
  mark(): number;
  /** What the server answered since start. */
  counts(): { requests: number; byStatus: Record<string, number> };
  setDeviceActive(token: string, active: boolean): void;
  /** Sets a parameter of the device with this token (unread), as the account route does. */
  setParam(token: string, key: string, value: string): void;
  /** The device's parameters, as `GET /device/params` answers them. */
  params(token: string): ParamRow[];
  /** Stops listening, closes open connections and the database. */
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  records?: number;
  /** Close the connection after answering (the client is still sending a body we will not read). */
  close?: boolean;
}

interface Context {
  req: IncomingMessage;
  url: URL;
  device: DeviceRow;
  /** The `{id}` of `/device/params/{id}`. */
  id?: string;
}

type Handler = (ctx: Context) => Promise<Reply> | Reply;

interface Route {
  pattern: RegExp;
  /** `inactive`: also for a deactivated device. */
  methods: Record<string, { handler: Handler; limit?: RateRoute; inactive?: boolean }>;
}

const DEFAULT_MAX_BODY = 200_000;

/** What the command lines say beside the dashboard's address. */
export const DASHBOARD_NOTE = "this machine only; a browser must trust the CA or be told to go on";

const ok = (result: unknown, records?: number): Reply => ({ status: 200, body: { status: true, result }, records });
const fail = (status: number, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { status: false, message },
  headers,
});
const DENIED: Reply = { status: 401, body: { status: false, result: "Authorization denied" } };
/** TagoCore's answer for a device whose Active switch is off, on every route. */
const DEACTIVATED: Reply = fail(400, "Device is deactivated");
const DAY_MS = 86_400_000;

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function tokenOf(req: IncomingMessage): string | undefined {
  const h = req.headers;
  const value = h["device-token"] ?? h.authorization ?? h.token;
  return typeof value === "string" && value !== "" ? value : undefined;
}

function checkOptions(o: EndpointOptions): void {
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError("port must be 0..65535");
  const max = o.maxBodyBytes ?? DEFAULT_MAX_BODY;
  if (!Number.isInteger(max) || max <= 0) throw new RangeError("maxBodyBytes must be a positive integer");
  for (const d of o.devices) {
    if (typeof d.token !== "string" || d.token === "") throw new TypeError("every device needs a token");
    for (const key of ["dataLimit", "retentionDays"] as const) {
      const n = d[key];
      if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new RangeError(`${key} must be a whole number from 1`);
    }
    if (d.dataLimit !== undefined && d.retentionDays !== undefined) {
      throw new RangeError("a device is mutable (dataLimit) or immutable (retentionDays), not both");
    }
  }
  if (o.names !== undefined) leafNames(o.names);
}

/** The rate limits per calendar minute: the Free plan's, with the options' overrides. */
function rateLimits(overrides: EndpointOptions["rateLimits"]): RateLimits {
  const limits: RateLimits = { ...PLANS.free };
  for (const [route, limit] of Object.entries(overrides ?? {}) as [RateRoute, number | undefined][]) {
    if (limit !== undefined) limits[route] = limit;
  }
  return limits;
}

/** A store holding the options' devices (upserted; existing data kept), closed again if that fails. */
function openStore(options: EndpointOptions, now: () => number): Store {
  const store = new Store(options.dataDir, now);
  try {
    for (const device of options.devices) store.upsertDevice(device);
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}

/**
 * The API over the store: the routes, the checks every request goes through in a client's order,
 * each route's handler, and the tally of what was answered.
 */
class Api {
  /** Answers so far, by status. */
  readonly byStatus: Record<string, number> = {};
  requests = 0;
  private readonly store: Store;
  private readonly now: () => number;
  private readonly maxBodyBytes: number;
  private readonly limiter: CalendarMinuteLimiter;
  private readonly accepted: Map<string, EndpointDevice>;
  private readonly accountToken: string | undefined;
  private readonly routes: Route[] = [
    {
      pattern: /^\/data$/,
      methods: {
        GET: { handler: (ctx) => this.getData(ctx), limit: "getData" },
        POST: { handler: (ctx) => this.postData(ctx), limit: "postData" },
      },
    },
    { pattern: /^\/info$/, methods: { GET: { handler: (ctx) => this.info(ctx), limit: "info" } } },
    { pattern: /^\/device\/params$/, methods: { GET: { handler: (ctx) => this.getParams(ctx), limit: "getParams" } } },
    { pattern: /^\/device\/params\/([^/]+)$/, methods: { PUT: { handler: (ctx) => this.putParam(ctx) } } },
    { pattern: /^\/_local\/device$/, methods: { PUT: { handler: (ctx) => this.setActive(ctx), inactive: true } } },
  ];

  constructor(store: Store, options: EndpointOptions, now: () => number, limiter: CalendarMinuteLimiter) {
    this.store = store;
    this.now = now;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.limiter = limiter;
    this.accepted = new Map(options.devices.map((d) => [d.token, d]));
    this.accountToken = options.accountToken;
  }

  /** Route (404), method (405), token (401), deactivated (400), rate limit (429), then the route's handler. */
  async answer(req: IncomingMessage, url: URL): Promise<Reply> {
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
    const account = /^\/device\/([^/]+)\/params$/.exec(path);
    if (account !== null) return this.setParams(req, account[1]);
    for (const route of this.routes) {
      const match = route.pattern.exec(path);
      if (match === null) continue;
      const method = route.methods[req.method ?? ""];
      if (method === undefined) {
        return fail(405, `Method ${req.method} is not allowed here`, { Allow: Object.keys(route.methods).join(", ") });
      }
      const token = tokenOf(req);
      const device = token !== undefined && this.accepted.has(token) ? this.store.device(token) : undefined;
      if (device === undefined) return DENIED;
      if (!device.active && method.inactive !== true) return DEACTIVATED;
      if (method.limit !== undefined) {
        const decision = this.limiter.take(method.limit);
        if (!decision.ok) {
          const n = String(decision.retryAfterSeconds);
          return {
            status: 429,
            body: { status: false, message: `Too many requests (Retry-After: ${n})` },
            headers: { "Retry-After": n },
          };
        }
      }
      return method.handler({ req, url, device, id: match[1] });
    }
    return fail(404, `Route ${req.method} ${path} not found`);
  }

  /** Writes `reply` as JSON and counts it. */
  send(res: ServerResponse, reply: Reply): void {
    const text = JSON.stringify(reply.body);
    this.requests++;
    this.byStatus[reply.status] = (this.byStatus[reply.status] ?? 0) + 1;
    res.writeHead(reply.status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(text),
      ...(reply.close ? { Connection: "close" } : {}),
      ...reply.headers,
    });
    res.end(text);
  }

  private async readJson(req: IncomingMessage): Promise<{ value: unknown } | Reply> {
    const body = await readBody(req, this.maxBodyBytes);
    if (body.kind === "aborted") return fail(400, "Request body was cut off");
    if (body.kind === "too-large") {
      return { ...fail(413, `Request body is larger than ${this.maxBodyBytes} bytes`), close: !body.drained };
    }
    try {
      return { value: JSON.parse(body.body.toString("utf8")) };
    } catch {
      return fail(400, "Request body is not valid JSON");
    }
  }

  /** What the device's own limits refuse in a valid body, in TagoCore's words; undefined when nothing. */
  private deviceLimit(device: DeviceRow, records: NewRecord[], at: number): string | undefined {
    const { dataLimit, retentionDays } = this.accepted.get(device.token) ?? {};
    if (retentionDays !== undefined) {
      const today = Math.floor(at / DAY_MS) * DAY_MS;
      const from = today - retentionDays * DAY_MS;
      const last = today + DAY_MS;
      // Both days inclusive; a record without a time is stamped now, inside.
      if (records.some((r) => r.time !== undefined && (r.time < from || r.time >= last + DAY_MS))) {
        return `Time must be between ${day(from)} and ${day(last)}`;
      }
    }
    if (dataLimit !== undefined && this.store.count(device.key) >= dataLimit) {
      return `The device has reached the limit of ${dataLimit} data registers`;
    }
    return undefined;
  }

  private async postData({ req, device }: Context): Promise<Reply> {
    const parsed = await this.readJson(req);
    if (!("value" in parsed)) return parsed;
    const checked = validateData(parsed.value);
    if (!checked.ok) return fail(400, checked.message);
    const at = this.now();
    const refused = this.deviceLimit(device, checked.records, at);
    if (refused !== undefined) return fail(400, refused);
    this.store.addRecords(device.key, checked.records, at);
    return ok(`${checked.records.length} Data Added`, checked.records.length);
  }

  private getData({ url, device }: Context): Reply {
    const parsed = parseDataQuery(url.searchParams);
    if (!parsed.ok) return fail(400, parsed.message);
    const answer = this.store.query(device.key, parsed.request);
    if (typeof answer === "number") return ok(answer);
    const details = "details" in parsed.request && parsed.request.details;
    const records = details ? answer : answer.map(({ created_at: _, ...rest }) => rest);
    return ok(records, records.length);
  }

  private info({ device }: Context): Reply {
    return ok({
      id: device.id,
      name: device.name,
      active: device.active,
      type: this.accepted.get(device.token)?.dataLimit === undefined ? "immutable" : "mutable",
      visible: true,
      tags: [],
      created_at: iso(device.created_at),
      updated_at: iso(device.updated_at),
      last_input: iso(device.last_input),
      last_output: null,
    });
  }

  private getParams({ url, device }: Context): Reply {
    const filter = url.searchParams.get("sent_status");
    if (filter !== null && filter !== "true" && filter !== "false") {
      return fail(400, "sent_status must be true or false");
    }
    return ok(this.store.params(device.key, filter === null ? undefined : filter === "true"));
  }

  private async putParam({ req, device, id }: Context): Promise<Reply> {
    const parsed = await this.readJson(req);
    if (!("value" in parsed)) return parsed;
    const sent = (parsed.value as { sent?: unknown } | null)?.sent;
    if (typeof sent !== "boolean") return fail(400, 'Body must be {"sent": true} or {"sent": false}');
    if (!this.store.markParam(device.key, id ?? "", sent)) return fail(404, "Param not found");
    return ok("Params Successfully Updated");
  }

  /** TagoIO's account route: one `{key, value, sent?}` or a list of them; a new or changed value is unread unless `sent` says otherwise. */
  private async setParams(req: IncomingMessage, deviceId: string): Promise<Reply> {
    if (req.method !== "POST") return fail(405, `Method ${req.method} is not allowed here`, { Allow: "POST" });
    const token = req.headers.authorization ?? req.headers["account-token"];
    if (this.accountToken === undefined || token !== this.accountToken) return DENIED;
    const device = this.store.devices().find((d) => d.id === deviceId);
    if (device === undefined) return fail(404, "Device not found");
    const parsed = await this.readJson(req);
    if (!("value" in parsed)) return parsed;
    const list: unknown[] = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
    const params: Array<{ key: string; value: string; sent?: boolean }> = [];
    for (const [i, p] of list.entries()) {
      const { key, value, sent } = (typeof p === "object" && p !== null ? p : {}) as Record<string, unknown>;
      if (typeof key !== "string" || key === "") return fail(400, `params[${i}].key must be a non-empty string`);
      if (typeof value !== "string") return fail(400, `params[${i}].value must be a string`);
      if (sent !== undefined && typeof sent !== "boolean") return fail(400, `params[${i}].sent must be true or false`);
      params.push(sent === undefined ? { key, value, sent: false } : { key, value, sent });
    }
    try {
      this.store.upsertDevice({ token: device.token, params });
    } catch (error) {
      if (error instanceof RangeError) return fail(400, error.message);
      throw error;
    }
    return ok("Params Successfully Updated");
  }

  private async setActive({ req, device }: Context): Promise<Reply> {
    // Beyond loopback (--listen 0.0.0.0) only a device's owner on this machine may switch it.
    if (!isLoopback(req.socket.remoteAddress ?? "")) return fail(403, "PUT /_local/device is answered on loopback only");
    const parsed = await this.readJson(req);
    if (!("value" in parsed)) return parsed;
    const active = (parsed.value as { active?: unknown } | null)?.active;
    if (typeof active !== "boolean") return fail(400, 'Body must be {"active": true} or {"active": false}');
    this.store.setActive(device.token, active);
    return ok(active ? "Device activated" : "Device deactivated");
  }
}

/** Starts listening; the store is closed if that fails. */
async function listen(server: Server, options: EndpointOptions, store: Store): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: unknown) => {
    store.close();
    throw error;
  });
  return server.address() as AddressInfo;
}

/** The host for the endpoint's URL: on every interface, the loopback address the leaf always names. */
function urlHost(address: AddressInfo): string {
  const unspecified = address.address === "0.0.0.0" || address.address === "::";
  return unspecified ? "127.0.0.1" : address.family === "IPv6" ? `[${address.address}]` : address.address;
}

export async function startEndpoint(options: EndpointOptions): Promise<Endpoint> {
  checkOptions(options);
  const now = options.now ?? Date.now;
  // Before anything is made on disk: bad limits throw here.
  const limiter = new CalendarMinuteLimiter(rateLimits(options.rateLimits), now);
  mkdirSync(options.dataDir, { recursive: true });
  const identity = await loadOrCreateIdentity(options.identityDir ?? options.dataDir, options.names);
  const store = openStore(options, now);
  const api = new Api(store, options, now, limiter);
  const dashboard = new Dashboard(store);
  let closed = false;

  const server = createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://localhost");
    if (Dashboard.serves(url.pathname)) {
      dashboard.answer(req, res, url).catch((error: unknown) => {
        console.error("tago-local: dashboard error:", error);
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("Internal error");
      });
      return;
    }
    api
      .answer(req, url)
      .catch((error: unknown) => {
        // A bug in the endpoint, not the client's fault: say so where the developer looks.
        console.error("tago-local: internal error:", error);
        return fail(500, "Internal error");
      })
      .then((reply) => {
        // A request still in flight when close() ran has lost its socket (and the database).
        if (closed || res.destroyed) return;
        api.send(res, reply);
        options.onRequest?.({ method: req.method ?? "", path: url.pathname, status: reply.status, records: reply.records });
      });
  });
  const address = await listen(server, options, store);
  const host = urlHost(address);
  const url = `https://${host}:${address.port}`;
  const urlFile = join(options.dataDir, URL_FILE);
  writeFileSync(urlFile, url + "\n");

  return {
    url,
    port: address.port,
    caPem: identity.caPem,
    caPemPath: identity.caPemPath,
    caDerPath: identity.caDerPath,
    names: identity.names,
    ...(isLoopback(host) ? { dashboardUrl: `${url}/` } : {}),
    ...(identity.notice === undefined ? {} : { caNotice: identity.notice }),
    records(token?: string, after?: number): StoredRecord[] {
      if (token === undefined) return store.records(undefined, after);
      const device = store.device(token);
      return device === undefined ? [] : store.records(device.key, after);
    },
    count(token: string): number {
      const device = store.device(token);
      return device === undefined ? 0 : store.count(device.key);
    },
    mark: () => store.mark(),
    counts() {
      return { requests: api.requests, byStatus: { ...api.byStatus } };
    },
    setDeviceActive(token: string, active: boolean): void {
      if (!store.setActive(token, active)) throw new Error("setDeviceActive: no device has this token");
    },
    setParam(token: string, key: string, value: string): void {
      if (store.device(token) === undefined) throw new Error("setParam: no device has this token");
      store.upsertDevice({ token, params: [{ key, value, sent: false }] });
    },
    params(token: string): ParamRow[] {
      const device = store.device(token);
      return device === undefined ? [] : store.params(device.key);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      rmSync(urlFile, { force: true });
      store.close();
    },
  };
}
