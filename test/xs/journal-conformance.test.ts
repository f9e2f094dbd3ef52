// XS conformance of the flash journal: the agent core with its journal on the portable NOR-flash
// emulator, bundled with the scenarios, runs on the real XS engine (xsnap, in its own process) and
// on Node from the very same bundle, through outages, reboots, a power cut and bit rot. Every request,
// log line, snapshot (the journal's recovered and corrupt counters among them) and the flash's
// final bytes (hashed here, in the host) must be identical, and each scenario's outcome must be
// the one the journal promises: nothing journaled is lost.

import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import { bundle } from "../../tools/xs/bundle.js";
import { command, replyValue } from "../../tools/xs/command-host.js";
import { runOnNode, runOnXs } from "../../tools/xs/engines.js";
import type { JournalScenarioResult } from "./journal-scenario.js";
import { JOURNAL_OUTAGE, JOURNAL_SCENARIOS, POWER_CUT, REBOOT, WINDOWS } from "./journal-scenarios.js";
import { WALL_START_MS } from "./scenarios.js";
import { acknowledged, delivered, EARLIEST_MS, expectAsciiUpload, expectSameOnBoth, records, SAMPLE_MS } from "./results.js";

const NAMES = Object.keys(JOURNAL_SCENARIOS);
/** Flash operations each scenario makes (seeded, in virtual time: exact). */
const FLASH_OPERATIONS: Record<string, number> = {
  "journal-outage": 4100,
  "journal-reboot": 2274,
  "journal-power-cut": 1589,
  "journal-damage": 825,
  "journal-relist": 1619,
  "journal-windows": 730,
};
/** Scenarios where readings of an earlier boot that never learnt the time may go out without one. */
const UNTIMED_ALLOWED = new Set(["journal-reboot"]);

interface Runs {
  xs: JournalScenarioResult;
  node: JournalScenarioResult;
}
const runs: Record<string, Runs> = {};

beforeAll(async () => {
  const code = await bundle("test/xs/xs-entry.ts");
  const commands = NAMES.map((name) => command("journal", name));
  const [xs, node] = await Promise.all([runOnXs(code, [commands.map((c) => ({ command: c }))]), runOnNode(code, commands)]);
  NAMES.forEach((name, i) => {
    runs[name] = { xs: replyValue(xs[0][i].reply ?? ""), node: replyValue(node[i]) };
  });
});

/** One reading a sensor gave, in sampling order (the journal's order). */
interface Reading {
  variable: string;
  value: unknown;
  boot: number;
  /** World time of its sample. */
  atMs: number;
  trusted: boolean;
  atCut: boolean;
}

const sha256 = (hex: string): string => createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex");
const isoOf = (atMs: number): string => new Date(WALL_START_MS + atMs).toISOString();
const last = <T>(list: readonly T[]): T => list[list.length - 1];

function pick(sample: unknown, field: string): unknown {
  let at = sample;
  for (const key of field.split(".")) at = (at as Record<string, unknown>)[key];
  return at;
}

/** The variable list scenario `name` ran under in boot `boot`. */
function variablesOf(name: string, boot: number): typeof BOARD_VARIABLES {
  const spec = JOURNAL_SCENARIOS[name];
  return (spec.boots[boot].variables ?? spec.config.variables) as typeof BOARD_VARIABLES;
}

/** Every reading the sensors gave in scenario `name` on XS, in the order the agent took (and journaled) them. */
function readings(name: string): Reading[] {
  return runs[name].xs.ledger.flatMap((entry) =>
    variablesOf(name, entry.boot).filter((v) => v.sensor === entry.sensor).map((v) => ({
      variable: v.name,
      value: pick(entry.sample, v.field),
      boot: entry.boot,
      atMs: entry.atMs,
      trusted: entry.trusted,
      atCut: entry.atCut,
    })),
  );
}

/** Readings sampled in the power cut's step, which may never have reached the flash. */
const cutReadings = (name: string, boot: number): number => readings(name).filter((x) => x.boot === boot && x.atCut).length;

/**
 * Every reading that must have arrived did, exactly once and with its value: all but those cut
 * and the newest ones still buffered at the end. Readings `untimed` says lost their time arrive
 * without one, in sampling order; all others carry the wall time of their sample.
 */
function checkNothingLost(name: string, untimed: (x: Reading) => boolean = () => false): void {
  const r = runs[name].xs;
  const kept = readings(name).filter((x) => !x.atCut);
  const due = kept.slice(0, kept.length - last(r.boots).last.buffered);
  const sent = delivered(r);
  expect(sent.length).toBe(due.length);
  const timed = new Map<string, unknown>();
  for (const record of sent) if (record.time !== undefined) timed.set(`${record.variable}@${record.time}`, record.value);
  const dueTimed = due.filter((x) => !untimed(x));
  expect(timed.size).toBe(dueTimed.length);
  expect(dueTimed.filter((x) => timed.get(`${x.variable}@${isoOf(x.atMs)}`) !== x.value)).toEqual([]);
  const sentUntimed = sent.filter((record) => record.time === undefined).map((record) => [record.variable, record.value]);
  expect(sentUntimed).toEqual(due.filter(untimed).map((x) => [x.variable, x.value]));
}

describe.each(NAMES)("%s", (name) => {
  it("sends byte-identical bodies, logs the same lines and leaves byte-identical flash on XS and on Node", () => {
    const { xs, node } = runs[name];
    expectSameOnBoth(xs, node);
    expect(xs.ledger).toEqual(node.ledger);
    expect(xs.boots).toEqual(node.boots);
    expect(xs.probes).toEqual(node.probes);
    const { sectorCount, sectorSize } = JOURNAL_SCENARIOS[name].flash;
    expect(xs.flash.hex.length).toBe(sectorCount * sectorSize * 2);
    expect(sha256(xs.flash.hex)).toBe(sha256(node.flash.hex));
    expect({ ...xs.flash, hex: "" }).toEqual({ ...node.flash, hex: "" });
    expect(xs.flash.operations).toBe(FLASH_OPERATIONS[name]);
  });

  it("accounts for every reading in every boot, and a reboot recovers everything the last boot buffered", () => {
    const { xs } = runs[name];
    xs.boots.forEach((boot, i) => {
      const { first, last: end } = boot;
      expect(first.journal?.recovered).toBe(first.sampled);
      // Readings found rotted at boot count as sampled and dropped (corrupt).
      expect(first.buffered + first.dropped.corrupt).toBe(first.sampled);
      expect(first.delivered + first.droppedTotal - first.dropped.corrupt).toBe(0);
      // A cut sample's readings were counted as sampled but never reached the journal; in
      // journal-windows all of them had joined windows, so they were counted filtered.
      const unjournaled = name === "journal-windows" ? 0 : cutReadings(name, i);
      expect(end.sampled - unjournaled).toBe(end.delivered + end.droppedTotal + end.buffered + end.filtered);
      if (boot.endedBy === "stop") expect(end.journal?.held).toBe(end.buffered);
      if (i > 0) expect(first.journal?.recovered).toBe(xs.boots[i - 1].last.buffered);
    });
    // A window a reboot left open goes on at the next boot: one reading more, sampled then.
    const closedAtBoot = xs.logs.filter((line) => / info reporting: .* the window a reboot left open /.test(line)).length;
    const taken = xs.boots.reduce((n, b) => n + b.last.sampled - b.first.sampled, 0);
    expect(taken).toBe(readings(name).length + closedAtBoot);
    const sent = delivered(xs);
    expect(sent.length).toBe(xs.boots.reduce((n, b) => n + b.last.delivered, 0));
    expect(new Set(sent.map((record) => `${record.variable}@${record.time ?? record.group}`)).size).toBe(sent.length);
  });

  it("sends ASCII JSON with the token, trusted times only (or none, for a past boot's uptime)", () => {
    const { xs } = runs[name];
    for (const exchange of xs.exchanges) {
      expectAsciiUpload(exchange);
      for (const record of records(exchange)) {
        expect(typeof record.variable).toBe("string");
        if (record.time === undefined && UNTIMED_ALLOWED.has(name)) {
          expect(record.group).toMatch(/^u[0-9a-z]+$/);
          continue;
        }
        expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(Date.parse(record.time ?? "")).toBeGreaterThanOrEqual(EARLIEST_MS);
      }
    }
  });
});

describe("journal scenario outcomes", () => {
  it("journal-outage: five hours refused with a 64-record RAM ring: the journal holds it all, then everything arrives in order", () => {
    const { xs } = runs["journal-outage"];
    const all = readings("journal-outage");
    // At the outage's end: all it sampled is held in flash, far more than the ring, nothing dropped.
    const [probe] = xs.probes;
    expect(probe.atMs).toBe(JOURNAL_OUTAGE.toMs - 1);
    const s = probe.snapshot;
    const duringOutage = all.filter((x) => x.atMs >= JOURNAL_OUTAGE.fromMs && x.atMs < JOURNAL_OUTAGE.toMs).length;
    expect(duringOutage).toBe(5 * 360 * 3);
    // With the 15 readings still waiting when it began: far more than the ring.
    expect(s.buffered).toBe(duringOutage + 5 * 3);
    expect(s.journal?.held).toBe(s.buffered);
    expect(s.droppedTotal).toBe(0);
    expect(s.sampled).toBe(s.delivered + s.buffered);
    // The journal still had room: it had not yet come round to erase every sector once.
    expect(s.journal?.erases).toBe(20);
    expect(s.journal?.erases).toBeLessThan(JOURNAL_OUTAGE.sectors);

    const [boot] = xs.boots;
    const end = boot.last;
    expect(end.droppedTotal).toBe(0);
    expect(end.sampled).toBe(all.length);
    expect(end.sampled).toBe(end.delivered + end.buffered);
    expect(end.buffered).toBe(9);
    expect(end.journal).toMatchObject({ recovered: 0, corruptSkipped: 0, held: end.buffered });
    checkNothingLost("journal-outage");
    // In sampling order.
    const times = delivered(xs).map((record) => Date.parse(record.time ?? ""));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
    // Retries resumed within the backoff cap (300 s), and the backlog was gone within half an hour.
    const firstAck = acknowledged(xs).find((e) => e.atMs >= JOURNAL_OUTAGE.toMs);
    expect(firstAck?.atMs).toBe(JOURNAL_OUTAGE.toMs + 23_613);
    const lastOfOutage = isoOf(all.filter((x) => x.atMs < JOURNAL_OUTAGE.toMs).map((x) => x.atMs).reduce((a, b) => Math.max(a, b)));
    const drained = acknowledged(xs).find((e) => records(e).some((record) => record.time === lastOfOutage));
    expect(drained?.atMs).toBe(JOURNAL_OUTAGE.toMs + 863_613);
  });

  it("journal-reboot: a reboot mid-outage loses nothing journaled; the first boot's uptime readings go out without a time", () => {
    const { xs } = runs["journal-reboot"];
    const [first, second] = xs.boots;
    expect(xs.boots.map((b) => b.endedBy)).toEqual(["stop", "stop"]);
    expect(second.atMs).toBe(REBOOT.firstBootMs + REBOOT.offMs);
    const all = readings("journal-reboot");
    const ofFirst = all.filter((x) => x.boot === 0);
    // Nothing got through in the first boot: all it sampled was journaled, and all of it recovered.
    expect(first.last.delivered).toBe(0);
    expect(first.last.buffered).toBe(ofFirst.length);
    expect(second.first.journal).toMatchObject({ recovered: ofFirst.length, corruptSkipped: 0, foreign: 0, held: ofFirst.length });
    expect(xs.logs).toContain(`1 0 info journal: ${ofFirst.length} readings recovered from flash, 0 torn or corrupt frames skipped`);
    expect(acknowledged(xs).every((e) => e.atMs >= REBOOT.outageToMs)).toBe(true);
    expect(second.last.droppedTotal).toBe(0);
    expect(second.last.buffered).toBe(9);

    // Before SNTP the first boot stamped readings with its uptime, which no later clock can place.
    const uptimeOnly = (x: Reading): boolean => x.boot === 0 && !x.trusted;
    const untimedReadings = all.filter(uptimeOnly);
    expect(untimedReadings.length).toBe((REBOOT.firstSyncMs / SAMPLE_MS) * 3);
    expect(all.some((x) => x.boot === 0 && x.trusted)).toBe(true);
    // The second boot's own readings before its SNTP are rebased to exact times.
    expect(all.filter((x) => x.boot === 1 && !x.trusted).length).toBe(Math.ceil(REBOOT.secondSyncMs / SAMPLE_MS) * 3);
    checkNothingLost("journal-reboot", uptimeOnly);

    // Still grouped by sample, in groups of their own.
    const sent = delivered(xs);
    const untimed = sent.filter((record) => record.time === undefined);
    expect(untimed.length).toBe(untimedReadings.length);
    const groups = new Set(untimed.map((record) => record.group));
    expect(groups.size).toBe(untimedReadings.length / 3);
    expect(sent.some((record) => record.time !== undefined && groups.has(record.group))).toBe(false);
  });

  it("journal-power-cut: a cut mid-write tears one frame; the reboot skips it, counted, and loses nothing else", () => {
    const { xs } = runs["journal-power-cut"];
    const [first, second] = xs.boots;
    expect(xs.boots.map((b) => b.endedBy)).toEqual(["cut", "stop"]);
    // The cut struck a data frame (not a header or release, 12 to 18 bytes) at byte 12.
    const match = /^power cut: write of (\d+) bytes at (\d+) cut at byte (\d+)$/.exec(first.cut ?? "");
    expect(match).not.toBeNull();
    expect(Number(match?.[1])).toBe(33);
    expect(Number(match?.[3])).toBe(POWER_CUT.atByte);
    // It struck the first sample after the armed time: that sample's three readings are lost.
    const cut = readings("journal-power-cut").filter((x) => x.atCut);
    expect(cut.map((x) => x.variable)).toEqual(BOARD_VARIABLES.map((v) => v.name));
    expect(cut[0].atMs).toBe(POWER_CUT.atMs + SAMPLE_MS / 2);
    expect(second.atMs).toBe(cut[0].atMs + POWER_CUT.offMs);

    // Recovery skipped the torn frame, counted, and found every reading journaled before it.
    expect(second.first.journal).toMatchObject({ recovered: first.last.buffered, corruptSkipped: 1, foreign: 0 });
    expect(first.last.buffered).toBe(558);
    expect(xs.logs).toContain(`1 0 info journal: ${first.last.buffered} readings recovered from flash, 1 torn or corrupt frames skipped`);
    expect(second.last.journal?.corruptSkipped).toBe(1);
    expect(first.last.droppedTotal + second.last.droppedTotal).toBe(0);
    expect(second.last.buffered).toBe(18);
    checkNothingLost("journal-power-cut");
    const sent = new Set(delivered(xs).map((record) => `${record.variable}@${record.time}`));
    expect(cut.filter((x) => sent.has(`${x.variable}@${isoOf(x.atMs)}`))).toEqual([]);
  });

  it("journal-damage: a damaged sector header costs nothing; a rotted frame's readings are counted dropped as corrupt", () => {
    const { xs } = runs["journal-damage"];
    const [first, second] = xs.boots;
    // More than a sector (4066 bytes of 33-byte frames) holds.
    expect(first.last.buffered).toBe(1080);
    expect(second.first).toMatchObject({ sampled: first.last.buffered, buffered: first.last.buffered - 3, droppedTotal: 3 });
    expect(second.first.dropped.corrupt).toBe(3);
    expect(second.first.journal).toMatchObject({ recovered: first.last.buffered, corruptSkipped: 1, corruptLost: 3, damagedHeaders: 1 });
    expect(xs.logs).toContain(
      `1 0 warn journal: ${first.last.buffered} readings recovered from flash, 1 torn or corrupt frames skipped, 3 readings lost to corruption, 1 damaged sector headers`,
    );
    // Everything else arrives, in order: all but the 11th sample of the first boot.
    const all = readings("journal-damage");
    const lost = all.slice(30, 33);
    expect(lost.every((x) => x.boot === 0 && x.atMs === all[30].atMs)).toBe(true);
    const sent = new Set(delivered(xs).map((record) => `${record.variable}@${record.time}`));
    expect(lost.filter((x) => sent.has(`${x.variable}@${isoOf(x.atMs)}`))).toEqual([]);
    const due = all.filter((x) => !lost.includes(x)).slice(0, all.length - 3 - second.last.buffered);
    expect(due.filter((x) => !sent.has(`${x.variable}@${isoOf(x.atMs)}`))).toEqual([]);
    expect(delivered(xs).length).toBe(due.length);
  });

  it("journal-relist: readings journaled under earlier variable lists go out under their own names and units, none lost", () => {
    const { xs } = runs["journal-relist"];
    const [first, second, third] = xs.boots;
    expect(xs.boots.map((b) => b.endedBy)).toEqual(["stop", "stop", "stop"]);
    expect(first.last.delivered + second.last.delivered).toBe(0);
    // Boot 2 recovered boot 1's readings, all of another list; boot 3 both, boot 1's now its own list again.
    expect(second.first.journal).toMatchObject({ recovered: first.last.buffered, foreign: first.last.buffered, corruptLost: 0 });
    expect(third.first.journal).toMatchObject({ recovered: second.last.buffered, foreign: second.last.sampled - first.last.buffered, corruptLost: 0 });
    expect(third.last).toMatchObject({ droppedTotal: 0 });
    checkNothingLost("journal-relist");
    const unitsOf = (boot: number) => new Set(variablesOf("journal-relist", boot).map((v) => `${v.name} ${v.unit}`));
    const sent = delivered(xs);
    const byBoot = readings("journal-relist").map((x) => x.boot);
    sent.forEach((record, i) => expect(unitsOf(byBoot[i]).has(`${record.variable} ${record.unit}`), `record ${i}`).toBe(true));
    expect(new Set(sent.map((record) => `${record.variable} ${record.unit}`))).toEqual(new Set(["temperature °C", "humidity %", "pressure Pa", "air_temperature K"]));
  });

  it("journal-windows: every window goes on once with its aggregate, in its boot or, left open by a stop or a cut, at the next", () => {
    const { xs } = runs["journal-windows"];
    expect(xs.boots.map((b) => b.endedBy)).toEqual(["stop", "cut", "stop"]);
    // What the windows must give, from what the sensors gave: each boot's windows start at its
    // first sample, and what one holds when its boot ends goes on at the next boot's start.
    const rules = WINDOWS.variables.map((v) => ({
      name: v.name,
      size: v.window.samples ?? v.window.ms / SAMPLE_MS,
      aggregate: v.window.aggregate,
      decimals: "decimals" in v ? v.decimals : undefined,
    }));
    const aggregate = (values: number[], rule: (typeof rules)[number]): number => {
      const sorted = values.slice().sort((a, b) => a - b);
      const middle = sorted.length >> 1;
      const value =
        rule.aggregate === "mean"
          ? values.reduce((a, b) => a + b, 0) / values.length
          : rule.aggregate === "max"
            ? sorted[sorted.length - 1]
            : sorted.length % 2 === 1
              ? sorted[middle]
              : (sorted[middle - 1] + sorted[middle]) / 2;
      return rule.decimals === undefined ? value : Math.round(value * 10 ** rule.decimals) / 10 ** rule.decimals;
    };
    const expected: Array<[string, number, string]> = [];
    const open = new Map<string, Reading[]>();
    let cut = 0;
    for (let boot = 0; boot < xs.boots.length; boot++) {
      for (const rule of rules) {
        const held = open.get(rule.name) ?? [];
        if (held.length > 0) expected.push([rule.name, aggregate(held.map((x) => x.value as number), rule), isoOf(last(held).atMs)]);
        open.set(rule.name, []);
      }
      for (const x of readings("journal-windows").filter((r) => r.boot === boot)) {
        const rule = rules.find((r) => r.name === x.variable);
        const held = open.get(x.variable);
        if (rule === undefined || held === undefined) throw new Error(`no rule for ${x.variable}`);
        if (x.atCut) {
          // The cut sample's readings only joined windows (none closed one): lost with its frame.
          expect(held.length + 1).toBeLessThan(rule.size);
          cut++;
          continue;
        }
        held.push(x);
        if (held.length < rule.size) continue;
        expected.push([x.variable, aggregate(held.map((h) => h.value as number), rule), isoOf(x.atMs)]);
        open.set(x.variable, []);
      }
    }
    expect(cut).toBe(3);
    const end = last(xs.boots).last;
    const sent = delivered(xs).map((record): [string, unknown, string | undefined] => [record.variable, record.value, record.time]);
    expect(sent).toEqual(expected.slice(0, expected.length - end.buffered));
    // Two boots found windows open: three each.
    expect(xs.logs.filter((line) => line.includes("the window a reboot left open")).map((line) => line.split(" ")[0])).toEqual(["1", "1", "1", "2", "2", "2"]);
    expect(end.filtered).toBeGreaterThan(end.sampled * 0.7);
  });
});
