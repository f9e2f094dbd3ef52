// XS conformance of the Moddable ports: boot() from firmware/moddable/boot.ts, with every
// Moddable module replaced by the portable fakes of test/moddable/fakes.ts and a configuration
// shaped as mcconfig gives it (all strings), runs on the real XS engine (xsnap, in its own
// process) and on Node from the very same bundle. Trace lines, every request as it went out on
// the fake socket and the agent's snapshot must be identical, and the outcome must be the one the
// ports promise: no request before SNTP, the token header on each, an ASCII JSON body streamed in
// pieces that fit the socket's room, the response bound, the port's own timeout, a redacted token
// in every line, every reading accounted for; and with an invalid configuration, every problem
// traced and no Request ever constructed.

import { beforeAll, describe, expect, it } from "vitest";
import { TOKEN } from "../support/fixtures.js";
import { bundle } from "../../tools/xs/bundle.js";
import { command, replyValue } from "../../tools/xs/command-host.js";
import { runOnNode, runOnXs } from "../../tools/xs/engines.js";
import { ESP32_ROOM, SIMULATOR_ROOM, type SeenRequest } from "../moddable/fakes.js";
import {
  BIG_BODY_BYTES,
  BIG_FRAGMENT,
  INVALID_TOKEN,
  MAX_RESPONSE_BYTES,
  MODDABLE_SCENARIOS,
  PLAN_KINDS,
  REQUEST_TIMEOUT_MS,
  SNTP_SECONDS,
  type ModdableRun,
} from "./moddable-scenario.js";

const NAMES = Object.keys(MODDABLE_SCENARIOS);
const runs: Record<string, { xs: ModdableRun; node: ModdableRun }> = {};
let xsGlobals: Array<[string, string]> = [];

beforeAll(async () => {
  const code = await bundle("test/xs/xs-entry.ts");
  const commands = NAMES.map((name) => command("moddable", name));
  const [xs, node] = await Promise.all([
    runOnXs(code, [[...commands, command("globals")].map((c) => ({ command: c }))]),
    runOnNode(code, commands),
  ]);
  NAMES.forEach((name, i) => {
    runs[name] = { xs: replyValue(xs[0][i].reply ?? ""), node: replyValue(node[i]) };
  });
  xsGlobals = replyValue(xs[0][NAMES.length].reply ?? "");
}, 60_000);

/** The requests that went out: all but the one whose connection failed before sending. */
/** The uploads, in order (landing checks are GETs between them). */
const uploads = (r: ModdableRun): SeenRequest[] => r.requests.filter((q) => q.method === "POST");
const sent = (r: ModdableRun): SeenRequest[] => uploads(r).filter((_, i) => PLAN_KINDS[i] !== "error");

/** The messages after the body went: the answer. */
const answered = (request: SeenRequest): number[] => request.messages.filter((m) => m !== 0);

const recordsOf = (request: SeenRequest): Array<Record<string, unknown>> => JSON.parse(request.body) as Array<Record<string, unknown>>;

describe("the Moddable ports on XS", () => {
  it("ran on the XS engine (no console, no setTimeout there)", () => {
    expect(Object.fromEntries(xsGlobals)).toMatchObject({ TextEncoder: "function", console: "undefined", setTimeout: "undefined" });
  });

  it.each(NAMES)("%s: identical trace, requests and snapshot on XS and on Node", (name) => {
    const { xs, node } = runs[name];
    expect(xs.trace.length).toBeGreaterThan(0);
    expect(xs.trace).toEqual(node.trace);
    expect(xs.requests).toEqual(node.requests);
    expect(xs.snapshot).toEqual(node.snapshot);
    expect(xs).toEqual(node);
  });
});

describe("device-run: boot() with mcconfig strings, over the fake SDK modules", () => {
  const run = (): ModdableRun => runs["device-run"].xs;

  it("boots with the journal on flash, watches Wi-Fi (already addressed) and asks SNTP once", () => {
    const r = run();
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.wifi).toEqual({ monitors: 1, connects: 0 });
    expect(r.sntp).toEqual([{ host: "pool.ntp.org", atMs: 0, answeredAtMs: 3_000 }]);
    expect(r.timeSets).toEqual([SNTP_SECONDS]);
    expect(r.trace).toContain(`3000 info: clock: set by SNTP to ${new Date(SNTP_SECONDS * 1000).toISOString()}`);
    expect(r.snapshot?.journal).toBeDefined();
    expect(r.flash.writes).toBeGreaterThan(0);
  });

  it("sends no request before SNTP answered, each over TLS with the Device-Token and an exact Content-Length on the wire", () => {
    const r = run();
    const synced = r.sntp[0].answeredAtMs ?? Infinity;
    expect(r.requests.length).toBeGreaterThanOrEqual(PLAN_KINDS.length + 2);
    for (const request of r.requests) {
      expect(request.atMs).toBeGreaterThan(synced);
      expect(request).toMatchObject({ host: "api.tago.io", port: 443, secure: true });
    }
    for (const request of sent(r)) {
      expect(request.requestLine).toBe("POST /data HTTP/1.1");
      expect(request.headers).toEqual([
        ["Connection", "close"],
        ["Host", "api.tago.io"],
        ["Content-Type", "application/json"],
        ["Device-Token", TOKEN],
        ["Content-Length", String(request.body.length)],
      ]);
    }
  });

  it("sends the body as an ASCII JSON array of timed records", () => {
    for (const request of sent(run())) {
      expect(request.body).toMatch(/^\[[\x20-\x7e]*\]$/);
      const records = recordsOf(request);
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) {
        expect(["temperature", "humidity", "pressure", "temperature_bmp280"]).toContain(record.variable);
        expect(typeof record.value).toBe("number");
        expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    }
  });

  it("met the planned answers in order: ok, -2 before sending, 503, oversized 200, silence, then ok", () => {
    const r = run();
    expect(uploads(r)[1]).toMatchObject({ messages: [-2], requestLine: "", body: "", pieces: [] });
    expect(answered(uploads(r)[2]).slice(0, 1)).toEqual([1]);
    for (const request of uploads(r).slice(PLAN_KINDS.length, -1)) expect(answered(request)).toEqual([1, 2, 3, 4, 5]);
    expect(
      r.trace.some((line) =>
        /warn: upload of \d+ readings failed: network: other: no connection to api\.tago\.io:443 before the request was sent: /.test(line),
      ),
    ).toBe(true);
    expect(r.trace.some((line) => /warn: upload of \d+ readings failed: server: Service Unavailable$/.test(line))).toBe(true);
    expect(r.snapshot?.failures).toMatchObject({ network: 1, server: 1, "not-acknowledged": 1, timeout: 1 });
  });

  it("cut the oversized body at maxResponseBytes and closed the request without reading the rest", () => {
    const big = uploads(run())[3];
    expect(big.bytesRead).toBe(MAX_RESPONSE_BYTES);
    expect(big.bytesOffered).toBe(Math.ceil((MAX_RESPONSE_BYTES + 1) / BIG_FRAGMENT) * BIG_FRAGMENT);
    expect(big.bytesOffered).toBeLessThan(BIG_BODY_BYTES);
    expect(big.messages).not.toContain(5);
    expect(big.closed).toBeGreaterThan(0);
    expect(run().trace.some((line) => line.includes("without a TagoIO success envelope (body over the read bound)"))).toBe(true);
  });

  it("after each ambiguous outcome (the oversized 200, the silence) asks with a GET through the same port, again after a failed one, then resends what it did not find", () => {
    const r = run();
    const checks = r.requests.filter((q) => q.method === "GET");
    // The first check meets a 503, the second silence (closed by the timeout), the others an empty list.
    expect(checks.map(answered)).toEqual([[1, 3, 4, 5], [], [1, 3, 4, 5], [1, 3, 4, 5]]);
    expect(checks[1].closedAtMs).toBe(checks[1].atMs + REQUEST_TIMEOUT_MS);
    for (const q of checks) {
      expect(q.requestLine).toMatch(/^GET \/data\?qty=\d+&skip=0&ordination=ascending(&variables%5B\d+%5D=\w+)+(&groups%5B\d+%5D=\w+)+ HTTP\/1\.1$/);
      expect(q.headers).toEqual([
        ["Connection", "close"],
        ["Host", "api.tago.io"],
        ["Device-Token", TOKEN],
      ]);
      expect(q.body).toBe("");
      expect(q.pieces).toEqual([]);
    }
    for (const k of [3, 4]) {
      const ambiguous = uploads(r)[k];
      expect(r.requests[r.requests.indexOf(ambiguous) + 1].method).toBe("GET");
      // Nothing found: the same readings go again, first in the next upload.
      expect(recordsOf(uploads(r)[k + 1]).slice(0, recordsOf(ambiguous).length)).toEqual(recordsOf(ambiguous));
    }
    expect(r.snapshot?.landing).toMatchObject({ checks: 4, checkFailures: 2, found: 0, partial: 0, missing: 2, resentAnyway: 0 });
  });

  it("fired its own timeout on the request that never answered, closed it and counted it", () => {
    const r = run();
    const silent = uploads(r)[4];
    expect(answered(silent)).toEqual([]);
    expect(silent.closedAtMs).toBe(silent.atMs + REQUEST_TIMEOUT_MS);
    expect(r.snapshot?.failures.timeout).toBe(1);
    expect(r.trace).toContain(
      `${silent.atMs + REQUEST_TIMEOUT_MS} warn: upload of ${recordsOf(silent).length} readings failed: timeout: no complete answer within ${REQUEST_TIMEOUT_MS} ms`,
    );
  });

  it("never traces the token whole", () => {
    const r = run();
    expect(r.trace.filter((line) => line.includes(TOKEN))).toEqual([]);
    expect(r.trace.some((line) => line.includes(`****${TOKEN.slice(-4)}`))).toBe(true);
  });

  it("accounts for every reading: sampled = delivered + droppedTotal + buffered + filtered", () => {
    const r = run();
    const s = r.snapshot;
    if (s === null) throw new Error("no snapshot");
    expect(s.sampled).toBeGreaterThan(300);
    expect(s.sampled).toBe(s.delivered + s.droppedTotal + s.buffered + s.filtered);
    expect(s.requests).toBe(r.requests.length);
    // Acknowledged: the first request and every one after the silent one (the last may be in flight).
    const acked = uploads(r).filter((q, i) => (i === 0 || i >= PLAN_KINDS.length) && q.messages.includes(5));
    expect(s.acknowledged).toBe(acked.length);
    expect(s.delivered).toBe(acked.reduce((n, q) => n + recordsOf(q).length, 0));
    expect(s.droppedTotal).toBe(0);
  });
});

describe.each([
  ["device-run", ESP32_ROOM],
  ["simulator-room", SIMULATOR_ROOM],
])("%s: the body streamed through message 0", (name, room) => {
  it(`hands over pieces of at most the room offered (${room} bytes a writable event) and the simulator's, and the whole body arrives`, () => {
    const requests = sent(runs[name].xs);
    expect(requests.length).toBeGreaterThan(PLAN_KINDS.length);
    for (const request of requests) {
      expect(request.pieces.every((p) => p.bytes > 0 && p.bytes <= p.room && p.room <= room && p.bytes <= SIMULATOR_ROOM)).toBe(true);
      expect(request.pieces.reduce((n, p) => n + p.bytes, 0)).toBe(request.body.length);
      // one message 0 per piece, and a last one answered with undefined
      expect(request.messages.filter((m) => m === 0)).toHaveLength(request.pieces.length + 1);
    }
    // Pieces stop at the simulator's room on an ESP32 too (the TLS records' memory): every upload
    // longer than that goes in several, whatever room the socket offers.
    const multiPiece = requests.filter((q) => q.pieces.length > 1);
    expect(multiPiece).toEqual(requests.filter((q) => q.body.length > SIMULATOR_ROOM));
    expect(multiPiece.length).toBeGreaterThan(0);
  });
});

describe("invalid-config: a bad interval and a bad upload interval", () => {
  it("traces every problem and constructs no Request, SNTP or Wi-Fi watcher", () => {
    const r = runs["invalid-config"].xs;
    expect(r.ok).toBe(false);
    expect(r.setup).toBeNull();
    expect(r.snapshot).toBeNull();
    expect(r.problems.length).toBe(2);
    expect(r.problems.some((p) => p.startsWith("sampleIntervalMs: "))).toBe(true);
    expect(r.problems.some((p) => p.startsWith("uploadIntervalMs: "))).toBe(true);
    expect(r.trace).toEqual([
      ...r.problems.map((p) => `0 error: config: ${p}`),
      "0 error: agent: not started (2 configuration problems); nothing is sampled or uploaded until the settings are fixed and the firmware rebuilt",
    ]);
    expect(r.requests).toEqual([]);
    expect(r.sntp).toEqual([]);
    expect(r.wifi).toEqual({ monitors: 0, connects: 0 });
    expect(r.flash).toEqual({ writes: 0, erases: 0 });
    expect(r.pendingTimers).toBe(0);
  });
});

describe("setup: a token that is not one", () => {
  it("answers set-up, traces every problem but never the token, and starts nothing", () => {
    const r = runs.setup.xs;
    expect(r.ok).toBe(false);
    expect(r.setup).toEqual(["token"]);
    expect(r.problems.some((p) => p.startsWith("token: "))).toBe(true);
    expect(r.problems.some((p) => p.startsWith("sampleIntervalMs: "))).toBe(true);
    expect(r.trace).toEqual([
      ...r.problems.map((p) => `0 warn: config: ${p}`),
      "0 warn: agent: not started: no usable token; this build has no set-up page or settings store: give them to mcconfig",
    ]);
    expect(r.trace.filter((line) => line.includes(INVALID_TOKEN))).toEqual([]);
    expect(r.requests).toEqual([]);
    expect(r.sntp).toEqual([]);
    expect(r.wifi).toEqual({ monitors: 0, connects: 0 });
    expect(r.pendingTimers).toBe(0);
  });
});
