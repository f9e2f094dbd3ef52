// An end-to-end rig: the real local endpoint over real TLS in its own temp data dir, and one
// simulated device on the virtual clock posting to it, with every sensor sample recorded so the
// stored data can be compared with what was sampled.

import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import type { Snapshot } from "../../firmware/core/agent.js";
import type { HttpClient, Sensor, SettingsStore } from "../../firmware/ports.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import { SimulatedDevice } from "../../host-sim/device/device.js";
import type { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { startEndpoint, type Endpoint, type EndpointOptions, type StoredRecord } from "../../host-sim/endpoint/server.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";

export const TOKEN = "3f2b9c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f";
export const OTHER_TOKEN = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
/** 2026-03-01T00:00:00Z */
export const START = Date.UTC(2026, 2, 1);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export interface Sample {
  sensor: string;
  sample: unknown;
  /** True wall time of the sample (the device's boots and sleeps included). */
  wallMs: number;
}

/** What the endpoint should hold for one reading: variable, value, unit and the sample's wall time. */
export interface Expected {
  variable: string;
  value: number;
  unit: string;
  time: string;
}

export interface RigOptions {
  config?: Record<string, unknown>;
  /** Token the device posts with; TOKEN by default. */
  token?: string;
  endpoint?: Partial<Pick<EndpointOptions, "devices" | "rateLimits">>;
  /** Boot with an untrusted clock that syncs after this much device time. */
  syncAfterMs?: number;
  /** Wraps the device's real HTTPS client (to lose answers, for instance). */
  http?: (client: HttpClient) => HttpClient;
  /** The flash the device journals to; none by default. */
  flash?: NorFlash;
  /** The board's stored settings; none by default (then it takes no TagoIO parameters). */
  settings?: SettingsStore;
}

export interface Rig {
  endpoint: Endpoint;
  device: SimulatedDevice;
  samples: Sample[];
  logs: string[];
  /** Every reading sampled, in sampling order, as the endpoint should store it. */
  expected(): Expected[];
  stored(): StoredRecord[];
  close(): Promise<void>;
}

let identity: Promise<string> | undefined;

// Registered on the importing test file: its identity dir goes when its tests are done.
afterAll(async () => {
  if (identity !== undefined) rmSync(await identity, { recursive: true, force: true });
});

/**
 * A temp data dir of its own, with a copy of one endpoint TLS identity (CA and leaf files) made
 * once per test file: generating RSA keys costs about a second per fresh dir.
 */
export async function tempDataDir(): Promise<string> {
  identity ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "e2e-identity-"));
    await (await startEndpoint({ dataDir: dir, devices: [] })).close();
    return dir;
  })();
  const from = await identity;
  const dir = mkdtempSync(join(tmpdir(), "e2e-"));
  for (const name of readdirSync(from)) if (/\.(pem|der)$/.test(name)) copyFileSync(join(from, name), join(dir, name));
  return dir;
}

function recording(sensor: Sensor, wallMs: () => number, samples: Sample[]): Sensor {
  return {
    name: sensor.name,
    sample: () => {
      const sample = sensor.sample();
      samples.push({ sensor: sensor.name, sample, wallMs: wallMs() });
      return sample;
    },
  };
}

function pick(sample: unknown, field: string): unknown {
  return field.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], sample);
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const dataDir = await tempDataDir();
  const samples: Sample[] = [];
  const logs: string[] = [];
  let device: SimulatedDevice | undefined;
  const endpoint = await startEndpoint({
    dataDir,
    devices: [{ token: TOKEN }],
    ...options.endpoint,
    now: () => device?.trueWallMs() ?? START,
  });
  device = new SimulatedDevice({
    // No telemetry unless a test asks: `expected()` and `drained()` compare sensor readings only.
    config: { token: options.token ?? TOKEN, host: "127.0.0.1", port: endpoint.port, sampleIntervalMs: 1000, telemetryIntervalMs: 0, ...options.config },
    time: { mode: "virtual", startWallMs: START, syncAfterMs: options.syncAfterMs },
    logger: { log: (level, message) => logs.push(`${level} ${message}`) },
    sensors: (clock) => simulatedSensors({ clock, seed: 7 }).map((s) => recording(s, () => device?.trueWallMs() ?? START, samples)),
    tls: { ca: endpoint.caPem, caName: endpoint.caPemPath },
    http: options.http,
    flash: options.flash,
    settings: options.settings,
  });
  return {
    endpoint,
    device,
    samples,
    logs,
    expected: () =>
      samples.flatMap((s) =>
        BOARD_VARIABLES.filter((v) => v.sensor === s.sensor).map((v) => ({
          variable: v.name,
          value: pick(s.sample, v.field) as number,
          unit: v.unit,
          time: new Date(s.wallMs).toISOString(),
        })),
      ),
    stored: () => endpoint.records(options.token ?? TOKEN),
    close: async () => {
      device?.stop();
      await endpoint.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The fields compared between what was sampled and what was stored. */
export function comparable(r: Expected | StoredRecord): Expected {
  return { variable: r.variable, value: r.value as number, unit: r.unit ?? "", time: r.time };
}

/**
 * `ms` more of device time with the server accepting: everything buffered is delivered, once and
 * as sampled, to the endpoint's device TOKEN (whatever token the device started with).
 */
export async function drained(rig: Rig, ms = 5 * MINUTE): Promise<Snapshot> {
  await rig.device.runFor(ms);
  rig.device.stop();
  const s = rig.device.agent.snapshot();
  expect(s.droppedTotal).toBe(0);
  expect(invariantHolds(s)).toBe(true);
  expect(s.buffered).toBeLessThan(3 * 60 + 3);
  const stored = rig.endpoint.records(TOKEN);
  expect(stored.length).toBe(s.delivered);
  expect(stored.map(comparable)).toEqual(rig.expected().slice(0, s.delivered));
  return s;
}
