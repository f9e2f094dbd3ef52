// Settings on the board and remote configuration on the real XS engine: the scenarios of
// settings-scenario.ts run on xsnap and on Node from one bundle; both must record the same, and
// what they record must be what the rules promise.

import { beforeAll, describe, expect, it } from "vitest";
import { storeKey } from "../../firmware/core/settings-layers.js";
import { bundle } from "../../tools/xs/bundle.js";
import { runCasesOnBoth } from "../../tools/xs/engines.js";
import { PARAMS_MS, SETTINGS_SCENARIOS, TOKEN, type SettingsRun } from "./settings-scenario.js";

const NAMES = Object.keys(SETTINGS_SCENARIOS);
let runs: Record<string, { xs: SettingsRun; node: SettingsRun }> = {};

beforeAll(async () => {
  runs = await runCasesOnBoth<SettingsRun>(await bundle("test/xs/xs-entry.ts"), "settings", NAMES);
}, 120_000);

describe("remote", () => {
  it("records the same on XS and on Node", () => {
    expect(runs.remote.xs).toEqual(runs.remote.node);
  });

  it("applies, stores and marks read the valid parameters; leaves the others unread and reports the rejected once", () => {
    const run = runs.remote.xs;
    expect(run.params).toEqual([
      { key: "sampleIntervalMs", value: "2000", sent: true },
      { key: "uploadIntervalMs", value: "abc", sent: false },
      { key: "token", value: TOKEN, sent: false },
      { key: "parser_offset", value: "3", sent: false },
      { key: "temperature.delta", value: "0.5", sent: true },
      { key: "bufferCapacity", value: "2048", sent: true },
    ]);
    expect(run.nvs).toEqual({ [storeKey("sampleIntervalMs")]: "2000", [storeKey("temperature.delta")]: "0.5", bufferCapacity: "2048" });
    // 5000, the filter, the buffer, then 2000: one write each, none for the polls that saw them again.
    expect(run.nvsWrites).toBe(4);
    const errors = run.stored.filter((r) => r.variable === "agent_config_error").map((r) => r.value);
    expect(errors).toEqual(['uploadIntervalMs: "abc" is not a whole number', "token: changed only on the board, never by a parameter"]);
    const logs = run.boots[0].logs.join("\n");
    expect(logs).toContain('params: bufferCapacity = "2048" stored; it applies at the next boot');
    expect(logs).not.toContain(TOKEN);
    expect(logs.match(/"parser_offset" is not a setting/g)).toHaveLength(1);
  });

  it("takes a new interval at once, keeping every reading, and the next boot starts with what was stored", () => {
    const [first, second] = runs.remote.xs.boots;
    const gaps = first.sampleTimes.slice(1).map((t, i) => t - first.sampleTimes[i]);
    // The first poll (at start, answered after the transport's delay) took 5000; the poll after 3 minutes took 2000.
    expect(gaps[0]).toBeGreaterThan(5000);
    expect(gaps[0]).toBeLessThan(6000);
    const to2000 = gaps.findIndex((gap, i) => i > 0 && gap !== 5000);
    expect(first.sampleTimes[to2000 + 1]).toBeGreaterThan(3 * 60_000);
    expect(first.sampleTimes[to2000 + 1]).toBeLessThanOrEqual(3 * 60_000 + PARAMS_MS * 1.1 + 2000);
    expect(gaps.slice(to2000 + 1).every((gap) => gap === 2000)).toBe(true);
    for (const boot of [first, second]) {
      const s = boot.snapshot;
      expect(s.sampled).toBe(s.delivered + s.droppedTotal + s.buffered + s.filtered);
      expect(s.droppedTotal).toBe(0);
    }
    expect(first.snapshot.filtered).toBeGreaterThan(0);
    const restarted = second.sampleTimes.slice(1).map((t, i) => t - second.sampleTimes[i]);
    expect(restarted).toEqual(restarted.map(() => 2000));
    expect(second.logs.join("\n")).toContain("every 2000 ms");
  });
});
