// The dashboard on the endpoint's own port and TLS: `GET /` serves the page's shell (the page
// builds the rest), `GET /_local/dashboard/app.js` and `app.css` its code and style (bundled from
// page/ by esbuild on the first request and kept for the life of the process), and
// `GET /_local/dashboard/view` the JSON it polls (view.ts). It is view-only and asks for no token,
// so the token never reaches the page: it answers clients on loopback only, and only when the Host
// header names loopback too, so a web page elsewhere cannot read it by rebinding its own name to
// 127.0.0.1. Its requests are not the device API's: no rate limit, not counted, not logged (a poll
// every few seconds would drown the log).

import { build } from "esbuild";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { isLoopback } from "./names.js";
import type { DeviceRow, Store } from "./store.js";
import {
  DASHBOARD_PREFIX,
  type DeviceSummary,
  type DeviceView,
  MAX_POINTS_PER_ANSWER,
  periodStart,
  SCRIPT_PATH,
  type Series,
  STYLE_PATH,
  VIEW_PATH,
  type ViewAnswer,
} from "./view.js";

const PAGE_DIR = fileURLToPath(new URL("./page/", import.meta.url));

interface Asset {
  type: string;
  body: Buffer;
}

interface Answer {
  status: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

/** Nothing from anywhere else: no CDN, no inline script; uPlot sets styles through the DOM, which style-src allows. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const JSON_TYPE = "application/json; charset=utf-8";

const UPLOT_NOTICE = "/*! uPlot (μPlot) | Copyright (c) 2025, Leon Sorokin | MIT License */";

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tago-local dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLE_PATH}">
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body><noscript>The dashboard needs JavaScript.</noscript></body>
</html>
`;

const json = (status: number, body: unknown): Answer => ({ status, type: JSON_TYPE, body: JSON.stringify(body) });
const fail = (status: number, message: string, headers?: Record<string, string>): Answer => ({
  ...json(status, { status: false, message }),
  headers,
});

let assets: Promise<Map<string, Asset>> | undefined;

/** The page, its script and its style: built once per process; a failed build is tried again next time. */
function pageAssets(): Promise<Map<string, Asset>> {
  assets ??= (async () => {
    const result = await build({
      entryPoints: [`${PAGE_DIR}main.ts`, `${PAGE_DIR}style.css`],
      entryNames: "app",
      // Names the output files; nothing is written.
      outdir: "out",
      bundle: true,
      minify: true,
      format: "iife",
      target: "es2020",
      charset: "utf8",
      // uPlot's licence asks for its notice in copies; minifying drops its header comment.
      banner: { js: UPLOT_NOTICE, css: UPLOT_NOTICE },
      write: false,
      logLevel: "silent",
    });
    const built = (ext: string): Buffer => {
      const file = result.outputFiles.find((f) => f.path.endsWith(ext));
      if (file === undefined) throw new Error(`the dashboard bundle has no ${ext} file`);
      return Buffer.from(file.contents);
    };
    return new Map([
      ["/", { type: "text/html; charset=utf-8", body: Buffer.from(SHELL) }],
      [SCRIPT_PATH, { type: "text/javascript; charset=utf-8", body: built(".js") }],
      [STYLE_PATH, { type: "text/css; charset=utf-8", body: built(".css") }],
    ]);
  })().catch((error: unknown) => {
    assets = undefined;
    throw error;
  });
  return assets;
}

/** The Host header's name without its port. */
function hostName(host: string | undefined): string {
  const value = host ?? "";
  return value.startsWith("[") ? value.slice(0, value.indexOf("]") + 1) : value.replace(/:\d*$/, "");
}

/** A whole number from `min` in the query; undefined when absent; a message when it is not one. */
function whole(params: URLSearchParams, name: string, min: number): number | undefined | string {
  const text = params.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(n) && n >= min ? n : `${name} must be a whole number from ${min}`;
}

export class Dashboard {
  constructor(private readonly store: Store) {}

  /** The paths this answers; everything else is the device API's. */
  static serves(path: string): boolean {
    return path === "/" || path.startsWith(DASHBOARD_PREFIX);
  }

  async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const reply = await this.reply(req, url);
    res.writeHead(reply.status, {
      "Content-Type": reply.type,
      "Content-Length": Buffer.byteLength(reply.body),
      "Cache-Control": "no-store",
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      ...reply.headers,
    });
    res.end(reply.body);
  }

  private async reply(req: IncomingMessage, url: URL): Promise<Answer> {
    if (!isLoopback(req.socket.remoteAddress ?? "") || !isLoopback(hostName(req.headers.host))) {
      return fail(403, "The dashboard is answered on loopback only (https://127.0.0.1 or https://localhost)");
    }
    if (req.method !== "GET") return fail(405, `Method ${req.method} is not allowed here`, { Allow: "GET" });
    if (url.pathname === VIEW_PATH) return this.view(url.searchParams);
    const asset = (await pageAssets()).get(url.pathname);
    return asset === undefined ? fail(404, `Route GET ${url.pathname} not found`) : { status: 200, ...asset };
  }

  private summary(device: DeviceRow): DeviceSummary {
    return {
      id: device.id,
      name: device.name,
      active: device.active,
      lastInput: device.last_input === null ? null : new Date(device.last_input).toISOString(),
      records: this.store.count(device.key),
    };
  }

  private view(params: URLSearchParams): Answer {
    const period = whole(params, "period", 1);
    if (typeof period === "string") return fail(400, period);
    const after = whole(params, "after", 0);
    if (typeof after === "string") return fail(400, after);
    const devices = this.store.devices();
    const id = params.get("device");
    const device = id === null ? devices[0] : devices.find((d) => d.id === id);
    if (device === undefined && id !== null) return fail(404, "No device has this id");
    const answer: ViewAnswer = { devices: devices.map((d) => this.summary(d)) };
    if (device !== undefined) {
      const summary = answer.devices[devices.indexOf(device)];
      answer.view = this.deviceView(device, summary, period ?? null, after ?? 0);
    }
    return json(200, answer);
  }

  private deviceView(device: DeviceRow, summary: DeviceSummary, periodMs: number | null, after: number): DeviceView {
    const newestMs = this.store.newest(device.key);
    const since = newestMs === null ? Number.NEGATIVE_INFINITY : periodStart(newestMs, periodMs);
    const points = this.store.points(device.key, after, since, MAX_POINTS_PER_ANSWER);
    // A Map, not an object: "__proto__" is a valid variable name.
    const series = new Map<string, Series>();
    for (const p of points) {
      let s = series.get(p.variable);
      if (s === undefined) series.set(p.variable, (s = { t: [], v: [] }));
      s.t.push(p.time);
      s.v.push(p.value);
    }
    const complete = points.length < MAX_POINTS_PER_ANSWER;
    return {
      device: summary,
      newestMs,
      latest: this.store.latest(device.key).map(({ variable, value, unit, time }) => ({ variable, value, unit, time })),
      params: this.store.params(device.key).map(({ key, value, sent }) => ({ key, value, sent })),
      series: Object.fromEntries(series),
      mark: complete ? this.store.mark() : points[points.length - 1].seq,
      complete,
    };
  }
}
