// The benchmark's workloads, run inside the XS worker: the agent and the baseline on the same
// simulated device, virtual clock and always-ACK transport (online, or offline to fill the
// buffer); the fixture alone; and the slot probe that calibrates the heap figures. Each returns
// plain figures; what a heap measurement needs alive stays in `held` until the worker ends.

import { Agent } from "../firmware/core/agent.js";
import { BOARD_VARIABLES } from "../firmware/simulated/board.js";
import { SeededRandom } from "../firmware/simulated/prng.js";
import type { HttpRequest } from "../firmware/ports.js";
import { VirtualClock } from "../firmware/fakes/virtual-clock.js";
import { runUntil } from "../tools/xs/drive.js";
import { AckTransport } from "../firmware/fakes/ack-transport.js";
import { Baseline, type BaselineReading } from "./baseline.js";
import { AGENT_CONFIG, HOST, SAMPLE_INTERVAL_MS, TOKEN, WALL_START_MS, deviceSensors } from "./device.js";
import { jsonBytes, wireBytes } from "./wire.js";

export type Device = "agent" | "baseline";

export interface RunFigures {
  sampled: number;
  delivered: number;
  buffered: number;
  requests: number;
  /** Wire bytes of every request (0 unless measured). */
  wireBytes: number;
  /** JSON.stringify bytes of the minimal TagoIO object of every delivered reading (0 unless measured). */
  minimalJsonBytes: number;
}

export interface RunOptions {
  device: Device;
  seconds: number;
  /** Count wire and minimal-JSON bytes (costs computrons: off in the timed runs). */
  measureBytes: boolean;
  /** Whether the network is up; when down, readings pile up in the buffer. */
  online: boolean;
  /** The agent's ring capacity (default when absent). */
  bufferCapacity?: number;
}

/** What a heap measurement keeps reachable after its command ends. */
const held: unknown[] = [];

/** The same readings as the smallest JSON array of plain objects; the baseline posts one object. */
function minimalBytes(request: HttpRequest): number {
  const body = request.body === undefined ? "[]" : new TextDecoder().decode(request.body);
  let bytes = 0;
  for (const r of JSON.parse(body.startsWith("[") ? body : `[${body}]`) as BaselineReading[]) {
    bytes += jsonBytes({ variable: r.variable, value: r.value, unit: r.unit, time: r.time, group: r.group });
  }
  return bytes;
}

export async function runDevice(options: RunOptions): Promise<RunFigures> {
  const clock = new VirtualClock({ wallStartMs: WALL_START_MS, trusted: true });
  const figures: RunFigures = { sampled: 0, delivered: 0, buffered: 0, requests: 0, wireBytes: 0, minimalJsonBytes: 0 };
  const observe = options.measureBytes
    ? (request: HttpRequest) => {
        figures.wireBytes += wireBytes(request);
        figures.minimalJsonBytes += minimalBytes(request);
      }
    : undefined;
  const http = new AckTransport(observe);
  const online = options.online;
  const ports = { clock, timers: clock, http, sensors: deviceSensors(clock), network: { online: () => online } };
  let count: () => Pick<RunFigures, "sampled" | "delivered" | "buffered">;
  if (options.device === "agent") {
    const config = options.bufferCapacity === undefined ? AGENT_CONFIG : { ...AGENT_CONFIG, bufferCapacity: options.bufferCapacity };
    const agent = Agent.create(config, { ...ports, logger: { log: () => {} }, random: new SeededRandom(7) });
    agent.start();
    held.push(agent);
    count = () => agent.snapshot();
  } else {
    const baseline = new Baseline(ports, { host: HOST, token: TOKEN, sampleIntervalMs: SAMPLE_INTERVAL_MS, variables: BOARD_VARIABLES });
    baseline.start();
    held.push(baseline);
    count = () => ({ sampled: baseline.sampled, delivered: baseline.delivered, buffered: baseline.queue.length });
  }
  await runUntil(clock, options.seconds * 1000);
  const { sampled, delivered, buffered } = count();
  return { ...figures, sampled, delivered, buffered, requests: http.requests };
}

/**
 * The fixture alone, what every device run pays besides its own code: the virtual clock firing a
 * timer a second, the driver's microtask turns, and the simulated sensors read once per tick.
 */
export async function runFixture(seconds: number): Promise<{ ticks: number }> {
  const clock = new VirtualClock({ wallStartMs: WALL_START_MS, trusted: true });
  const sensors = deviceSensors(clock);
  let ticks = 0;
  const tick = (): void => {
    ticks++;
    for (const sensor of sensors) sensor.sample();
    clock.set(tick, SAMPLE_INTERVAL_MS);
  };
  clock.set(tick, SAMPLE_INTERVAL_MS);
  await runUntil(clock, seconds * 1000);
  return { ticks };
}

/** Allocates a chain of `n` one-property objects and holds it: pure slots, for the slot size. */
export function holdSlots(n: number): { n: number } {
  let chain: { next: unknown } | null = null;
  for (let i = 0; i < n; i++) chain = { next: chain };
  held.push(chain);
  return { n };
}
