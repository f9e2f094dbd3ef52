// XS conformance: the agent core, bundled with portable fake ports and the scenarios, runs on the
// real XS engine (xsnap, in its own process) and on Node from the very same bundle. Every request
// body, header, timing, log line and final counter must be identical, and each scenario's outcome
// must be the one the uplink policy promises.

import { beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../tools/xs/bundle.js";
import { command, replyValue } from "../../tools/xs/command-host.js";
import { runOnNode, runOnXs } from "../../tools/xs/engines.js";
import type { Exchange, ScenarioResult } from "./scenario.js";
import { acknowledged, delivered, EARLIEST_MS, expectAsciiUpload, expectSameOnBoth, records, RESPONSE_DELAY_MS, SAMPLE_MS, type DataRecord } from "./results.js";
import {
  DEVICE_400,
  LOST_ACKS,
  MAX_STRING_LENGTH,
  OUTAGE,
  RATE_LIMITS,
  REFUSED_READING,
  REPORTING,
  RING_CAPACITY,
  RING_OUTAGE,
  SCENARIOS,
  STRINGS,
  SYNC,
  TELEMETRY_MS,
  WALL_START_MS,
} from "./scenarios.js";

const NAMES = Object.keys(SCENARIOS);

interface Runs {
  xs: ScenarioResult;
  node: ScenarioResult;
}
const runs: Record<string, Runs> = {};
let xsGlobals: Array<[string, string]> = [];

beforeAll(async () => {
  const code = await bundle("test/xs/xs-entry.ts");
  const commands = NAMES.map((name) => command("scenario", name));
  const xsSteps = [...commands, command("globals")].map((c) => ({ command: c }));
  const [xs, node] = await Promise.all([runOnXs(code, [xsSteps]), runOnNode(code, commands)]);
  NAMES.forEach((name, i) => {
    runs[name] = { xs: replyValue(xs[0][i].reply ?? ""), node: replyValue(node[i]) };
  });
  xsGlobals = replyValue(xs[0][NAMES.length].reply ?? "");
  // Every scenario on both engines: a few minutes when the machine is busy.
}, 240_000);

it("runs on an XS engine that offers TextEncoder and TextDecoder but no console, timers or structuredClone", () => {
  expect(Object.fromEntries(xsGlobals)).toEqual({
    TextEncoder: "function",
    TextDecoder: "function",
    console: "undefined",
    setTimeout: "undefined",
    queueMicrotask: "undefined",
    structuredClone: "undefined",
  });
});

const key = (r: DataRecord): string => `${r.variable}@${r.time ?? r.group}`;
const timeOf = (r: DataRecord): number => Date.parse(r.time ?? "");
/** Sample times (wall ms) of the delivered readings. */
const deliveredTimes = (r: ScenarioResult): Set<number> => new Set(delivered(r).map(timeOf));

describe.each(NAMES)("%s", (name) => {
  it("sends byte-identical bodies and ends with identical counters on XS and on Node", () => {
    const { xs, node } = runs[name];
    expectSameOnBoth(xs, node);
    expect(xs.snapshot).toEqual(node.snapshot);
  });

  it("keeps the invariants: every reading accounted for, ASCII JSON bodies, trusted times only", () => {
    const { xs } = runs[name];
    const s = xs.snapshot;
    expect(s.sampled).toBe(s.delivered + s.droppedTotal + s.buffered + s.filtered);
    const sent = delivered(xs);
    expect(sent.length).toBe(s.delivered);
    expect(new Set(sent.map(key)).size).toBe(sent.length);
    for (const exchange of xs.exchanges) {
      expectAsciiUpload(exchange);
      for (const record of records(exchange)) {
        expect(typeof record.variable).toBe("string");
        expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(timeOf(record)).toBeGreaterThanOrEqual(EARLIEST_MS);
      }
    }
  });
});

describe("scenario outcomes", () => {
  it("reporting-filters: a day at 10 s sends far fewer records, every one within its filters, and counts the rest filtered", () => {
    const { xs } = runs["reporting-filters"];
    const s = xs.snapshot;
    expect(s.droppedTotal).toBe(0);
    expect(s.sampled).toBe(3 * 8641);
    expect(s.delivered + s.buffered + s.filtered).toBe(s.sampled);
    expect(s.delivered).toBeLessThan(s.sampled / 5);
    const of = (name: string): DataRecord[] => delivered(xs).filter((r) => r.variable === name);
    for (const name of ["temperature", "humidity"] as const) {
      const rule = REPORTING[name];
      const sent = of(name);
      expect(sent.length).toBeGreaterThan(0);
      for (let i = 1; i < sent.length; i++) {
        const value = sent[i].value as number;
        expect(Math.round(value * 10 ** rule.decimals) / 10 ** rule.decimals).toBe(value);
        const moved = Math.abs(value - (sent[i - 1].value as number)) >= rule.delta - 1e-9;
        const gap = timeOf(sent[i]) - timeOf(sent[i - 1]);
        expect(moved || gap === rule.heartbeatMs).toBe(true);
        expect(gap).toBeLessThanOrEqual(rule.heartbeatMs);
      }
    }
    // One mean of pressure per 5 minutes (30 samples), stamped with the window's last sample; the
    // last window's may still wait in the buffer at the end.
    const pressure = of("pressure");
    expect(pressure.length).toBeGreaterThanOrEqual(Math.floor(8641 / 30) - 1);
    expect(pressure.every((r) => Number.isInteger(r.value))).toBe(true);
    expect(pressure.every((r, i) => timeOf(r) === WALL_START_MS + (30 * i + 29) * SAMPLE_MS)).toBe(true);
  });

  it("lost-acks: every upload whose answer was lost is checked with one GET before anything else goes and found, whole or in part; only what the server lacks goes again, nothing is stored twice", () => {
    const { xs } = runs["lost-acks"];
    const s = xs.snapshot;
    const uploads = xs.exchanges.filter((e) => e.body !== "");
    const lost = uploads.filter((e) => e.outcome === "reset");
    expect(lost.length).toBeGreaterThan(10);
    expect(s.landing).toMatchObject({ checks: lost.length + 1, checkFailures: 1, found: lost.length - 1, partial: 1, missing: 0, resentAnyway: 0, unchecked: 0 });
    // The half stored: only its second half goes again, at the head of the next upload.
    const half = records(xs.exchanges[LOST_ACKS.half]);
    const next = xs.exchanges.slice(LOST_ACKS.half + 1).find((e) => e.body !== "");
    expect(records(next as Exchange).slice(0, half.length - Math.ceil(half.length / 2))).toEqual(half.slice(Math.ceil(half.length / 2)));
    // Right after each lost answer comes a GET by the batch's groups, never an upload.
    xs.exchanges.forEach((e, i) => {
      if (e.body !== "" && e.outcome === "reset") expect(xs.exchanges[i + 1].body).toBe("");
    });
    // Sent twice: only the half the server never stored; stored twice: nothing.
    const sent = uploads.flatMap(records).map((r) => `${r.variable}@${r.time}`);
    const unstored = half.slice(Math.ceil(half.length / 2)).map((r) => `${r.variable}@${r.time}`);
    expect(sent.filter((k, i) => sent.indexOf(k) !== i)).toEqual(unstored);
    const stored = delivered(xs).map((r) => `${r.variable}@${r.time}`);
    expect(new Set(stored).size).toBe(stored.length);
    expect(xs.exchanges[LOST_ACKS.failedCheck].outcome).toBe("reset");
  });

  it("normal-day: a day at 10 s with 3 variables goes out in about one request a minute, nothing dropped", () => {
    const { xs } = runs["normal-day"];
    const s = xs.snapshot;
    expect(s.sampled).toBe((8640 + 1) * 3);
    expect(s.droppedTotal).toBe(0);
    // Seeded and in virtual time, so exact.
    expect(s.buffered).toBe(15);
    expect(s.requests).toBe(s.acknowledged);
    expect(s.requests).toBe(1438);
    const times = delivered(xs).map(timeOf);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
    expect(times[0]).toBe(WALL_START_MS);
  });

  it("outage-backoff: refused for 3 hours, retries back off with full jitter under the cap, then the backlog drains", () => {
    const { xs } = runs["outage-backoff"];
    const s = xs.snapshot;
    const failed = xs.exchanges.filter((e) => e.outcome === "refused");
    expect(failed.length).toBe(s.failures.network);
    expect(failed.length).toBe(76);
    expect(failed[0].atMs).toBe(OUTAGE.fromMs + 2_950);
    for (const e of failed) {
      expect(e.atMs).toBeGreaterThanOrEqual(OUTAGE.fromMs);
      expect(e.atMs).toBeLessThan(OUTAGE.toMs);
    }
    // The k-th retry waits at most min(cap, base * 2^k): backoffBaseMs 2 s, backoffCapMs 300 s.
    for (let k = 1; k < failed.length; k++) {
      const gap = failed[k].atMs - failed[k - 1].atMs - RESPONSE_DELAY_MS;
      expect(gap).toBeLessThanOrEqual(Math.min(300_000, 2_000 * 2 ** (k - 1)));
    }
    // 75 gaps of about 142 s on average: well backed off.
    expect(failed[failed.length - 1].atMs - failed[0].atMs).toBe(10_681_811);
    expect(s.droppedTotal).toBe(0);
    expect(s.buffered).toBe(18);
    // Delivering again within the backoff cap (300 s) of its end.
    const recovered = acknowledged(xs).find((e) => e.atMs >= OUTAGE.toMs);
    expect(recovered?.atMs).toBe(OUTAGE.toMs + 49_381);
  });

  it("telemetry-outage: reports every interval ride the uploads, those made offline go out after, failures told", () => {
    const { xs } = runs["telemetry-outage"];
    const s = xs.snapshot;
    expect(s.droppedTotal).toBe(0);
    const of = (name: string): DataRecord[] => delivered(xs).filter((r) => r.variable === "agent_" + name);
    // Every report but the last (made as the run ends, still buffered), at its own time.
    const uptimes = of("uptime");
    expect(uptimes.map((r) => [r.value, timeOf(r)])).toEqual(Array.from({ length: 31 }, (_, i) => [(i + 1) * 900, WALL_START_MS + (i + 1) * TELEMETRY_MS]));
    const offline = uptimes.filter((r) => timeOf(r) > WALL_START_MS + OUTAGE.fromMs && timeOf(r) < WALL_START_MS + OUTAGE.toMs);
    expect(offline.length).toBe(11);
    // No Health port in these fakes: only the agent's own counters, never an invented figure.
    expect([...new Set(delivered(xs).filter((r) => r.variable.startsWith("agent_")).map((r) => r.variable))].sort()).toEqual(
      ["agent_buffered_ram", "agent_dropped", "agent_failure_classes", "agent_failures", "agent_filtered", "agent_last_error", "agent_requests", "agent_uptime"],
    );
    const failures = of("failures");
    expect(failures[failures.length - 1].value).toBe(s.failures.network);
    expect(of("failure_classes").at(-1)?.value).toBe(`network ${s.failures.network}`);
    expect(String(of("last_error")[0].value)).toMatch(/^network: /);
    expect(of("requests").at(-1)?.value).toBeLessThanOrEqual(s.requests);
    expect(of("buffered_ram").map((r) => r.value as number).reduce((a, b) => Math.max(a, b))).toBeGreaterThan(3000);
  });

  it("rate-limited: a 429 waits the Retry-After of the message, or of the header, plus jitter under 5 s", () => {
    const { xs } = runs["rate-limited"];
    expect(xs.snapshot.failures["rate-limited"]).toBe(2);
    const jitters = RATE_LIMITS.map(({ index, waitMs }) => {
      expect(xs.exchanges[index].outcome).toBe(429);
      return xs.exchanges[index + 1].atMs - xs.exchanges[index].atMs - RESPONSE_DELAY_MS - waitMs;
    });
    expect(jitters).toEqual([58, 309]);
    expect(xs.snapshot.droppedTotal).toBe(0);
  });

  it("bisect-400: only the refused reading is dropped as invalid, its neighbours are delivered", () => {
    const { xs } = runs["bisect-400"];
    const s = xs.snapshot;
    expect(s.dropped.invalid).toBe(1);
    expect(s.droppedTotal).toBe(1);
    expect(s.failures.invalid).toBe(5);
    const sent = delivered(xs);
    expect(sent.some((r) => r.variable === REFUSED_READING.variable && r.time === REFUSED_READING.time)).toBe(false);
    expect(sent.filter((r) => r.time === REFUSED_READING.time).map((r) => r.variable).sort()).toEqual(["humidity", "temperature"]);
    const refusedBodies = xs.exchanges.filter((e) => e.outcome === 400);
    expect(refusedBodies.every((e) => e.body.includes(REFUSED_READING.time))).toBe(true);
  });

  it("device-400: deactivated, it is refused without a drop; then only readings before the retention window are dropped", () => {
    const { xs } = runs["device-400"];
    const s = xs.snapshot;
    const refused = xs.exchanges.filter((e) => e.atMs < DEVICE_400.deactivatedUntilMs);
    // The first try at a minute, then one refusedRetryMs (15 minutes) after its answer.
    expect(refused.map((e) => e.atMs)).toEqual([60_000, 60_000 + RESPONSE_DELAY_MS + 900_000]);
    expect(refused.every((e) => e.outcome === 400)).toBe(true);
    expect(s.failures.refused).toBe(2);
    // The backlog before midnight fills more than one batch of maxBatchBytes: one refusal each.
    expect(s.failures.retention).toBe(2);
    expect(xs.exchanges.filter((e) => e.outcome === 400).every((e) => e.body.includes("2025-06-01T23:"))).toBe(true);
    // Samples every 10 s from 23:40 to midnight: 120 of three readings.
    expect(s.dropped.outsideRetention).toBe(360);
    expect(s.droppedTotal).toBe(360);
    expect(delivered(xs).every((r) => timeOf(r) >= DEVICE_400.windowOpensMs)).toBe(true);
    expect(delivered(xs)[0].time).toBe(new Date(DEVICE_400.windowOpensMs).toISOString());
    expect(s.state).toBe("idle");
  });

  const VARIABLE_ORDER = ["temperature", "humidity", "pressure"];

  /** Readings up to `untilMs` never delivered, as positions in sampling order (3 per sample). */
  function missingReadings(r: ScenarioResult, untilMs: number): number[] {
    const sent = new Set(delivered(r).map(key));
    const out: number[] = [];
    for (let t = WALL_START_MS, n = 0; t <= untilMs; t += SAMPLE_MS) {
      for (const variable of VARIABLE_ORDER) {
        if (!sent.has(`${variable}@${new Date(t).toISOString()}`)) out.push(n);
        n++;
      }
    }
    return out;
  }

  /** Wall time of the sample a reading position belongs to. */
  const sampleTime = (position: number): number => WALL_START_MS + SAMPLE_MS * Math.floor(position / 3);

  function checkFullRing(name: string): { first: number; last: number; recoveredMs: number } {
    const { xs } = runs[name];
    const s = xs.snapshot;
    expect(s.dropped.bufferFull).toBe(1064);
    expect(s.droppedTotal).toBe(s.dropped.bufferFull);
    const recovered = acknowledged(xs).find((e) => e.atMs >= RING_OUTAGE.toMs);
    expect(recovered).toBeDefined();
    const recoveredMs = WALL_START_MS + (recovered as Exchange).atMs;
    const missing = missingReadings(xs, recoveredMs);
    // Exactly the dropped readings are missing, one run of consecutive readings.
    expect(missing.length).toBe(s.dropped.bufferFull);
    expect(missing.every((p, i) => i === 0 || p === missing[i - 1] + 1)).toBe(true);
    // Delivering again 96 s after the outage.
    expect(recoveredMs).toBe(WALL_START_MS + RING_OUTAGE.toMs + 96_128);
    return { first: sampleTime(missing[0]), last: sampleTime(missing[missing.length - 1]), recoveredMs };
  }

  it("full-ring-drop-oldest: a 64-record ring through an hour's outage keeps the newest readings", () => {
    const { first, last, recoveredMs } = checkFullRing("full-ring-drop-oldest");
    const kept = Math.floor(RING_CAPACITY / 3) - 1;
    // Lost: from a minute before the outage began to 2 minutes before it ended.
    expect(first).toBe(WALL_START_MS + RING_OUTAGE.fromMs - 60_000);
    expect(last).toBe(WALL_START_MS + RING_OUTAGE.toMs - 120_000);
    const sent = deliveredTimes(runs["full-ring-drop-oldest"].xs);
    const lastSample = recoveredMs - ((recoveredMs - WALL_START_MS) % SAMPLE_MS);
    for (let i = 0; i < kept; i++) expect(sent.has(lastSample - i * SAMPLE_MS)).toBe(true);
  });

  it("full-ring-drop-newest: a 64-record ring through an hour's outage keeps the oldest readings", () => {
    const { first, last, recoveredMs } = checkFullRing("full-ring-drop-newest");
    const outageStart = WALL_START_MS + RING_OUTAGE.fromMs;
    expect(first).toBe(outageStart + 150_000);
    expect(last).toBe(WALL_START_MS + RING_OUTAGE.toMs + 90_000);
    expect(last).toBeLessThan(recoveredMs);
    const sent = deliveredTimes(runs["full-ring-drop-newest"].xs);
    for (let t = outageStart; t <= outageStart + 10 * SAMPLE_MS; t += SAMPLE_MS) expect(sent.has(t)).toBe(true);
  });

  it("non-ascii-strings: accents, emoji, quotes and control characters arrive exactly; too long is counted", () => {
    const { xs } = runs["non-ascii-strings"];
    const s = xs.snapshot;
    const samples = s.sampled / 3;
    const tooLong = STRINGS.filter((t) => [...t].length > MAX_STRING_LENGTH);
    expect(tooLong.length).toBe(1);
    const tooLongTaken = Math.floor((samples - 1 - STRINGS.indexOf(tooLong[0])) / STRINGS.length) + 1;
    expect(s.dropped.stringTooLong).toBe(tooLongTaken);
    expect(s.droppedTotal).toBe(tooLongTaken);
    const sent = delivered(xs);
    const labels = sent.filter((r) => r.variable === "label").map((r) => r.value);
    const expected = Array.from({ length: samples }, (_, i) => STRINGS[i % STRINGS.length]).filter((t) => t !== tooLong[0]);
    expect(labels.length).toBe(104);
    expect(labels).toEqual(expected.slice(0, labels.length));
    const doors = sent.filter((r) => r.variable === "door_open").map((r) => r.value);
    expect(doors).toEqual(Array.from({ length: doors.length }, (_, i) => (i % STRINGS.length) % 3 === 0));
    expect(sent.filter((r) => r.variable === "temperature").every((r) => r.unit === "°C")).toBe(true);
  });

  it("presync-rebase: nothing leaves before SNTP, readings taken before it carry exactly rebased times", () => {
    const { xs } = runs["presync-rebase"];
    expect(xs.exchanges[0].atMs).toBe(SYNC.atMs);
    expect(xs.snapshot.clockTrusted).toBe(true);
    expect(xs.snapshot.droppedTotal).toBe(0);
    const first = records(xs.exchanges[0]);
    const bootWallMs = SYNC.wallMs - SYNC.atMs;
    expect(first[0].time).toBe(new Date(bootWallMs).toISOString());
    const times = delivered(xs).map(timeOf);
    times.forEach((t, i) => expect(t).toBe(bootWallMs + SAMPLE_MS * Math.floor(i / 3)));
  });
});
