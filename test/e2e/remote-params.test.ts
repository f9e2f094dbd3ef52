// Remote configuration end to end: the simulated device with a settings file, on the virtual
// clock, against the local endpoint over TLS; parameters set on the endpoint while it runs, as
// TagoIO's account side sets them.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { storeKey } from "../../firmware/core/settings-layers.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";
import { SettingsFile } from "../../host-sim/ports/settings-file.js";
import { drained, MINUTE, startRig, TOKEN, type Rig } from "./harness.js";

const POLL_MS = MINUTE;
/** One poll interval and its jitter (a tenth of it) at most. */
const ONE_POLL_MS = POLL_MS + POLL_MS / 10;

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

function settingsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "remote-params-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "settings.json");
}

async function rig(path: string): Promise<Rig> {
  const r = await startRig({ settings: new SettingsFile(path), config: { paramsIntervalMs: POLL_MS } });
  cleanup.push(() => r.close());
  return r;
}

/** The distinct sample times, in order. */
function sampleTimes(r: Rig): number[] {
  return [...new Set(r.samples.map((s) => s.wallMs))];
}

it("takes sampleIntervalMs=5000 while running: within one poll readings come every 5 s, the parameter is read, and it survives a restart", async () => {
  const path = settingsFile();
  const first = await rig(path);
  first.device.start();
  await first.device.runFor(2 * MINUTE);
  const setAt = first.device.trueWallMs();
  first.endpoint.setParam(TOKEN, "sampleIntervalMs", "5000");
  await first.device.runFor(3 * MINUTE);

  const times = sampleTimes(first);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  // Every second until the poll that took it; the next sample 5 s after that poll, then every 5 s.
  const change = gaps.findIndex((gap) => gap !== 1000);
  const appliedAt = times[change + 1] - 5000;
  expect(appliedAt).toBeGreaterThan(setAt);
  expect(appliedAt - setAt).toBeLessThanOrEqual(ONE_POLL_MS);
  expect(gaps[change]).toBeGreaterThan(5000);
  expect(gaps[change]).toBeLessThan(6000);
  const after = gaps.slice(change + 1);
  expect(after).toEqual(after.map(() => 5000));
  expect(after.length).toBeGreaterThanOrEqual(20);
  expect(first.endpoint.params(TOKEN)).toEqual([expect.objectContaining({ key: "sampleIntervalMs", value: "5000", sent: true })]);
  expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ [storeKey("sampleIntervalMs")]: "5000" });
  expect(first.logs).toContain("info params: sampleIntervalMs = \"5000\" applied and stored");
  // Readings buffered when it changed were kept: everything is delivered, in order, once.
  const s = await drained(first);
  expect(s.params).toEqual({ polls: expect.any(Number), pollFailures: 0, applied: 1, rejected: 0 });

  // A restart (a new process on the same settings file, a new endpoint): 5 s from the first sample.
  const second = await rig(path);
  second.device.start();
  await second.device.runFor(MINUTE);
  const again = sampleTimes(second);
  expect(again.slice(1).map((t, i) => t - again[i])).toEqual(again.slice(1).map(() => 5000));
  expect(second.logs.some((line) => line.includes("every 5000 ms"))).toBe(true);
  expect(invariantHolds(second.device.agent.snapshot())).toBe(true);
});

it("leaves an invalid parameter, a board-only key and an unknown key unread, and stores the error variable", async () => {
  const path = settingsFile();
  const r = await rig(path);
  r.endpoint.setParam(TOKEN, "uploadIntervalMs", "abc");
  r.endpoint.setParam(TOKEN, "host", "api.eu-w1.tago.io");
  r.endpoint.setParam(TOKEN, "payload_offset", "3");
  r.device.start();
  await r.device.runFor(4 * MINUTE);
  r.device.stop();

  expect(r.endpoint.params(TOKEN).map((p) => [p.key, p.sent])).toEqual([
    ["uploadIntervalMs", false],
    ["host", false],
    ["payload_offset", false],
  ]);
  const errors = r.stored().filter((record) => record.variable === "agent_config_error").map((record) => record.value);
  // Once a boot per parameter value, though every poll sees them again.
  expect(errors).toEqual(['uploadIntervalMs: "abc" is not a whole number', "host: changed only on the board, never by a parameter"]);
  expect(r.logs.filter((line) => line.includes('"payload_offset" is not a setting'))).toHaveLength(1);
  expect(() => readFileSync(path)).toThrow();
  const s = r.device.agent.snapshot();
  expect(invariantHolds(s)).toBe(true);
  expect(s.params?.rejected).toBeGreaterThanOrEqual(8);
});
