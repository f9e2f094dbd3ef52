// A whole device for core tests: the real agent on a virtual clock, with the simulated board
// (or given sensors), a switchable network and the in-memory TagoIO, driven as fast as it goes.

import { Agent, type Snapshot } from "../../firmware/core/agent.js";
import type { Sensor } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { FakeTago } from "../../firmware/fakes/fake-tago.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { BOARD_VARIABLES, TOKEN } from "./fixtures.js";

export const START_WALL = Date.UTC(2026, 10, 26, 0, 0, 0);

export interface SimDeviceOptions {
  config?: Record<string, unknown>;
  sensors?: (clock: VirtualClock) => Sensor[];
  trusted?: boolean;
  seed?: number;
}

export class SimDevice {
  readonly clock: VirtualClock;
  readonly tago: FakeTago;
  readonly logger = new MemoryLogger();
  readonly agent: Agent;
  online = true;
  /** Called after every event; tests put invariant checks here. */
  onStep: (snapshot: Snapshot) => void = () => {};

  constructor(options: SimDeviceOptions = {}) {
    const seed = options.seed ?? 1;
    this.clock = new VirtualClock({ wallStartMs: START_WALL, trusted: options.trusted ?? true });
    this.tago = new FakeTago(this.clock);
    const clock = this.clock;
    this.agent = Agent.create(
      { token: TOKEN, variables: BOARD_VARIABLES, sampleIntervalMs: 1000, ...options.config },
      {
        clock,
        timers: clock,
        http: this.tago.http,
        sensors: options.sensors ? options.sensors(clock) : simulatedSensors({ clock, seed }),
        network: { online: () => this.online },
        logger: this.logger,
        random: new SeededRandom(seed + 100),
      },
    );
  }

  /** Runs `ms` of device time, stepping through every timer. */
  async run(ms: number): Promise<Snapshot> {
    const end = this.clock.monotonicMs() + ms;
    while (this.clock.runNext(end)) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.onStep(this.agent.snapshot());
    }
    this.clock.advanceTo(end);
    return this.agent.snapshot();
  }
}
