// A simulated device: the portable agent on Node ports (real or virtual time, the simulated SHT3x
// and BMP280, the node:https client). In virtual time it runs as fast as it goes: the next timer
// fires at once unless an exchange is on the wire; then device time stands still until the answer
// has been handled, so a virtual request timeout can never fire (the port's real timeout still
// applies) and events keep exactly the order they would have in real time.

import { Agent } from "../firmware/core/agent.js";
import { validateConfig } from "../firmware/core/config.js";
import type { Clock, Logger, Ports, Sensor, Timers } from "../firmware/ports.js";
import { simulatedSensors } from "../firmware/simulated/sensors.js";
import { SwitchableNetwork } from "./network.js";
import { NodeHttpClient, type NodeHttpOptions } from "./node-http.js";
import { hostRandom } from "./random.js";
import { RealClock, RealTimers } from "./real-time.js";
import { TrackingHttp } from "./tracking-http.js";
import { VirtualClock } from "./virtual-clock.js";

/** Timer callbacks run between two yields to the event loop when no exchange is on the wire. */
const TIMERS_PER_YIELD = 10_000;

export const DEFAULT_VARIABLES = [
  { name: "temperature", unit: "°C", sensor: "sht3x", field: "thermometer.temperature" },
  { name: "humidity", unit: "%", sensor: "sht3x", field: "hygrometer.humidity" },
  { name: "pressure", unit: "Pa", sensor: "bmp280", field: "barometer.pressure" },
];

/** The configuration with the simulated board's three variables unless it names its own. */
export function withDefaultVariables(config: Record<string, unknown>): Record<string, unknown> {
  return config.variables === undefined ? { ...config, variables: DEFAULT_VARIABLES } : config;
}

export type DeviceTime =
  | { mode: "real" }
  /**
   * Device time from `startWallMs`. With `syncAfterMs` the device boots with an untrusted 1970
   * clock (as an ESP32 before SNTP) and learns the true wall time that much device time later.
   */
  | { mode: "virtual"; startWallMs: number; syncAfterMs?: number };

export interface DeviceOptions {
  /** Raw agent configuration (validated by Agent.create); variables default to DEFAULT_VARIABLES. */
  config: Record<string, unknown>;
  time: DeviceTime;
  logger: Logger;
  /** Seeds the sensors' noise, and in virtual time the agent's jitter too. */
  seed?: number;
  sensorFailureRate?: number;
  /** The board; the simulated SHT3x and BMP280 by default. */
  sensors?: (clock: Clock) => Sensor[];
  /** Trust settings for the HTTPS client (verifyTls comes from the configuration). */
  tls?: Pick<NodeHttpOptions, "ca" | "caName" | "trustHint">;
}

export class SimulatedDevice {
  readonly agent: Agent;
  readonly clock: Clock;
  readonly network = new SwitchableNetwork();
  /** Set in virtual time: tests may sync or jump it. */
  readonly virtualClock: VirtualClock | undefined;
  private readonly wallStartMs: number;
  private readonly http: TrackingHttp;
  private readonly transport: NodeHttpClient;
  private stopped = false;
  private signalStop!: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.signalStop = resolve));

  /** Builds the ports and the agent; throws ConfigError listing every configuration problem. */
  constructor(options: DeviceOptions) {
    const time = options.time;
    let timers: Timers;
    if (time.mode === "virtual") {
      const synced = time.syncAfterMs === undefined;
      const clock = new VirtualClock({ wallStartMs: synced ? time.startWallMs : 0, trusted: synced });
      if (!synced) clock.set(() => clock.sync(this.trueWallMs()), time.syncAfterMs ?? 0);
      this.virtualClock = clock;
      this.clock = clock;
      this.wallStartMs = time.startWallMs;
      timers = clock;
    } else {
      this.clock = new RealClock();
      this.wallStartMs = Date.now() - this.clock.monotonicMs();
      timers = new RealTimers();
    }
    const seed = options.seed ?? 1;
    const raw = withDefaultVariables(options.config);
    // Parsed here only to hand verifyTls to the transport; Agent.create below reports the problems.
    const checked = validateConfig(raw);
    this.transport = new NodeHttpClient({ logger: options.logger, verifyTls: !checked.ok || checked.config.verifyTls, ...options.tls });
    this.http = new TrackingHttp(this.transport);
    const ports: Ports = {
      clock: this.clock,
      timers,
      http: this.http,
      sensors: (options.sensors ?? ((clock) => simulatedSensors({ clock, seed, failureRate: options.sensorFailureRate })))(this.clock),
      network: this.network,
      logger: options.logger,
      // The sensors use seed and seed + 1; the agent's jitter gets its own stream.
      random: hostRandom(time.mode === "virtual" ? seed + 2 : undefined),
    };
    try {
      this.agent = Agent.create(raw, ports);
    } catch (e) {
      this.transport.close();
      throw e;
    }
  }

  /** The true wall time now (device time in virtual runs), for the endpoint and the logs. */
  trueWallMs(): number {
    return this.wallStartMs + this.clock.monotonicMs();
  }

  start(): void {
    this.agent.start();
  }

  /**
   * Runs `durationMs` of device time: as fast as it goes in virtual time, else real waiting
   * (undefined: until stopped, real time only). Ends early when the device is stopped.
   */
  async runFor(durationMs: number | undefined): Promise<void> {
    const clock = this.virtualClock;
    if (clock === undefined || durationMs === undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const elapsed = durationMs === undefined ? [] : [new Promise((resolve) => (timer = setTimeout(resolve, durationMs)))];
      await Promise.race([...elapsed, this.stopSignal]);
      clearTimeout(timer);
      return;
    }
    const end = clock.monotonicMs() + durationMs;
    let sinceYield = 0;
    while (!this.stopped) {
      if (this.http.inFlight > 0 || sinceYield >= TIMERS_PER_YIELD) {
        await this.http.settled();
        // One macrotask turn: the agent's handling of the answer (promise reactions) runs first.
        await new Promise((resolve) => setImmediate(resolve));
        sinceYield = 0;
        continue;
      }
      if (!clock.runNext(end)) break;
      sinceYield++;
    }
    if (!this.stopped) clock.advanceTo(end);
  }

  /** Stops the agent (a batch on the wire stays buffered), ends a running `runFor`, closes sockets. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.agent.stop();
    this.signalStop();
    this.transport.close();
  }
}
