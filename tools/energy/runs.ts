// The virtual runs the energy model replays: the same board (the simulated SHT3x and BMP280, three
// variables), the same pattern (a sample a minute, uploads hourly), the same local endpoint over
// real TLS, the same counting at the ports (counting.ts). Each pattern is a DeviceRun:
// - always-on: the agent as it runs today (SimulatedDevice on the virtual clock), Wi-Fi joined
//   once and kept, idle between samples;
// - baseline: wake, join, sample, post, deep sleep, every minute: the Moddable SDK examples'
//   device (bench/baseline.ts), booted afresh at each wake on a clock that keeps the wall time;
// - sleep: the agent's sleep mode on the host simulator, every wake a power cycle; the agent's
//   XS work at each of its boots is measured on xsnap (wake-work.ts, xs-work.ts).

import { readFileSync } from "node:fs";
import { Baseline } from "../../bench/baseline.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import type { Clock, HttpClient, Logger, Sensor } from "../../firmware/ports.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { SimulatedDevice } from "../../host-sim/device/device.js";
import { NodeHttpClient } from "../../host-sim/ports/node-http.js";
import { TrackingHttp } from "../../host-sim/ports/tracking-http.js";
import { CountingHttp, countingSensors } from "./counting.js";
import type { RunCounts } from "./replay.js";
import { sleepConfig, SLEEP_FLASH, SENSOR_SEED, type DeviceSettings } from "./wake-work.js";
import { measureWakeWork } from "./xs-work.js";

export interface RunSetup {
  durationMs: number;
  /** True wall time at the start. */
  startWallMs: number;
  sampleIntervalMs: number;
  uploadIntervalMs: number;
  /** The local endpoint: 127.0.0.1 on `port`, its CA, this run's device token. */
  port: number;
  token: string;
  ca: string;
  caName: string;
  /** Hands the endpoint this run's true wall time, for its rate windows and time stamps. */
  useClock(trueWallMs: () => number): void;
}

export type DeviceRun = (setup: RunSetup) => Promise<RunCounts>;

/** The firmware builds' ring and batch limit (manifests/memory.json), which fit the XS chunk heap and set the requests an upload takes. */
export const DEVICE_SETTINGS: Readonly<DeviceSettings> = (JSON.parse(readFileSync(new URL("../../manifests/memory.json", import.meta.url), "utf8")) as { config: DeviceSettings }).config;

const HOST = "127.0.0.1";
const quiet: Logger = { log: () => undefined };

/** The board's sensors for one boot, with its samples counted. */
function board(clock: Clock, seed: number, onSample: () => void): Sensor[] {
  return countingSensors(simulatedSensors({ clock, seed }), onSample);
}

/** Runs the simulated device for the setup's duration on the endpoint's clock. */
async function runFor(device: SimulatedDevice, setup: RunSetup): Promise<void> {
  setup.useClock(() => device.trueWallMs());
  try {
    device.start();
    await device.runFor(setup.durationMs);
  } finally {
    device.stop();
  }
}

export const alwaysOnRun: DeviceRun = async (setup) => {
  let samples = 0;
  let http: CountingHttp | undefined;
  const device = new SimulatedDevice({
    config: {
      token: setup.token,
      host: HOST,
      port: setup.port,
      sampleIntervalMs: setup.sampleIntervalMs,
      uploadIntervalMs: setup.uploadIntervalMs,
      ...DEVICE_SETTINGS,
      telemetryIntervalMs: 0,
      variables: BOARD_VARIABLES,
    },
    time: { mode: "virtual", startWallMs: setup.startWallMs },
    logger: quiet,
    tls: { ca: setup.ca, caName: setup.caName },
    sensors: (clock) => board(clock, 1, () => samples++),
    http: (client) => (http = new CountingHttp(client)),
  });
  await runFor(device, setup);
  const counted = http as CountingHttp;
  const s = device.agent.snapshot();
  if (s.delivered === 0) throw new Error(`always-on run: nothing delivered (${s.lastError ?? "no error"})`);
  return {
    deviceMs: setup.durationMs,
    boots: device.boots,
    samples,
    // Joined at boot and kept: the network never drops in this run.
    wifiJoins: 1,
    tlsHandshakes: counted.tlsHandshakes,
    requests: counted.requests,
    bytesSent: counted.bytesSent,
    bytesReceived: counted.bytesReceived,
    // Awake and idle all along, as the host simulator counts an always-on run.
    awakeMs: [setup.durationMs],
    sleepMs: 0,
    idleMs: setup.durationMs,
    // No journal, and its XS work is not measured.
    flashPagePrograms: [],
    flashSectorsErased: [],
    xsComputrons: 0,
  };
};

/** The baseline posts to port 443 as the SDK's examples do; this points it at the endpoint's port. */
function toPort(inner: HttpClient, port: number): HttpClient {
  return { request: (request) => inner.request({ ...request, port }) };
}

export const baselineRun: DeviceRun = async (setup) => {
  const transport = new NodeHttpClient({ logger: quiet, ca: setup.ca, caName: setup.caName });
  const tracking = new TrackingHttp(toPort(transport, setup.port));
  const http = new CountingHttp(tracking);
  let samples = 0;
  let boots = 0;
  const awakeMs: number[] = [];
  let clock = new VirtualClock({ wallStartMs: setup.startWallMs, trusted: true });
  setup.useClock(() => clock.wallMs());
  try {
    for (let at = 0; at < setup.durationMs; at += setup.sampleIntervalMs) {
      // A wake: RAM is lost (a new device and timers), the RTC kept the wall time.
      boots++;
      clock = new VirtualClock({ wallStartMs: setup.startWallMs + at, trusted: true });
      const ports = { clock, timers: clock, http, sensors: board(clock, boots, () => samples++), network: { online: () => true } };
      const device = new Baseline(ports, { host: HOST, token: setup.token, sampleIntervalMs: setup.sampleIntervalMs, variables: BOARD_VARIABLES });
      device.sample();
      while (device.delivered < device.sampled) {
        if (tracking.inFlight > 0) {
          await tracking.settled();
          // The device's handling of the answer (promise reactions) runs first.
          await new Promise((resolve) => setImmediate(resolve));
        } else if (!clock.runNext()) {
          throw new Error("baseline run: readings waiting and nothing scheduled");
        }
      }
      awakeMs.push(clock.monotonicMs());
    }
  } finally {
    transport.close();
  }
  return {
    deviceMs: setup.durationMs,
    boots,
    samples,
    wifiJoins: boots,
    tlsHandshakes: http.tlsHandshakes,
    requests: http.requests,
    bytesSent: http.bytesSent,
    bytesReceived: http.bytesReceived,
    awakeMs,
    sleepMs: setup.durationMs - awakeMs.reduce((sum, ms) => sum + ms, 0),
    idleMs: 0,
    // No journal, and its XS work is not measured.
    flashPagePrograms: [],
    flashSectorsErased: [],
    xsComputrons: 0,
  };
};

/**
 * The agent in sleep mode: the host simulator's run of it, every wake a power cycle on the virtual
 * clock, uploading every `uploadIntervalMs / sampleIntervalMs` wakes, journaling to a 256 KB
 * flash; its phase counts are the device's own. The agent's XS work at each boot is measured on
 * xsnap in the same pattern, as many boots (`wakeWork` keeps it by boot, beside this run's flash
 * figures).
 */
export const sleepRun: DeviceRun = async (setup) => {
  const config = sleepConfig({ ...setup, host: HOST, device: DEVICE_SETTINGS });
  const device = new SimulatedDevice({
    config,
    time: { mode: "virtual", startWallMs: setup.startWallMs },
    logger: quiet,
    tls: { ca: setup.ca, caName: setup.caName },
    sensors: (clock) => simulatedSensors({ clock, seed: SENSOR_SEED }),
    flash: new NorFlash(SLEEP_FLASH),
  });
  await runFor(device, setup);
  const counts = device.phaseCounts();
  if (device.agent.snapshot().delivered === 0) throw new Error("sleep run: nothing delivered");
  const xs = await measureWakeWork({ config, wallStartMs: setup.startWallMs, boots: counts.boots });
  const wakeWork = xs.map((w, i) => ({
    radio: counts.radio[i],
    computrons: w.computrons,
    flashBytesRead: counts.flashBytesRead[i],
    flashBytesProgrammed: counts.flashBytesProgrammed[i],
    flashPagePrograms: counts.flashPagePrograms[i],
    flashSectorsErased: counts.flashSectorsErased[i],
  }));
  // Every request here is HTTPS, and the SDK's Request opens a connection for each (it sends
  // `Connection: close`), where the host's client may reuse one: a handshake per request.
  return { ...counts, tlsHandshakes: counts.requests, xsComputrons: xs.reduce((sum, w) => sum + w.computrons, 0), wakeWork };
};
