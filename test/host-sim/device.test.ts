// The virtual-time driver with a real network in between: device time stands still while an
// exchange is on the wire (so no virtual timeout fires), while the port's real timeout still holds.

import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, expect, it } from "vitest";
import { SimulatedDevice } from "../../host-sim/device.js";
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

/** A TLS server that answers every POST with a success envelope after `delayMs` of real time. */
async function slowServer(delayMs: number, observe: (phase: "received" | "answered") => void = () => undefined): Promise<number> {
  const server = https.createServer({ key: fixture.keyPem, cert: fixture.certPem }, (req, res) => {
    req.resume();
    req.on("end", () => {
      observe("received");
      setTimeout(() => {
        observe("answered");
        res.end('{"status":true,"result":"ok"}');
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

function device(port: number, config: Record<string, unknown> = {}): SimulatedDevice {
  const d = new SimulatedDevice({
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
  const port = await slowServer(1_500);
  const d = device(port);
  d.start();
  await d.runFor(61_000);
  const s = d.agent.snapshot();
  expect(s.requests).toBe(1);
  expect(s.failures.timeout).toBe(1);
  expect(s.buffered).toBe(s.sampled);
});
