// The virtual-time driver with a real network in between: device time stands still while an
// exchange is on the wire (so no virtual timeout fires), while the port's real timeout still holds.
// And boots: a power cut armed on the flash ends the boot where it strikes, a reboot ends it
// cleanly; either way the next agent recovers the journal from the same flash.

import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, expect, it } from "vitest";
import { SimulatedDevice, type DeviceOptions, type PowerCutEvent } from "../../host-sim/device/device.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";
import { makeTlsFixture, type TlsFixture } from "./tls-fixture.js";

const TOKEN = "0f1e2d3c-4b5a-4968-8776-655443322110";
let fixture: TlsFixture;
const cleanups: Array<() => void> = [];

beforeAll(() => {
  fixture = makeTlsFixture();
});
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

/**
 * A TLS server that answers every POST with a success envelope after `delayMs` of real time, or
 * never; a landing check's GET, with an empty list (it keeps nothing).
 */
async function slowServer(delayMs: number | "never", observe: (phase: "received" | "answered") => void = () => undefined): Promise<number> {
  const server = https.createServer({ key: fixture.keyPem, cert: fixture.certPem }, (req, res) => {
    req.resume();
    req.on("end", () => {
      observe("received");
      if (delayMs === "never") return;
      setTimeout(() => {
        observe("answered");
        res.end(req.method === "GET" ? '{"status":true,"result":[]}' : '{"status":true,"result":"ok"}');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

function device(port: number, config: Record<string, unknown> = {}, more: Partial<DeviceOptions> = {}): SimulatedDevice {
  const d = new SimulatedDevice({
    ...more,
    config: { token: TOKEN, host: "127.0.0.1", port, sampleIntervalMs: 1000, requestTimeoutMs: 1000, ...config },
    time: { mode: "virtual", startWallMs: Date.UTC(2026, 0, 1) },
    logger: { log: () => undefined },
    tls: { ca: fixture.caPem },
  });
  cleanups.push(() => d.stop());
  return d;
}

it("holds device time still while an answer takes real time", async () => {
  let d: SimulatedDevice | undefined;
  const times: Array<[string, number]> = [];
  const port = await slowServer(300, (phase) => times.push([phase, d?.clock.monotonicMs() ?? -1]));
  d = device(port);
  d.start();
  await d.runFor(150_000);
  const s = d.agent.snapshot();
  expect(s.acknowledged).toBe(2);
  expect(s.failures.timeout).toBe(0);
  expect(times).toEqual([
    ["received", 60_000],
    ["answered", 60_000],
    ["received", 120_000],
    ["answered", 120_000],
  ]);
});

it("still ends an exchange at the port's real timeout", async () => {
  // No answer ever comes (no race against a server delay): only the port's timer can end the exchange.
  // The upload's timeout is ambiguous, so a landing check follows at once, and times out too.
  const phases: string[] = [];
  const port = await slowServer("never", (phase) => phases.push(phase));
  const d = device(port);
  d.start();
  await d.runFor(61_000);
  const s = d.agent.snapshot();
  expect(phases).toEqual(["received", "received"]);
  expect(s.requests).toBe(2);
  expect(s.failures.timeout).toBe(1);
  expect(s.landing).toMatchObject({ checks: 1, checkFailures: 1 });
  expect(s.lastError).toMatch(/^check: timeout: /);
  expect(s.buffered).toBe(s.sampled);
});

const MINUTE = 60_000;

it("a power cut at a flash write ends the boot there; the next boot recovers every reading journaled", async () => {
  const flash = new NorFlash({ sectorCount: 16, seed: 5 });
  const cuts: PowerCutEvent[] = [];
  const d = device(await slowServer(0), {}, {
    flash,
    onPowerCut: (cut) => {
      cuts.push(cut);
      return { offMs: 10 * MINUTE, syncAfterMs: MINUTE };
    },
  });
  d.network.set(false);
  d.start();
  await d.runFor(5 * MINUTE);
  const before = d.agent.snapshot();
  expect(before.sampled).toBeGreaterThan(0);
  expect(before.buffered).toBe(before.sampled);

  // The next flash operation (the next sample's frame) is cut half-way.
  flash.armCut(0, 5);
  await d.runFor(30_000);
  expect(cuts).toHaveLength(1);
  const cut = cuts[0];
  expect(cut).toMatchObject({ during: "timer", boot: 1, wallMs: Date.UTC(2026, 0, 1) + 5 * MINUTE + 1000 });
  // The sample being journaled is lost with the power; nothing before it.
  expect(cut.snapshot).toMatchObject({ sampled: before.sampled + 3, buffered: before.buffered });
  expect(d.boots).toBe(2);
  // Off for ten minutes: the thirty seconds asked for were spent off; boot 2 is at uptime 0.
  expect(d.trueWallMs()).toBe(cut.wallMs + 10 * MINUTE);
  expect(d.clock.monotonicMs()).toBe(0);
  expect(d.clock.wallTrusted()).toBe(false);
  expect(d.agent.snapshot().journal).toMatchObject({ recovered: before.buffered, held: before.buffered });

  d.network.set(true);
  await d.runFor(5 * MINUTE);
  const s = d.agent.snapshot();
  expect(d.clock.wallTrusted()).toBe(true);
  expect(s.delivered).toBeGreaterThan(before.buffered);
  expect(s.buffered).toBeLessThan(3 * 60);
  expect(invariantHolds(s)).toBe(true);
});

it("reboot() ends the boot cleanly: a new clock and agent on the same flash, after the time off", async () => {
  const flash = new NorFlash({ sectorCount: 16 });
  const d = device(await slowServer(0), {}, { flash });
  d.network.set(false);
  d.start();
  await d.runFor(2 * MINUTE);
  const before = d.agent.snapshot();
  const wall = d.trueWallMs();
  d.reboot({ offMs: MINUTE });
  expect(d.boots).toBe(2);
  expect(d.trueWallMs()).toBe(wall + MINUTE);
  expect(d.agent.snapshot()).toMatchObject({ state: "idle", sampled: before.buffered, journal: { recovered: before.buffered } });
  d.network.set(true);
  await d.runFor(2 * MINUTE);
  expect(d.agent.snapshot().delivered).toBeGreaterThanOrEqual(before.buffered);
});

it("says the agent's variables in the singular when there is one", () => {
  const lines: string[] = [];
  const device = new SimulatedDevice({
    config: { token: TOKEN, host: "127.0.0.1", port: 9, variables: [{ name: "t", sensor: "sht3x", field: "thermometer.temperature" }] },
    time: { mode: "virtual", startWallMs: Date.UTC(2026, 0, 1) },
    logger: { log: (_level, message) => lines.push(message) },
  });
  device.start();
  device.stop();
  expect(lines).toContain("agent: 1 variable every 10000 ms to https://127.0.0.1:9 as ****2110");
});

it("keeps the device time at which it was stopped (what a run covered), while the clock runs on", async () => {
  const device = new SimulatedDevice({ config: { token: TOKEN, host: "127.0.0.1", port: 9 }, time: { mode: "real" }, logger: { log: () => undefined } });
  expect(device.stoppedAtMs).toBeUndefined();
  device.start();
  device.stop();
  const at = device.stoppedAtMs as number;
  expect(at).toBeLessThanOrEqual(device.clock.monotonicMs());
  // Whatever the host does afterwards (printing the data, say) is not the device's run.
  while (device.clock.monotonicMs() <= at) await new Promise((resolve) => setImmediate(resolve));
  expect(device.stoppedAtMs).toBe(at);
});

it("sleep mode is a real power cycle: a boot per wake, RAM and connections gone, a handshake per upload", async () => {
  const received: string[] = [];
  const flash = new NorFlash({ sectorCount: 16, seed: 2 });
  const d = device(await slowServer(0, (phase) => phase === "received" && received.push(phase)), { mode: "sleep", sampleIntervalMs: MINUTE, uploadEvery: 30, telemetryIntervalMs: 0 }, { flash });
  d.start();
  await d.runFor(2 * 60 * MINUTE);
  d.stop();
  const s = d.agent.snapshot();
  expect(invariantHolds(s)).toBe(true);
  // The power-on and every minute after it, each a boot with its own agent.
  expect(d.boots).toBe(121);
  expect(s.sampled).toBe(121 * 3);
  expect(s.delivered).toBe(s.sampled - s.buffered);
  const phases = d.phaseCounts();
  // The power-on checks in, then every 30th wake: each joins Wi-Fi and opens its own connection.
  expect(phases).toMatchObject({ mode: "sleep", deviceMs: 2 * 60 * MINUTE, boots: 121, wakes: 120, samples: 121, readings: 363, wifiJoins: 5, tlsHandshakes: 5, requests: 5, idleMs: 0 });
  expect(received).toHaveLength(5);
  expect(phases.sleepMs).toBe(2 * 60 * MINUTE);
  expect(phases.bytesSent).toBeGreaterThan(phases.requests * 500);
  expect(phases.bytesReceived).toBeGreaterThan(0);
  expect(phases.awakeMs).toHaveLength(121);
  // A wake reads its state and two sector headers; an upload wake the readings it sends too.
  expect(Math.max(...phases.flashBytesRead.slice(1))).toBeLessThan(6_000);
  expect(d.sleepFigures()).toMatchObject({ wakes: 120, radioWakes: 5 });
});

it("sleep mode: an upload wake reads what is new since the last upload, not its sector from the start", async () => {
  const flash = new NorFlash({ sectorCount: 16, seed: 3 });
  const d = device(await slowServer(0), { mode: "sleep", sampleIntervalMs: MINUTE, uploadEvery: 5, telemetryIntervalMs: 0 }, { flash });
  d.start();
  await d.runFor(3 * 60 * MINUTE);
  d.stop();
  const s = d.agent.snapshot();
  expect(invariantHolds(s)).toBe(true);
  expect(s.delivered).toBe(s.sampled - s.buffered);
  const phases = d.phaseCounts();
  // Three hours of frames fill more than one 4 KB sector; each upload sends five wakes' readings.
  expect(phases.requests).toBeGreaterThan(30);
  // The state, two sector headers, the head's end and five frames: never the sector's released frames again.
  expect(Math.max(...phases.flashBytesRead.slice(1))).toBeLessThan(1_000);
});
