// The reporting filters reading by reading on the real XS engine: every case of
// reporting-cases.ts runs on xsnap and on Node from one bundle; both must give what the case
// expects, value for value.

import { beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../tools/xs/bundle.js";
import { runCasesOnBoth } from "../../tools/xs/engines.js";
import { REPORTING_CASES, type CaseRun } from "./reporting-cases.js";

const NAMES = Object.keys(REPORTING_CASES);
let runs: Record<string, { xs: CaseRun; node: CaseRun }> = {};

beforeAll(async () => {
  runs = await runCasesOnBoth<CaseRun>(await bundle("test/xs/xs-entry.ts"), "reporting", NAMES);
});

describe.each(NAMES)("%s", (name) => {
  it("goes on as expected, reading by reading, on XS and on Node", () => {
    const { xs, node } = runs[name];
    const { expected, values } = REPORTING_CASES[name];
    expect(xs.out).toEqual(expected);
    expect(node.out).toEqual(expected);
    expect(xs.held).toBe(values.length - expected.length);
    expect(node).toEqual(xs);
  });
});
