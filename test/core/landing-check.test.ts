// The landing check, on the real agent against the in-memory TagoIO (which answers `GET /data` by
// TagoIO's query semantics): after an ambiguous outcome the agent asks before it sends again, and
// finds the batch all there, not there, or in part there; a check that fails is asked again, and
// past `checkDeadlineMs` the batch goes unchecked; hostile answers to the check are classified.
// sampled = delivered + dropped + buffered holds after every event.

import { describe, expect, it } from "vitest";
import type { Snapshot } from "../../firmware/core/agent.js";
import { DEFAULTS } from "../../firmware/core/config.js";
import { LandingCheck, type Landing } from "../../firmware/core/landing-check.js";
import type { HttpResult } from "../../firmware/ports.js";
import { reply } from "../../firmware/fakes/scripted-http.js";
import type { StoredReading } from "../../firmware/fakes/fake-tago.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";
import { SimDevice } from "../support/sim-device.js";

const MINUTE = 60_000;
const RESET: HttpResult = { ok: false, error: "reset", message: "connection reset after the request was sent", bodySent: true };

function watch(device: SimDevice): Snapshot[] {
  const broken: Snapshot[] = [];
  device.onStep = (s) => {
    if (!invariantHolds(s)) broken.push(s);
  };
  return broken;
}

/** A device whose second POST is answered by `second` (the others stored and acknowledged). */
function deviceWithSecond(second: (records: StoredReading[], device: SimDevice) => HttpResult | "lose-ack", config: Record<string, unknown> = {}): SimDevice {
  const device = new SimDevice({ config: { uploadIntervalMs: 10_000, ...config } });
  device.tago.rule = (e) => {
    if (e.index !== 1) return "store";
    return second(e.records, device);
  };
  return device;
}

/** Every reading the fake stored once, and the agent's books agree with it. */
function expectStoredOnce(device: SimDevice, s: Snapshot): void {
  expect(device.tago.duplicates()).toBe(0);
  expect(device.tago.stored.length).toBe(s.delivered);
  expect(s.sampled).toBe(s.delivered + s.droppedTotal + s.buffered);
}

describe("Landing check on the agent", () => {
  it("all there: one GET by the batch's groups and variables, the batch delivered, nothing sent again", async () => {
    const device = deviceWithSecond(() => "lose-ack");
    const broken = watch(device);
    device.agent.start();
    const s = await device.run(5 * MINUTE);
    expect(broken).toEqual([]);
    expect(s.landing).toMatchObject({ checks: 1, found: 1, missing: 0, partial: 0, checkFailures: 0, resentAnyway: 0 });
    const lost = device.tago.exchanges[1].records;
    const path = device.tago.checks[0];
    expect(path).toMatch(/^\/data\?qty=\d+&skip=0&ordination=ascending&variables%5B0%5D=temperature/);
    for (const group of new Set(lost.map((r) => r.group))) expect(path).toContain(`=${group}`);
    // The request after the check carries none of the lost batch.
    const after = device.tago.exchanges[2].records.map((r) => JSON.stringify(r));
    for (const r of lost) expect(after).not.toContain(JSON.stringify(r));
    expectStoredOnce(device, s);
  });

  it("none there: the whole batch goes again, once", async () => {
    const device = deviceWithSecond(() => RESET);
    const broken = watch(device);
    device.agent.start();
    const s = await device.run(5 * MINUTE);
    expect(broken).toEqual([]);
    expect(s.landing).toMatchObject({ checks: 1, found: 0, missing: 1 });
    expect(device.tago.exchanges[2].records).toEqual(device.tago.exchanges[1].records);
    expectStoredOnce(device, s);
  });

  it("part there: only what is missing goes again; the batch is counted delivered once", async () => {
    const device = deviceWithSecond((records, d) => {
      // A server that stored the first half before the connection died.
      d.tago.stored.push(...records.slice(0, Math.floor(records.length / 2)));
      return RESET;
    });
    const broken = watch(device);
    device.agent.start();
    const s = await device.run(5 * MINUTE);
    expect(broken).toEqual([]);
    expect(s.landing).toMatchObject({ checks: 1, partial: 1, found: 0, missing: 0 });
    const sent = device.tago.exchanges[1].records;
    const resent = device.tago.exchanges[2].records;
    expect(resent.slice(0, sent.length - Math.floor(sent.length / 2))).toEqual(sent.slice(Math.floor(sent.length / 2)));
    expectStoredOnce(device, s);
  });

  it("a check that fails ambiguously is asked again, with backoff, then succeeds", async () => {
    const device = deviceWithSecond(() => "lose-ack");
    device.tago.checkRule = (_path, i) => (i < 2 ? RESET : "answer");
    const broken = watch(device);
    device.agent.start();
    const s = await device.run(10 * MINUTE);
    expect(broken).toEqual([]);
    expect(s.landing).toMatchObject({ checks: 3, checkFailures: 2, found: 1, resentAnyway: 0 });
    expectStoredOnce(device, s);
  });

  it("a check that keeps failing: the batch goes again unchecked after checkDeadlineMs, and is counted", async () => {
    const device = deviceWithSecond(() => "lose-ack", { checkDeadlineMs: 120_000, backoffCapMs: 20_000 });
    device.tago.checkRule = () => ({ ok: false, error: "timeout", message: "no answer", bodySent: true });
    const broken = watch(device);
    device.agent.start();
    let s = await device.run(100_000);
    // Within the deadline only GETs go: the lost batch waits.
    expect(s.state).toBe("checking");
    expect(device.tago.exchanges.length).toBe(2);
    s = await device.run(5 * MINUTE);
    expect(broken).toEqual([]);
    expect(s.landing.resentAnyway).toBe(1);
    expect(s.landing.checkFailures).toBe(s.landing.checks);
    expect(s.landing.checks).toBeGreaterThanOrEqual(3);
    // The price of giving up: the lost batch is stored twice.
    expect(device.tago.duplicates()).toBe(device.tago.exchanges[1].records.length);
    expect(s.sampled).toBe(s.delivered + s.droppedTotal + s.buffered);
  });

  it("a refused device or token answering the check never makes the batch go unchecked", async () => {
    const device = deviceWithSecond(() => "lose-ack", { checkDeadlineMs: 60_000, refusedRetryMs: 60_000 });
    device.tago.checkRule = (_path, i) => (i < 3 ? reply(400, { status: false, message: "Device is deactivated" }) : "answer");
    device.agent.start();
    let s = await device.run(2 * MINUTE);
    expect(s.state).toBe("refused");
    s = await device.run(5 * MINUTE);
    expect(s.landing).toMatchObject({ checks: 4, checkFailures: 3, found: 1, resentAnyway: 0 });
    expectStoredOnce(device, s);
  });

  it("a one-variable configuration (no group) is asked for by time span; without a time it cannot be checked", async () => {
    const one = { variables: [{ name: "temperature", unit: "°C", sensor: "sht3x", field: "thermometer.temperature" }] };
    const device = deviceWithSecond(() => "lose-ack", one);
    device.agent.start();
    let s = await device.run(5 * MINUTE);
    expect(device.tago.checks[0]).toMatch(/&start_date=2026-11-26T00%3A00%3A\d\d\.000Z&end_date=2026-11-26T00%3A00%3A\d\d\.000Z$/);
    expect(s.landing).toMatchObject({ checks: 1, found: 1 });
    expectStoredOnce(device, s);

    const untimed = new SimDevice({ trusted: false, config: { uploadIntervalMs: 10_000, uploadWithoutTime: true, ...one } });
    untimed.tago.rule = (e) => (e.index === 1 ? "lose-ack" : "store");
    untimed.agent.start();
    s = await untimed.run(5 * MINUTE);
    expect(s.landing).toMatchObject({ checks: 0, unchecked: 1 });
    // Nothing tells those readings apart on the server: the lost batch is stored twice.
    expect(untimed.tago.stored.length).toBe(s.delivered + untimed.tago.exchanges[1].records.length);
    expect(untimed.tago.exchanges[2].records.slice(0, untimed.tago.exchanges[1].records.length)).toEqual(untimed.tago.exchanges[1].records);
  });

  it("a 2xx whose body is not TagoIO's envelope is ambiguous too: checked before anything goes again", async () => {
    const device = deviceWithSecond((records, d) => {
      d.tago.stored.push(...records);
      return reply(200, "<html>proxy</html>");
    });
    device.agent.start();
    const s = await device.run(5 * MINUTE);
    expect(s.landing).toMatchObject({ checks: 1, found: 1 });
    expectStoredOnce(device, s);
  });

  it("a failure before the body went whole (refused) is not ambiguous: no check", async () => {
    const device = deviceWithSecond(() => ({ ok: false, error: "refused", message: "connect ECONNREFUSED", bodySent: false }));
    device.agent.start();
    const s = await device.run(5 * MINUTE);
    expect(s.landing.checks).toBe(0);
    expectStoredOnce(device, s);
  });
});

describe("LandingCheck: matching and hostile answers", () => {
  const WALL = Date.UTC(2026, 10, 26, 1, 2, 3, 456);
  const landings: Landing[] = [
    { at: 0, variable: "temperature", group: WALL.toString(36), wall: WALL, value: 21.5 },
    { at: 1, variable: "humidity", group: WALL.toString(36), wall: WALL, value: 40 },
    { at: 2, variable: "door", group: "u1a2b", wall: -1, value: true },
    { at: 3, variable: "state", group: WALL.toString(36), wall: WALL, value: "ok" },
  ];
  const ok = (result: unknown, truncated = false): HttpResult => {
    const r = reply(200, { status: true, result });
    if (r.ok) r.response.truncated = truncated;
    return r;
  };
  const PAGE_BYTES = DEFAULTS.maxBatchBytes;
  const check = () => new LandingCheck(landings, 4, 0, false, PAGE_BYTES);

  it("matches on lowercased variable, group, the instant however written, and value; each record once", () => {
    const c = check();
    const step = c.take(
      ok([
        { variable: "TEMPERATURE", value: 21.5, group: WALL.toString(36), time: "2026-11-26T01:02:03.456+00:00" },
        { variable: "temperature", value: 21.5, group: WALL.toString(36), time: "2026-11-26T01:02:03.456Z" },
        { variable: "humidity", value: 40, group: "other", time: "2026-11-26T01:02:03.456Z" },
        { variable: "door", value: "true", group: "u1a2b", time: "2026-11-26T09:00:00.000Z" },
        { variable: "state", value: "OK", group: WALL.toString(36), time: "2026-11-26T01:02:03.456Z" },
      ]),
      -1,
    );
    expect(step).toEqual({ kind: "done" });
    expect(c.found).toEqual([true, false, true, false]);
  });

  it("asks for the next page only while a full page leaves readings unfound", () => {
    const c = new LandingCheck(landings.slice(0, 1), 1, 0, false, PAGE_BYTES);
    expect(c.path()).toMatch(/qty=2&skip=0/);
    const noise = { variable: "temperature", value: 1, group: WALL.toString(36), time: "2026-11-26T01:02:03.456Z" };
    expect(c.take(ok([noise, noise]), -1)).toEqual({ kind: "next-page" });
    expect(c.path()).toMatch(/qty=2&skip=2/);
    expect(c.take(ok([noise]), -1)).toEqual({ kind: "done" });
  });

  it("classifies hostile answers as failed checks, never throwing, and reads a bounded answer", () => {
    const deep = "[".repeat(100_000);
    const answers: HttpResult[] = [
      reply(200, "<html>captive portal</html>"),
      reply(200, { status: true, result: "3 Data" }),
      reply(200, { status: false, message: "nope" }),
      reply(200, deep),
      ok([], true),
      reply(500, "<h1>bad gateway</h1>"),
      reply(429, { status: false, message: "Too many requests (Retry-After: 9)" }),
      reply(401, { status: false, result: "Authorization denied" }),
      reply(413, "too large"),
      { ok: true, response: { status: 200, headers: {}, body: new Uint8Array([0xff, 0xfe, 0x00, 0x7b]), truncated: false } },
      RESET,
    ];
    for (const answer of answers) {
      const c = check();
      const step = c.take(answer, -1);
      expect(step.kind).toBe("failed");
      expect(c.found).toEqual([false, false, false, false]);
    }
    const weird = check();
    expect(weird.take(ok([null, 5, "x", [], { variable: 7 }, { variable: "temperature", value: { a: 1 }, group: WALL.toString(36), time: "x" }]), -1)).toEqual({ kind: "done" });
    expect(weird.foundCount).toBe(0);
    expect(check().maxResponseBytes).toBeLessThanOrEqual(1024 + 8 * 512);
  });

  it("reads a long batch in pages no larger than a batch the device sends, and stops after the pages it needs", () => {
    const long = Array.from({ length: 8000 }, (_, i) => ({ ...landings[0], at: i, value: i }));
    const c = new LandingCheck(long, 8000, 0, false, PAGE_BYTES);
    expect(c.maxResponseBytes).toBeLessThanOrEqual(PAGE_BYTES);
    const qty = Number(/qty=(\d+)/.exec(c.path())?.[1]);
    expect(qty).toBe(62);
    // A server that answers every page full of records matching nothing: the check ends, bounded.
    const noise = Array.from({ length: qty }, () => ({ variable: "temperature", value: -1, group: WALL.toString(36), time: "2026-11-26T01:02:03.456Z" }));
    let pages = 1;
    while (c.take(ok(noise), -1).kind === "next-page") pages++;
    expect(pages).toBe(Math.ceil(8001 / qty) + 1);
    expect(c.foundCount).toBe(0);
    // Even the smallest batch budget asks for one record a page.
    expect(new LandingCheck(long, 8000, 0, false, 1024).path()).toMatch(/qty=1&/);
  });

  it("cannot check readings without a group and without a time", () => {
    expect(new LandingCheck([{ at: 0, variable: "t", group: undefined, wall: -1, value: 1 }], 1, 0, false, PAGE_BYTES).checkable).toBe(false);
    expect(new LandingCheck([{ at: 0, variable: "t", group: undefined, wall: WALL, value: 1 }], 1, 0, false, PAGE_BYTES).path()).toContain("&start_date=");
  });
});

describe("In-memory TagoIO answers the check as TagoIO would", () => {
  it("filters by variables and groups in the SDK's list form", () => {
    const device = new SimDevice();
    device.tago.stored.push(
      { variable: "temperature", value: 1, group: "a", time: "2026-11-26T00:00:01.000Z" },
      { variable: "humidity", value: 2, group: "a", time: "2026-11-26T00:00:01.000Z" },
      { variable: "temperature", value: 3, group: "b", time: "2026-11-26T00:00:02.000Z" },
    );
    const values = (path: string) => device.tago.query(path).map((r) => r.value);
    expect(values("/data?qty=10&variables%5B0%5D=temperature&groups%5B0%5D=a&groups%5B1%5D=b&ordination=ascending")).toEqual([1, 3]);
    expect(values("/data?qty=1&skip=1&groups%5B0%5D=a&ordination=ascending")).toEqual([2]);
  });
});
