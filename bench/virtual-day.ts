// A virtual day of a 1 Hz device with three variables (259,200 readings) against the local
// endpoint over real TLS, default configuration otherwise: how long it takes in real time and how
// many requests it needed (plus cpuMs). Run directly (`npx tsx bench/virtual-day.ts`) it prints the numbers.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SimulatedDevice } from "../host-sim/device/device.js";
import { startEndpoint } from "../host-sim/endpoint/server.js";

const DAY_MS = 86_400_000;
const TOKEN = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

export async function measureVirtualDay(): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(join(tmpdir(), "virtual-day-"));
  let device: SimulatedDevice | undefined;
  const endpoint = await startEndpoint({ dataDir, devices: [{ token: TOKEN }], now: () => device?.trueWallMs() ?? Date.now() });
  try {
    device = new SimulatedDevice({
      config: { token: TOKEN, host: "127.0.0.1", port: endpoint.port, sampleIntervalMs: 1000, telemetryIntervalMs: 0 },
      time: { mode: "virtual", startWallMs: Date.UTC(2026, 0, 1) },
      logger: { log: () => undefined },
      tls: { ca: endpoint.caPem, caName: endpoint.caPemPath },
    });
    const started = performance.now();
    const cpu = process.cpuUsage();
    device.start();
    await device.runFor(DAY_MS);
    device.stop();
    const wallMs = Math.round(performance.now() - started);
    const used = process.cpuUsage(cpu);
    // CPU time of this process (device and endpoint), steadier than wall time on a busy machine.
    const cpuMs = Math.round((used.user + used.system) / 1000);
    const s = device.agent.snapshot();
    return { readings: s.sampled, delivered: s.delivered, requests: s.requests, wallMs, cpuMs, storedRecords: endpoint.count(TOKEN) };
  } finally {
    await endpoint.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await measureVirtualDay()));
}
