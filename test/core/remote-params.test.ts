// The parameter poller's rules over the in-memory TagoIO on the virtual clock: a mark that fails
// is made after the next poll with no second write, a 429 waits at least a minute, every request
// counts in maxRequestsPerMinute with the uploads, and without a settings store nothing is polled.

import { expect, it } from "vitest";
import { Agent } from "../../firmware/core/agent.js";
import { agentKeys, checkCore, SettingsLayers } from "../../firmware/core/settings-layers.js";
import { FakeTago } from "../../firmware/fakes/fake-tago.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { NvsPreference } from "../../firmware/fakes/nvs-preference.js";
import { reply } from "../../firmware/fakes/scripted-http.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { PreferenceSettings } from "../../firmware/moddable/preference-settings.js";
import type { HttpClient } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { BOARD_VARIABLES, TOKEN } from "../support/fixtures.js";

const MINUTE = 60_000;

function device(config: Record<string, unknown>, store = true) {
  const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 10, 1), trusted: true });
  const tago = new FakeTago(clock);
  const nvs = new NvsPreference();
  const layers = new SettingsLayers({ token: TOKEN, variables: BOARD_VARIABLES, telemetryIntervalMs: "0", ...config }, store ? new PreferenceSettings(nvs) : undefined, checkCore);
  const times: number[] = [];
  const http: HttpClient = { request: (request) => (times.push(clock.monotonicMs()), tago.http.request(request)) };
  const logger = new MemoryLogger();
  const ports = { clock, timers: clock, http, sensors: simulatedSensors({ clock, seed: 1 }), network: { online: () => true }, logger, random: new SeededRandom(2) };
  const agent = Agent.create(agentKeys(layers.merged()), ports, layers);
  const run = async (ms: number): Promise<void> => {
    const end = clock.monotonicMs() + ms;
    while (clock.runNext(end)) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return { clock, tago, nvs, agent, times, logger, run };
}

it("marks a parameter whose mark failed after the next poll, applying it again without a second write", async () => {
  const d = device({ paramsIntervalMs: String(MINUTE) });
  d.tago.setParam("uploadIntervalMs", "30000");
  d.tago.paramRule = (request) => (request.startsWith("PUT") && d.tago.paramRequests.filter((r) => r.startsWith("PUT")).length === 1 ? reply(503, "busy") : undefined);
  d.agent.start();
  await d.run(3 * MINUTE);
  expect(d.tago.params[0].sent).toBe(true);
  expect(d.tago.paramRequests.filter((r) => r.startsWith("PUT"))).toHaveLength(2);
  expect(d.nvs.writes).toBe(1);
  expect(d.agent.snapshot().params).toMatchObject({ applied: 2, rejected: 0 });
});

it("waits at least a minute after a 429, and polls again every interval", async () => {
  const d = device({ paramsIntervalMs: String(2 * MINUTE), uploadIntervalMs: "600000" });
  const gets: number[] = [];
  d.tago.paramRule = (_request, index) => {
    gets.push(d.clock.monotonicMs());
    return index === 0 ? reply(429, { status: false, message: "Too many requests (Retry-After: 30)" }) : undefined;
  };
  d.agent.start();
  await d.run(10 * MINUTE);
  const gaps = gets.slice(1).map((t, i) => t - gets[i]);
  expect(gaps[0]).toBeGreaterThanOrEqual(MINUTE);
  for (const gap of gaps.slice(1)) {
    expect(gap).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(gap).toBeLessThanOrEqual(2.2 * MINUTE + 100);
  }
  expect(d.agent.snapshot().params).toMatchObject({ pollFailures: 1 });
});

it("counts every parameter request in maxRequestsPerMinute together with the uploads", async () => {
  const d = device({ paramsIntervalMs: String(MINUTE), maxRequestsPerMinute: "2", uploadIntervalMs: "5000", sampleIntervalMs: "1000" });
  for (const [key, value] of [["backoffBaseMs", "3000"], ["authRetryMs", "60000"], ["refusedRetryMs", "60000"], ["rateLimitJitterMs", "1000"]]) d.tago.setParam(key, value);
  d.agent.start();
  await d.run(6 * MINUTE);
  expect(d.tago.params.every((p) => p.sent)).toBe(true);
  for (const t of d.times) expect(d.times.filter((u) => u > t - MINUTE && u <= t).length).toBeLessThanOrEqual(2);
  const s = d.agent.snapshot();
  expect(s.sampled).toBe(s.delivered + s.droppedTotal + s.buffered + s.filtered);
});

it("polls nothing without a settings store, and nothing with paramsIntervalMs=0", async () => {
  for (const d of [device({}, false), device({ paramsIntervalMs: "0" })]) {
    d.tago.setParam("sampleIntervalMs", "5000");
    d.agent.start();
    await d.run(15 * MINUTE);
    expect(d.tago.paramRequests).toEqual([]);
    expect(d.agent.snapshot().params).toBeUndefined();
  }
});
