// `npm start` with a flash journal in a file, across a restart: a virtual half hour against an
// endpoint that refuses every connection (the first ten minutes before SNTP, so on uptime only),
// stopped mid-outage; then started again on the same flash file against the local endpoint, it
// delivers everything the first run journaled: the trusted readings with their times, the
// uptime-only ones without (the server stamps their arrival), nothing lost, nothing invented. And
// the default for a local run in real time: <data-dir>/flash.bin, recovered after a SIGTERM.

import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Journal } from "../../firmware/core/journal.js";
import { FLAG_NO_TIME } from "../../firmware/core/ring.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import type { StoredRecord } from "../../host-sim/endpoint/server.js";
import { loadOrCreateToken } from "../../host-sim/local-identity.js";
import { loadFlash } from "../../host-sim/ports/flash-file.js";
import { cli, summaryOf, tempDir } from "./cli-process.js";
import { MINUTE, START } from "./harness.js";

function lines(stdout: string): string[] {
  return stdout.trim().split("\n");
}

/** A port nothing listens on: every connection is refused. */
async function refusingPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Held {
  key: string;
  /** ISO time, or null for a reading that can only go without one. */
  time: string | null;
}

/** What the flash file's journal holds unreleased, as the next boot will see it. */
function journaled(path: string): Held[] {
  const journal = new Journal(loadFlash(path), {
    whenFull: "drop-oldest",
    variables: BOARD_VARIABLES,
    onDrop: () => undefined,
  });
  const held: Held[] = [];
  for (let r = journal.peek(); r !== undefined; r = journal.peek()) {
    journal.take();
    const key = `${journal.variablesOf(r.list)[r.variable].name}=${String(r.value)}`;
    held.push({ key, time: r.flags & FLAG_NO_TIME ? null : new Date(r.time).toISOString() });
  }
  return held;
}

/** How many times each item occurs. */
function counts(items: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(item, (out.get(item) ?? 0) + 1);
  return out;
}

/** The items of `part` missing from `whole`, counting repeats. */
function missing(part: string[], whole: string[]): string[] {
  const have = counts(whole);
  const out: string[] = [];
  for (const item of part) {
    const n = have.get(item) ?? 0;
    if (n === 0) out.push(item);
    else have.set(item, n - 1);
  }
  return out;
}

describe.concurrent("npm start with a flash file, across a restart", () => {
  it("delivers after the restart everything journaled during the outage: timed readings with their time, uptime ones without", async (test) => {
    const dataDir = await tempDir(test);
    const flashFile = join(dataDir, "flash.bin");
    const token = loadOrCreateToken(dataDir);
    const common = ["--virtual", "--flash", flashFile, "--sample-interval", "10s"];

    // Boot 1: SNTP only after 10 minutes, every connection refused, stopped after 30 minutes.
    const port = await refusingPort();
    const first = await cli([
      ...common,
      "--endpoint", `https://127.0.0.1:${port}`, "--token", token, "--ca", join(dataDir, "ca.pem"),
      "--start", new Date(START).toISOString(), "--sync-after", "10m", "--duration", "30m", "--seed", "1",
    ]);
    // A finite run that delivered nothing while readings waited.
    expect(first.code).toBe(3);
    const one = summaryOf(first);
    expect(one).toMatchObject({ delivered: 0, dropped: 0, invariantHolds: true, state: "backing-off" });
    expect(one.lastError).toMatch(/^network: /);
    expect(one.failures.network).toBeGreaterThan(0);
    expect(one.sampled).toBeGreaterThanOrEqual(3 * 177);
    expect(one.buffered).toBe(one.sampled);
    expect(one.journal).toMatchObject({ file: flashFile, flashBytes: 256 * 1024, sectors: 64, recovered: 0, held: one.sampled });
    expect(first.stderr).toContain(`Flash journal: ${flashFile} (256 KB, 64 sectors of 4 KB, new)`);
    expect(first.stderr).toMatch(/journal held \d+, recovered 0, corrupt 0, written [\d.]+ KB, erased \d+/);

    // The flash as boot 2 will find it: the first ten minutes' readings on uptime only.
    const held = journaled(flashFile);
    expect(held).toHaveLength(one.sampled);
    const untimed = held.filter((h) => h.time === null).map((h) => h.key);
    const timed = held.filter((h) => h.time !== null).map((h) => `${h.key}@${h.time}`);
    expect(untimed.length).toBeGreaterThanOrEqual(3 * 59);
    expect(untimed.length).toBeLessThanOrEqual(3 * 61);
    expect(held.every((h) => h.time === null || (Date.parse(h.time) >= START + 10 * MINUTE && Date.parse(h.time) <= START + 30 * MINUTE))).toBe(true);

    // Boot 2, a minute later, on the same flash file, against the local endpoint in the same data dir.
    const restart = START + 31 * MINUTE;
    const second = await cli([
      ...common,
      "--data-dir", dataDir, "--start", new Date(restart).toISOString(), "--duration", "10m", "--seed", "2", "--print-data",
    ]);
    expect(second.code).toBe(0);
    const two = summaryOf(second);
    expect(second.stderr).toContain(`journal: ${one.sampled} readings recovered from flash`);
    expect(two.journal).toMatchObject({ file: flashFile, recovered: one.sampled, corruptSkipped: 0, foreign: 0 });
    expect(two).toMatchObject({ dropped: 0, invariantHolds: true, storedRecords: two.delivered });
    expect(two.sampled).toBeGreaterThan(one.sampled);
    expect(two.buffered).toBeLessThanOrEqual(3 * 7);
    expect(two.journal?.held).toBe(two.buffered);

    // Nothing lost across the restart: the endpoint holds every reading journaled in boot 1.
    const stored = lines(second.stdout).slice(0, -1).map((l) => JSON.parse(l) as StoredRecord);
    expect(stored).toHaveLength(two.delivered);
    const key = (r: StoredRecord) => `${r.variable}=${String(r.value)}`;
    expect(missing(timed, stored.map((r) => `${key(r)}@${r.time}`))).toEqual([]);
    // The uptime readings went without a time: the server stamped their arrival (time = created_at).
    const stamped = stored.filter((r) => r.time === r.created_at && Date.parse(r.time) >= restart);
    expect(missing(untimed, stamped.map(key))).toEqual([]);
    // No reading carries a time from before boot 1's clock was trusted (no uptime passed off as time).
    expect(stored.every((r) => Date.parse(r.time) >= START + 10 * MINUTE)).toBe(true);
  });

  it("sends readings journaled under another variable list under their own names and units, and loses none going back", async (test) => {
    const dataDir = await tempDir(test);
    const flashFile = join(dataDir, "flash.bin");
    const token = loadOrCreateToken(dataDir);
    const common = ["--virtual", "--flash", flashFile, "--sample-interval", "10s", "--seed", "3"];
    const offline = async (start: number, extra: string[]) => {
      const port = await refusingPort();
      const out = await cli([
        ...common, ...extra,
        "--endpoint", `https://127.0.0.1:${port}`, "--token", token, "--ca", join(dataDir, "ca.pem"),
        "--start", new Date(start).toISOString(), "--duration", "5m",
      ]);
      expect(out.code).toBe(3);
      return summaryOf(out);
    };
    // Boot 1 under the default list, boot 2 under a list of one renamed variable, both offline.
    const one = await offline(START, []);
    const kelvin = '[{"name":"t_kelvin","unit":"K","sensor":"sht3x","field":"thermometer.temperature"}]';
    const two = await offline(START + 10 * MINUTE, ["--set", `variables=${kelvin}`]);
    expect(two.journal).toMatchObject({ recovered: one.sampled, foreign: one.sampled });
    // Boot 3, back under the default list, against the local endpoint.
    const third = await cli([...common, "--data-dir", dataDir, "--start", new Date(START + 20 * MINUTE).toISOString(), "--duration", "5m", "--print-data"]);
    expect(third.code).toBe(0);
    const three = summaryOf(third);
    expect(three.journal).toMatchObject({ recovered: two.sampled, foreign: two.sampled - one.sampled });
    expect(three).toMatchObject({ dropped: 0, invariantHolds: true });
    const stored = lines(third.stdout).slice(0, -1).map((l) => JSON.parse(l) as StoredRecord);
    const during = (from: number) => stored.filter((r) => Date.parse(r.time) >= START + from * MINUTE && Date.parse(r.time) < START + (from + 10) * MINUTE);
    // Every reading under the name and unit it was taken with.
    const units = (records: StoredRecord[]) => [...new Set(records.map((r) => `${r.variable} ${r.unit}`))].sort();
    expect(during(0)).toHaveLength(one.sampled);
    expect(units(during(0))).toEqual(["humidity %", "pressure Pa", "temperature °C"]);
    expect(during(10)).toHaveLength(two.sampled - one.sampled);
    expect(units(during(10))).toEqual(["t_kelvin K"]);
    expect(units(during(20))).toEqual(["humidity %", "pressure Pa", "temperature °C"]);
    expect(stored).toHaveLength(three.delivered);
  });

  it("keeps a local real-time run's journal in <data-dir>/flash.bin: after a SIGTERM, the restart delivers it", async (test) => {
    const dataDir = await tempDir(test);
    const flashFile = join(dataDir, "flash.bin");
    let sent = false;
    // Killed once a status line shows readings in the journal, not after a fixed delay.
    const first = await cli(["--data-dir", dataDir, "--sample-interval", "100ms", "--status-every", "100ms"], (text, kill) => {
      if (!sent && /journal held [1-9]/.test(text)) {
        sent = true;
        kill();
      }
    });
    expect(first.code).toBe(0);
    const one = summaryOf(first);
    expect(one.sampled).toBeGreaterThan(0);
    expect(one).toMatchObject({ delivered: 0, buffered: one.sampled, journal: { file: flashFile, held: one.sampled } });

    const second = await cli(["--data-dir", dataDir, "--sample-interval", "1s", "--upload-interval", "1s", "--duration", "1500ms"]);
    expect(second.code).toBe(0);
    const two = summaryOf(second);
    expect(two.journal).toMatchObject({ file: flashFile, recovered: one.sampled });
    expect(two.delivered).toBeGreaterThanOrEqual(one.sampled);
    expect(two).toMatchObject({ dropped: 0, invariantHolds: true, storedRecords: two.delivered });
  });
});
