// The agent's work per wake, measured on the real XS engine (xsnap) in the energy model's sleep
// pattern: the same flash work wake by wake as on Node and as in the host simulator's run the
// model replays, computrons that only XS meters, upload wakes costing more than the rest.

import { beforeAll, expect, it } from "vitest";
import { runModel } from "../../tools/energy/model.js";
import { DEFAULT_PROFILE } from "../../tools/energy/profile.js";
import type { RunCounts } from "../../tools/energy/replay.js";
import { DEVICE_SETTINGS, sleepRun } from "../../tools/energy/runs.js";
import { runWakeWork, sleepConfig, type WakeWork, type WakeWorkSpec } from "../../tools/energy/wake-work.js";
import { measureWakeWork } from "../../tools/energy/xs-work.js";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);
const PATTERN = { token: "5e0f3c1a-2b4d-4c6e-8f70-9a1b2c3d4e01", host: "127.0.0.1", sampleIntervalMs: 60_000, uploadIntervalMs: 30 * 60_000, device: DEVICE_SETTINGS };

let host: RunCounts;
let xs: WakeWork[];
let node: WakeWork[];

beforeAll(async () => {
  let port = 0;
  const { results } = await runModel({
    profile: DEFAULT_PROFILE,
    batteryMah: 2500,
    durationMs: 2 * HOUR,
    sampleIntervalMs: PATTERN.sampleIntervalMs,
    uploadIntervalMs: PATTERN.uploadIntervalMs,
    runs: {
      sleep: (setup) => {
        port = setup.port;
        return sleepRun(setup);
      },
    },
  });
  host = results.sleep?.counts as RunCounts;
  const spec: WakeWorkSpec = { config: sleepConfig({ ...PATTERN, port }), wallStartMs: START, boots: host.boots };
  [xs, node] = await Promise.all([measureWakeWork(spec), runWakeWork(spec)]);
});

const flashWork = (w: WakeWork) => ({ ...w, computrons: 0 });

it("does the same flash work, boot by boot, on XS, on Node and in the host simulator's run", () => {
  expect(host.boots).toBe(121);
  expect(xs.map(flashWork)).toEqual(node);
  expect(host.wakeWork?.map(flashWork)).toEqual(node);
  // Uploads: the power-on, then every 30 wakes.
  expect(xs.filter((w) => w.radio)).toHaveLength(5);
  expect(xs.reduce((sum, w) => sum + w.flashSectorsErased, 0)).toBeGreaterThan(0);
});

it("meters the agent's computrons on XS only, and charges the run with them", () => {
  expect(node.every((w) => w.computrons === 0)).toBe(true);
  expect(xs.every((w) => w.computrons > 0)).toBe(true);
  expect(host.wakeWork?.map((w) => w.computrons)).toEqual(xs.map((w) => w.computrons));
  expect(host.xsComputrons).toBe(xs.reduce((sum, w) => sum + w.computrons, 0));
  // Every wake recovers, samples, journals and saves its state; an upload wake sends a batch too.
  const sampleOnly = xs.slice(1).filter((w) => !w.radio);
  const upload = xs.slice(1).filter((w) => w.radio);
  expect(Math.min(...upload.map((w) => w.computrons))).toBeGreaterThan(Math.max(...sampleOnly.map((w) => w.computrons)));
});
