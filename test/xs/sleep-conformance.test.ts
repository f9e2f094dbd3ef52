// XS conformance of the sleep mode: its wake cycle (the state area, the journal resumed from a
// sleep's snapshot, uploads only when due) runs on the real XS engine as on Node, from one
// bundle, through wakes and power cuts: the same wakes, logs and stored readings on both, and on
// both nothing lost.

import { beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../tools/xs/bundle.js";
import { runCasesOnBoth } from "../../tools/xs/engines.js";
import { expectNothingLost } from "../support/sleep-checks.js";
import type { SleepScenarioResult } from "./sleep-scenario.js";
import { SLEEP_SCENARIOS } from "./sleep-scenarios.js";

const NAMES = Object.keys(SLEEP_SCENARIOS);
let runs: Record<string, { xs: SleepScenarioResult; node: SleepScenarioResult }> = {};

beforeAll(async () => {
  runs = await runCasesOnBoth<SleepScenarioResult>(await bundle("test/xs/xs-entry.ts"), "sleep", NAMES);
});

describe.each(NAMES)("%s", (name) => {
  it("wakes, logs and stores the same on XS and on Node", () => {
    const { xs, node } = runs[name];
    expect(xs.wakes.length).toBe(SLEEP_SCENARIOS[name].boots);
    expect(xs.wakes).toEqual(node.wakes);
    expect(xs.logs).toEqual(node.logs);
    expect(xs.stored).toEqual(node.stored);
  });

  it("loses nothing on XS, and resumes every clean wake from its snapshot", () => {
    const { xs } = runs[name];
    expectNothingLost(xs);
    xs.wakes.forEach((w, i) => {
      if (i > 0 && xs.wakes[i - 1].endedBy === "sleep") expect(w.resumed).toBe(true);
    });
    expect(xs.wakes.filter((w) => w.endedBy === "sleep" && !w.radio).every((w) => w.requests === 0 && w.flashRead < 1_000)).toBe(true);
  });
});

it("sleep-power-cuts strikes wakes that upload and wakes that only sample", () => {
  const cut = runs["sleep-power-cuts"].xs.wakes.filter((w) => w.endedBy === "cut");
  expect(cut.length).toBe(SLEEP_SCENARIOS["sleep-power-cuts"].cuts?.length);
  expect(cut.some((w) => w.radio)).toBe(true);
  expect(cut.some((w) => !w.radio)).toBe(true);
});
