// The baseline: the device written the way the Moddable SDK's HTTP(S) POST examples are written.
// Each reading becomes an object {variable, value, unit, time, group}; each request's body is
// JSON.stringify of one reading; the response text is JSON.parse'd for TagoIO's `status`. Readings
// wait in an array while one request is on the wire (the examples keep none; a queue is the least
// a fair comparison needs, and what the buffered-RAM figure measures). Portable, same ports.

import type { VariableConfig } from "../firmware/core/variable-config.js";
import type { Ports } from "../firmware/ports.js";

export interface BaselineReading {
  variable: string;
  value: unknown;
  unit?: string;
  time: string;
  group: string;
}

export interface BaselineOptions {
  host: string;
  token: string;
  sampleIntervalMs: number;
  variables: readonly VariableConfig[];
}

const RETRY_MS = 5_000;
const utf8 = new TextEncoder();

export class Baseline {
  sampled = 0;
  delivered = 0;
  readonly queue: BaselineReading[] = [];
  private readonly ports: Pick<Ports, "clock" | "timers" | "http" | "sensors" | "network">;
  private readonly options: BaselineOptions;
  /** Each variable's field path, split once as an example would hard-code it. */
  private readonly paths: string[][];
  private readonly decoder = new TextDecoder();
  private busy = false;

  constructor(ports: Pick<Ports, "clock" | "timers" | "http" | "sensors" | "network">, options: BaselineOptions) {
    this.ports = ports;
    this.options = options;
    this.paths = options.variables.map((v) => v.field.split("."));
  }

  start(): void {
    const tick = (): void => {
      this.sample();
      this.ports.timers.set(tick, this.options.sampleIntervalMs);
    };
    this.ports.timers.set(tick, this.options.sampleIntervalMs);
  }

  /** Reads every sensor once and queues its readings: the sample timer's work, or a deep-sleep device's one sample a wake. */
  sample(): void {
    const wall = this.ports.clock.wallMs();
    const time = new Date(wall).toISOString();
    const group = wall.toString(36);
    for (const sensor of this.ports.sensors) {
      const sample = sensor.sample() as Record<string, Record<string, unknown>>;
      const variables = this.options.variables;
      for (let i = 0; i < variables.length; i++) {
        const v = variables[i];
        if (v.sensor !== sensor.name) continue;
        const path = this.paths[i];
        this.queue.push({ variable: v.name, value: sample[path[0]][path[1]], unit: v.unit, time, group });
        this.sampled++;
      }
    }
    this.send();
  }

  private send(): void {
    if (this.busy || this.queue.length === 0 || !this.ports.network.online()) return;
    this.busy = true;
    const exchange = this.ports.http.request({
      method: "POST",
      tls: true,
      host: this.options.host,
      port: 443,
      path: "/data",
      headers: [
        ["Content-Type", "application/json"],
        ["Device-Token", this.options.token],
      ],
      body: utf8.encode(JSON.stringify(this.queue[0])),
      timeoutMs: 30_000,
      maxResponseBytes: 2048,
    });
    void exchange.result.then((result) => {
      this.busy = false;
      if (result.ok && this.succeeded(result.response.body)) {
        this.queue.shift();
        this.delivered++;
        this.send();
      } else {
        this.ports.timers.set(() => this.send(), RETRY_MS);
      }
    });
  }

  private succeeded(body: Uint8Array): boolean {
    try {
      return (JSON.parse(this.decoder.decode(body)) as { status?: unknown }).status === true;
    } catch {
      return false;
    }
  }
}
