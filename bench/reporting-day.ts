// A realistic day for the reporting filters: a 1 Hz device whose temperature follows a daily curve
// with a slower weather swing, humidity moving against it, and pressure drifting, each with the
// noise and resolution of an SHT3x or a BMP280. The agent runs it twice on the virtual clock with
// an always-ACK transport: sending every sample, and with the filters the README recommends.
// Figures per day: records stored (TagoIO bills each), bytes on the wire, requests; with filters,
// also the largest gap between a raw reading and the value the store shows at its time (the last
// record at or before it). Deterministic (seeded). `npx tsx bench/reporting-day.ts` prints them.

import { pathToFileURL } from "node:url";
import { Agent } from "../firmware/core/agent.js";
import type { VariableConfig } from "../firmware/core/variable-config.js";
import { AckTransport } from "../firmware/fakes/ack-transport.js";
import { VirtualClock } from "../firmware/fakes/virtual-clock.js";
import type { HttpRequest, Sensor } from "../firmware/ports.js";
import { BOARD_VARIABLES } from "../firmware/simulated/board.js";
import { SeededRandom } from "../firmware/simulated/prng.js";
import { runUntil } from "../tools/xs/drive.js";
import { TOKEN, WALL_START_MS } from "./device.js";
import { wireBytes } from "./wire.js";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The filters the README recommends for these chips: a change worth a record, and a record at least every 10 minutes. */
export const RECOMMENDED: Readonly<Record<string, { delta: number; heartbeatMs: number }>> = {
  temperature: { delta: 0.1, heartbeatMs: 600_000 },
  humidity: { delta: 0.5, heartbeatMs: 600_000 },
  pressure: { delta: 10, heartbeatMs: 600_000 },
};

export interface DayFigures {
  registersPerDay: number;
  wireBytesPerDay: number;
  requestsPerDay: number;
}

export interface ReportingFigures {
  everySample: DayFigures;
  filtered: DayFigures & { filters: typeof RECOMMENDED; maxAbsError: Record<string, number> };
}

/** Roughly normal noise: the mean of four uniforms, scaled to standard deviation `sd`. */
function gaussian(random: SeededRandom, sd: number): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += random.next();
  return (sum - 2) * sd * Math.sqrt(3);
}

const round = (value: number, step: number): number => Number((Math.round(value / step) * step).toFixed(2));

/** The day's signals, as the two chips' samples; every raw reading is kept for the error figure. */
function daySensors(clock: VirtualClock, raw: Map<string, Array<[number, number]>>): Sensor[] {
  const random = new SeededRandom(2026);
  const keep = (name: string, value: number): number => {
    raw.get(name)?.push([clock.wallMs(), value]);
    return value;
  };
  const hours = (): number => clock.monotonicMs() / HOUR_MS;
  const daily = (): number => Math.sin((2 * Math.PI * (hours() - 9)) / 24);
  return [
    {
      name: "sht3x",
      sample: () => ({
        thermometer: { temperature: keep("temperature", round(18 + 5 * daily() + 0.8 * Math.sin((2 * Math.PI * hours()) / 3.7) + gaussian(random, 0.02), 0.01)) },
        hygrometer: { humidity: keep("humidity", round(55 - 15 * daily() + gaussian(random, 0.1), 0.01)) },
      }),
    },
    {
      name: "bmp280",
      sample: () => ({ barometer: { pressure: keep("pressure", round(101_325 + 120 * Math.sin((2 * Math.PI * hours()) / 30) + gaussian(random, 1.5), 0.1)) } }),
    },
  ];
}

interface DayRun {
  figures: DayFigures;
  /** Records the transport was sent, per variable, as [wall ms, value], in order. */
  stored: Map<string, Array<[number, number]>>;
  raw: Map<string, Array<[number, number]>>;
}

async function runDay(variables: readonly VariableConfig[]): Promise<DayRun> {
  const clock = new VirtualClock({ wallStartMs: WALL_START_MS, trusted: true });
  const raw = new Map(variables.map((v) => [v.name, [] as Array<[number, number]>]));
  const stored = new Map(variables.map((v) => [v.name, [] as Array<[number, number]>]));
  let bytes = 0;
  const decoder = new TextDecoder();
  const http = new AckTransport((request: HttpRequest) => {
    bytes += wireBytes(request);
    for (const r of JSON.parse(decoder.decode(request.body)) as Array<{ variable: string; value: number; time: string }>) {
      stored.get(r.variable)?.push([Date.parse(r.time), r.value]);
    }
  });
  const agent = Agent.create(
    // Sensor records only: telemetry would add the same ~960 a day to both sides.
    { token: TOKEN, sampleIntervalMs: 1000, variables, telemetryIntervalMs: 0 },
    { clock, timers: clock, http, sensors: daySensors(clock, raw), network: { online: () => true }, logger: { log: () => {} }, random: new SeededRandom(7) },
  );
  agent.start();
  await runUntil(clock, DAY_MS - 1);
  // The day's last readings go out too, so the error figure covers every one.
  agent.flush();
  await runUntil(clock, DAY_MS - 1);
  agent.stop();
  const s = agent.snapshot();
  return { figures: { registersPerDay: s.delivered, wireBytesPerDay: bytes, requestsPerDay: s.requests }, stored, raw };
}

/** The largest |raw - shown| over the day, where shown is the last record at or before each raw reading. */
function largestError(raw: ReadonlyArray<[number, number]>, stored: ReadonlyArray<[number, number]>): number {
  let worst = 0;
  let k = -1;
  for (const [time, value] of raw) {
    while (k + 1 < stored.length && stored[k + 1][0] <= time) k++;
    if (k >= 0) worst = Math.max(worst, Math.abs(value - stored[k][1]));
  }
  return Number(worst.toFixed(4));
}

export async function measureReportingDay(): Promise<ReportingFigures> {
  const everySample = await runDay(BOARD_VARIABLES);
  const filtered = await runDay(BOARD_VARIABLES.map((v) => ({ ...v, ...RECOMMENDED[v.name] })));
  const maxAbsError: Record<string, number> = {};
  for (const v of BOARD_VARIABLES) maxAbsError[v.name] = largestError(filtered.raw.get(v.name) ?? [], filtered.stored.get(v.name) ?? []);
  return { everySample: everySample.figures, filtered: { ...filtered.figures, filters: RECOMMENDED, maxAbsError } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await measureReportingDay(), null, 2));
}
