// The agent rides out the endpoint's rate limit (429 with Retry-After, calendar minutes) without
// losing a reading, even when its own ceiling would let it ask far more often.

import { afterEach, expect, it } from "vitest";
import { invariantHolds } from "../../host-sim/device/run-summary.js";
import { comparable, MINUTE, startRig, type Rig } from "./harness.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

it("rides out a low POST /data rate limit without loss", async () => {
  rig = await startRig({
    endpoint: { rateLimits: { postData: 5 } },
    config: { maxRequestsPerMinute: 600, uploadIntervalMs: 1000, maxBatchRecords: 60, bufferCapacity: 8192, rateLimitJitterMs: 2000 },
  });
  rig.device.start();
  await rig.device.runFor(30 * MINUTE);
  rig.device.stop();
  const s = rig.device.agent.snapshot();
  const byStatus = rig.endpoint.counts().byStatus;

  expect(s.droppedTotal).toBe(0);
  expect(s.sampled).toBe(s.delivered + s.buffered);
  expect(invariantHolds(s)).toBe(true);
  expect(byStatus["429"]).toBeGreaterThan(0);
  expect(s.failures["rate-limited"]).toBe(byStatus["429"]);
  expect(s.acknowledged).toBe(byStatus["200"]);
  // Never more than the limit per minute, and still keeping up with 180 readings a minute.
  expect(s.acknowledged).toBeLessThanOrEqual(5 * 30);
  expect(s.buffered).toBeLessThan(400);
  const stored = rig.stored();
  expect(stored.length).toBe(s.delivered);
  expect(stored.map(comparable)).toEqual(rig.expected().slice(0, s.delivered));
});
