// Health telemetry (firmware/core/telemetry.ts): a report's readings go through the real backlog
// and encoder, and are read back from the TagoIO body they would be posted in. Names, units,
// values from the snapshot, figures a platform lacks left out, the settings' validation, and the
// agent's schedule (one interval after start, then every interval; 0: never).

import { describe, expect, it } from "vitest";
import type { Snapshot } from "../../firmware/core/agent.js";
import { Backlog, DROP_REASONS, zeroCounts } from "../../firmware/core/backlog.js";
import { FAILURE_CLASSES } from "../../firmware/core/classify.js";
import { validateConfig, type AgentConfig } from "../../firmware/core/config.js";
import { Telemetry, TELEMETRY_FIGURES, telemetryVariables } from "../../firmware/core/telemetry.js";
import { TimeBase } from "../../firmware/core/timebase.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import type { Health, Ports } from "../../firmware/ports.js";
import { BOARD_VARIABLES, TOKEN } from "../support/fixtures.js";
import { LANDING_COUNTS } from "../../firmware/core/landing-check.js";
import { SimDevice, START_WALL } from "../support/sim-device.js";
import { FlashDevice, WORLD_START } from "../journal/flash-device.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";

const MINUTE = 60_000;

function configOf(raw: Record<string, unknown> = {}): AgentConfig {
  const result = validateConfig({ token: TOKEN, variables: BOARD_VARIABLES, ...raw });
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.config;
}

function snapshotOf(over: Partial<Snapshot> = {}): Snapshot {
  return {
    state: "idle",
    clockTrusted: true,
    sampled: 0,
    delivered: 0,
    dropped: zeroCounts(DROP_REASONS),
    droppedTotal: 0,
    buffered: 0,
    filtered: 0,
    inFlight: 0,
    requests: 0,
    acknowledged: 0,
    failures: zeroCounts(FAILURE_CLASSES),
    sensorErrors: 0,
    lastError: null,
    lastUploadMs: null,
    nextAttemptInMs: null,
    landing: zeroCounts(LANDING_COUNTS),
    ...over,
  };
}

interface Record_ {
  variable: string;
  value: unknown;
  unit?: string;
  time?: string;
  group?: string;
}

/** A Telemetry on the real backlog (no journal); `reports()` reads back what each report added. */
function rig(health: Health | undefined, snapshot: () => Snapshot, raw: Record<string, unknown> = {}) {
  const config = configOf(raw);
  const clock = new VirtualClock({ wallStartMs: START_WALL, trusted: true });
  const timebase = new TimeBase(clock);
  const variables = [...config.variables, ...telemetryVariables(config)];
  const backlog = new Backlog(config, variables, timebase, undefined, new MemoryLogger());
  const ports = { clock, timers: clock, health } as unknown as Ports;
  const telemetry = new Telemetry(ports, config, config.variables.length, backlog, timebase, snapshot);
  const report = (atMs: number): Record_[] => {
    clock.advanceTo(atMs);
    telemetry.report();
    const batch = backlog.beginBatch(32_768, 1000);
    backlog.acknowledge();
    return JSON.parse(new TextDecoder().decode(batch.body)) as Record_[];
  };
  return { report, backlog };
}

const byName = (records: Record_[]) => Object.fromEntries(records.map((r) => [r.variable, r]));

describe("telemetry report", () => {
  it("names every figure under the prefix with its unit, and takes the values from the snapshot and the Health port", () => {
    const health: Health = { rssi: () => -61, freeMemory: () => 81_920, bootCount: () => 7, resetReason: () => "Brownout" };
    const dropped = { ...zeroCounts(DROP_REASONS), bufferFull: 12, invalid: 2 };
    const failures = { ...zeroCounts(FAILURE_CLASSES), timeout: 3, server: 1 };
    const snap = snapshotOf({ buffered: 40, droppedTotal: 14, dropped, filtered: 5, requests: 99, failures, lastError: "server: 503 Service Unavailable" });
    const { report } = rig(health, () => snap);
    const records = report(15 * MINUTE);
    const time = new Date(START_WALL + 15 * MINUTE).toISOString();
    expect(records.every((r) => r.time === time)).toBe(true);
    expect(new Set(records.map((r) => r.group)).size).toBe(1);
    expect(Object.fromEntries(records.map((r) => [r.variable, [r.value, r.unit]]))).toEqual({
      agent_uptime: [900, "s"],
      agent_boots: [7, "boots"],
      agent_reset_reason: ["Brownout", undefined],
      agent_heap_free: [81_920, "B"],
      agent_rssi: [-61, "dBm"],
      agent_buffered_ram: [40, "readings"],
      agent_dropped: [14, "readings"],
      agent_drop_reasons: ["bufferFull 12, invalid 2", undefined],
      agent_filtered: [5, "readings"],
      agent_requests: [99, "requests"],
      agent_failures: [4, "failures"],
      agent_failure_classes: ["timeout 3, server 1", undefined],
      agent_last_error: ["server: 503 Service Unavailable", undefined],
    });
  });

  it("leaves out what the platform lacks (no Health port, no journal), never inventing a figure", () => {
    const { report } = rig(undefined, () => snapshotOf({ buffered: 3 }));
    expect(report(15 * MINUTE).map((r) => r.variable)).toEqual(["agent_uptime", "agent_buffered_ram", "agent_dropped", "agent_filtered", "agent_requests", "agent_failures"]);
    // A port whose figures are undefined (a release build's heap, RSSI off Wi-Fi) is the same.
    const { report: again } = rig({ rssi: () => undefined, freeMemory: () => undefined, bootCount: () => undefined }, () => snapshotOf());
    expect(again(15 * MINUTE).map((r) => r.variable)).not.toContain("agent_rssi");
  });

  it("sends boot count and reset reason in a boot's first report only, the breakdowns and the last error when they change", () => {
    let snap = snapshotOf();
    const { report } = rig({ bootCount: () => 2, resetReason: () => "power-cut" }, () => snap);
    expect(Object.keys(byName(report(15 * MINUTE)))).toContain("agent_reset_reason");
    let names = Object.keys(byName(report(30 * MINUTE)));
    expect(names).not.toContain("agent_reset_reason");
    expect(names).not.toContain("agent_boots");
    snap = snapshotOf({ droppedTotal: 1, dropped: { ...zeroCounts(DROP_REASONS), corrupt: 1 }, lastError: "timeout: no answer" });
    const third = byName(report(45 * MINUTE));
    expect(third.agent_drop_reasons.value).toBe("corrupt 1");
    expect(third.agent_last_error.value).toBe("timeout: no answer");
    names = Object.keys(byName(report(60 * MINUTE)));
    expect(names).not.toContain("agent_drop_reasons");
    expect(names).not.toContain("agent_last_error");
    expect(names).toContain("agent_dropped");
  });

  it("counts its readings in the invariant like any sample", () => {
    const { report, backlog } = rig({ freeMemory: () => 1 }, () => snapshotOf());
    const records = report(15 * MINUTE);
    expect(backlog.sampled).toBe(records.length);
    expect(backlog.delivered).toBe(records.length);
  });
});

describe("telemetry settings", () => {
  it("defaults to every 15 minutes under agent_; 0 turns it off and adds no variable", () => {
    expect(configOf()).toMatchObject({ telemetryIntervalMs: 900_000, telemetryPrefix: "agent_" });
    expect(telemetryVariables(configOf()).map((v) => v.name)).toEqual(TELEMETRY_FIGURES.map(([name]) => "agent_" + name));
    expect(telemetryVariables(configOf({ telemetryIntervalMs: "0" }))).toEqual([]);
    expect(telemetryVariables(configOf({ telemetryPrefix: "esp_7_" }))[0]).toEqual({ name: "esp_7_uptime", unit: "s" });
  });

  it("refuses a bad interval, a prefix that would make invalid names, and a variable named like telemetry", () => {
    const problems = (raw: Record<string, unknown>) => {
      const r = validateConfig({ token: TOKEN, variables: BOARD_VARIABLES, ...raw });
      return r.ok ? [] : r.problems;
    };
    expect(problems({ telemetryIntervalMs: 5000 })).toEqual(["telemetryIntervalMs: 5000 must be 0 (off) or at least 60000"]);
    expect(problems({ telemetryIntervalMs: -1 })).toEqual(["telemetryIntervalMs: -1 is out of range (0 to 86400000)"]);
    expect(problems({ telemetryIntervalMs: "often" })).toEqual(['telemetryIntervalMs: "often" is not a whole number']);
    for (const prefix of ["Agent_", "agent-", "a".repeat(21), 7]) {
      expect(problems({ telemetryPrefix: prefix })).toEqual(["telemetryPrefix: must be 1 to 20 characters of a-z, 0-9 and _ (it starts TagoIO variable names)"]);
    }
    const clash = [...BOARD_VARIABLES, { name: "agent_rssi", sensor: "sht3x", field: "thermometer.temperature" }];
    expect(problems({ variables: clash })).toEqual(['variables[3].name: "agent_rssi" is a telemetry variable\'s name; rename it, or change telemetryPrefix']);
    expect(problems({ variables: clash, telemetryIntervalMs: 0 })).toEqual([]);
  });
});

describe("telemetry in the agent", () => {
  it("reports one interval after start and every interval after, through the same uploads; 0: never", async () => {
    const device = new SimDevice({ config: { telemetryIntervalMs: 5 * MINUTE } });
    device.agent.start();
    const s = await device.run(31 * MINUTE);
    expect(invariantHolds(s)).toBe(true);
    const uptimes = device.tago.stored.filter((r) => r.variable === "agent_uptime");
    expect(uptimes.map((r) => [r.value, r.time])).toEqual(
      [1, 2, 3, 4, 5, 6].map((k) => [k * 300, new Date(START_WALL + k * 5 * MINUTE).toISOString()]),
    );
    // No request of its own: one upload a minute, as without telemetry.
    const quiet = new SimDevice({ config: { telemetryIntervalMs: 0 } });
    quiet.agent.start();
    const q = await quiet.run(31 * MINUTE);
    expect(s.requests).toBe(q.requests);
    expect(quiet.tago.stored.some((r) => r.variable.startsWith("agent_"))).toBe(false);
    expect(s.sampled - q.sampled).toBe(device.tago.stored.filter((r) => r.variable.startsWith("agent_")).length + s.buffered - q.buffered);
  });
});

describe("telemetry through the flash journal", () => {
  it("a reboot sends the reports the last boot journaled under their own names, even after the prefix changed", async () => {
    const config: Record<string, unknown> = { telemetryIntervalMs: 15 * MINUTE };
    const device = new FlashDevice({ sectors: 16, config });
    device.online = false;
    device.boot();
    await device.run(40 * MINUTE);
    expect(device.stored()).toEqual([]);
    // The next boot names its reports otherwise; the journal's list frames keep the old names.
    config.telemetryPrefix = "node7_";
    device.powerCycle(MINUTE);
    device.online = true;
    await device.run(20 * MINUTE);
    expect(device.unbalanced).toEqual([]);
    const stored = device.stored();
    const uptimes = (prefix: string) => stored.filter((r) => r.variable === prefix + "uptime").map((r) => [r.value, Date.parse(r.time as string)]);
    expect(uptimes("agent_")).toEqual([
      [900, WORLD_START + 15 * MINUTE],
      [1800, WORLD_START + 30 * MINUTE],
    ]);
    expect(uptimes("node7_")).toEqual([[900, WORLD_START + 56 * MINUTE]]);
    const names = (prefix: string) => new Set(stored.filter((r) => r.variable.startsWith(prefix)).map((r) => r.variable.slice(prefix.length)));
    expect([...names("agent_")].every((n) => TELEMETRY_FIGURES.some(([figure]) => figure === n))).toBe(true);
    expect(names("agent_").has("journal_fill")).toBe(true);
    expect(stored.filter((r) => r.variable === "agent_buffered_flash").map((r) => r.unit)).toEqual(["readings", "readings"]);
  });
});
