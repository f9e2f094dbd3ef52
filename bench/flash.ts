// The flash journal's cost for a 1 Hz device with three variables (simulated SHT3x + BMP280),
// agent defaults otherwise (an upload a minute, always acknowledged), on a 256 KB partition of
// 4 KB sectors: flash bytes written per reading, erases per million readings and how evenly they
// spread over the sectors, and what booting on a full partition costs (flash bytes read, readings
// recovered). Deterministic but for recoveryMs. Run directly (`npx tsx bench/flash.ts`) it prints
// the numbers as JSON.

import { pathToFileURL } from "node:url";
import { Agent } from "../firmware/core/agent.js";
import { Journal } from "../firmware/core/journal.js";
import type { Ports } from "../firmware/ports.js";
import { BOARD_VARIABLES } from "../firmware/simulated/board.js";
import { SeededRandom } from "../firmware/simulated/prng.js";
import { simulatedSensors } from "../firmware/simulated/sensors.js";
import { NorFlash } from "../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../firmware/fakes/virtual-clock.js";
import { AckTransport } from "../firmware/fakes/ack-transport.js";

const TOKEN = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
const SECTORS = 64;
const READINGS = 1_000_000;
/** Erase cycles a NOR sector is rated for (ESP32 SPI flash parts: 100,000). */
const RATED_ERASES = 100_000;
const READINGS_PER_DAY = 86_400 * 3;

interface Device {
  agent: Agent;
  clock: VirtualClock;
}

function device(flash: NorFlash, online: boolean): Device {
  const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1), trusted: true });
  const ports: Ports = {
    clock,
    timers: clock,
    http: new AckTransport(),
    sensors: simulatedSensors({ clock, seed: 1 }),
    network: { online: () => online },
    logger: { log: () => undefined },
    random: new SeededRandom(3),
    flash,
  };
  // Sensor readings only: the figures are per reading of the three variables.
  const agent = Agent.create({ token: TOKEN, variables: BOARD_VARIABLES, sampleIntervalMs: 1000, telemetryIntervalMs: 0 }, ports);
  agent.start();
  return { agent, clock };
}

/** Runs until `readings` have been sampled; acknowledgements settle between timers. */
async function runUntil(d: Device, readings: number): Promise<void> {
  while (d.agent.snapshot().sampled < readings && d.clock.runNext()) await null;
}

function spread(counts: Uint32Array): { min: number; max: number; stddev: number } {
  const values = Array.from(counts);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { min: Math.min(...values), max: Math.max(...values), stddev: Math.round(Math.sqrt(variance) * 1000) / 1000 };
}

export async function measureFlash(): Promise<Record<string, number>> {
  // Online: a million readings, acknowledged a minute at a time.
  const flash = new NorFlash({ sectorCount: SECTORS });
  const online = device(flash, true);
  await runUntil(online, READINGS);
  const s = online.agent.snapshot();
  const erases = spread(flash.eraseCounts);
  const erasesPerMillion = (flash.erases / s.sampled) * 1e6;
  const erasesPerSectorPerDay = (erasesPerMillion * READINGS_PER_DAY) / 1e6 / SECTORS;

  // Offline until the partition is full, then a boot on it.
  const full = new NorFlash({ sectorCount: SECTORS });
  const offline = device(full, false);
  while (offline.agent.snapshot().droppedTotal === 0 && offline.clock.runNext()) await null;
  const before = { bytes: full.bytesRead, reads: full.reads };
  const started = performance.now();
  const journal = new Journal(full, { whenFull: "drop-oldest", variables: BOARD_VARIABLES, onDrop: () => undefined });
  const recoveryMs = performance.now() - started;

  return {
    readings: s.sampled,
    delivered: s.delivered,
    flashBytesPerReading: Math.round((flash.bytesWritten / s.sampled) * 100) / 100,
    flashWritesPerReading: Math.round(((flash.operations - flash.erases) / s.sampled) * 1000) / 1000,
    erasesPerMillionReadings: Math.round(erasesPerMillion),
    sectors: SECTORS,
    sectorErasesMin: erases.min,
    sectorErasesMax: erases.max,
    sectorErasesStddev: erases.stddev,
    yearsTo100kErasesPerSector: Math.round(RATED_ERASES / erasesPerSectorPerDay / 365),
    recoveryReadings: journal.recovered,
    recoveryFlashBytesRead: full.bytesRead - before.bytes,
    recoveryFlashReads: full.reads - before.reads,
    partitionBytes: full.byteLength,
    recoveryMs: Math.round(recoveryMs),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await measureFlash()));
}
