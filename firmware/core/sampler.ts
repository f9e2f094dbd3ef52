// Sampling on schedule: every `sampleIntervalMs` each sensor is read once and every variable's
// field picked from its sample, stamped with trusted wall time or, before the clock is trusted,
// with uptime. A sensor that throws, or lacks a field, costs its readings for that sample only:
// it is counted (`sensorErrors`) and logged once until it reads again. Sampling never waits on
// the uplink: readings go to the backlog, which decides what is kept.

import type { Logger, Ports, Sensor, TimerHandle } from "../ports.js";
import type { Backlog } from "./backlog.js";
import type { AgentConfig } from "./config.js";
import { FLAG_GROUPED, FLAG_UPTIME, type ReadingValue } from "./ring.js";
import { errorMessage } from "./text.js";
import type { TimeBase } from "./timebase.js";

export interface SensorPlan {
  sensor: Sensor;
  /** Variable indexes, and the fields they read: each path's first key and the keys after it. */
  variables: number[];
  firsts: string[];
  rests: string[][];
  /** Whether the last sample failed, so a dead sensor is logged once, not every tick. */
  failing: boolean;
}

/** One plan per sensor the variables read; a variable naming a sensor the device lacks is added to `problems`. */
export function planSensors(config: AgentConfig, sensors: readonly Sensor[], problems: string[]): SensorPlan[] {
  const plans = new Map<string, SensorPlan>();
  config.variables.forEach((v, i) => {
    const sensor = sensors.find((s) => s.name === v.sensor);
    if (sensor === undefined) {
      const names = sensors.map((s) => s.name).join(", ") || "none";
      problems.push(`variables[${i}].sensor: no sensor named "${v.sensor}" on this device (have: ${names})`);
      return;
    }
    let plan = plans.get(v.sensor);
    if (plan === undefined) {
      plan = { sensor, variables: [], firsts: [], rests: [], failing: false };
      plans.set(v.sensor, plan);
    }
    plan.variables.push(i);
    const path = v.field.split(".");
    plan.firsts.push(path[0]);
    plan.rests.push(path.slice(1));
  });
  return Array.from(plans.values());
}

export class Sampler {
  /** Samples in which a sensor threw or lacked a field. */
  sensorErrors = 0;
  private readonly config: AgentConfig;
  private readonly ports: Ports;
  private readonly backlog: Backlog;
  private readonly timebase: TimeBase;
  private readonly logger: Logger;
  private readonly plans: SensorPlan[];
  private readonly grouped: boolean;
  /** The sample being taken: its readings' variables and values. */
  private readonly variables: number[] = [];
  private readonly values: ReadingValue[] = [];
  private timer: TimerHandle | undefined;
  private nextSampleAt = 0;

  /** Called after each sample (the agent checks whether an upload is worth starting). */
  private readonly onSampled: () => void;

  constructor(config: AgentConfig, ports: Ports, plans: SensorPlan[], backlog: Backlog, timebase: TimeBase, onSampled: () => void) {
    this.config = config;
    this.ports = ports;
    this.plans = plans;
    this.backlog = backlog;
    this.timebase = timebase;
    this.logger = ports.logger;
    this.onSampled = onSampled;
    this.grouped = config.variables.length > 1;
  }

  /** Takes the first sample at once, then one every interval. */
  start(): void {
    this.nextSampleAt = this.ports.clock.monotonicMs() - this.config.sampleIntervalMs;
    this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) this.ports.timers.clear(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample of every sensor now. */
  sample(): void {
    const wall = this.timebase.observe();
    const time = wall >= 0 ? wall : this.ports.clock.monotonicMs();
    const flags = (wall >= 0 ? 0 : FLAG_UPTIME) | (this.grouped ? FLAG_GROUPED : 0);
    const plans = this.plans;
    let count = 0;
    // One try for all sensors (entering one costs on XS): a sensor that throws ends its turn only.
    for (let p = 0; p < plans.length; p++) {
      try {
        for (; p < plans.length; p++) count = this.read(plans[p], count);
      } catch (e) {
        this.failed(plans[p], errorMessage(e));
      }
    }
    this.backlog.addSample(this.variables, this.values, count, time, flags);
    this.onSampled();
  }

  /** Reads `plan`'s sensor into the sample from index `at`; returns the index after its readings. */
  private read(plan: SensorPlan, at: number): number {
    const sample = plan.sensor.sample() as Record<string, unknown>;
    const { firsts, rests } = plan;
    const found = typeof sample === "object" && sample !== null;
    let count = at;
    let missing = "";
    for (let i = 0; i < firsts.length; i++) {
      let value = found ? sample[firsts[i]] : undefined;
      const rest = rests[i];
      // An indexed loop: on XS a for-of allocates an iterator for every reading.
      for (let j = 0; j < rest.length; j++) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[rest[j]] : undefined;
      const type = typeof value;
      if (type === "number" || type === "boolean" || type === "string") {
        this.variables[count] = plan.variables[i];
        this.values[count++] = value as ReadingValue;
      } else {
        missing = this.config.variables[plan.variables[i]].field;
      }
    }
    if (missing !== "") this.failed(plan, `no reading at "${missing}"`);
    else if (plan.failing) {
      plan.failing = false;
      this.logger.log("info", `sensor ${plan.sensor.name}: reading again`);
    }
    return count;
  }

  private schedule(): void {
    const now = this.ports.clock.monotonicMs();
    this.nextSampleAt += this.config.sampleIntervalMs;
    if (this.nextSampleAt < now) this.nextSampleAt = now;
    this.timer = this.ports.timers.set(this.tick, this.nextSampleAt - now);
  }

  /** The timer's callback, made once rather than a closure a sample. */
  private readonly tick = (): void => {
    this.timer = undefined;
    this.sample();
    this.schedule();
  };

  private failed(plan: SensorPlan, why: string): void {
    this.sensorErrors++;
    if (plan.failing) return;
    plan.failing = true;
    this.logger.log("warn", `sensor ${plan.sensor.name}: ${why}`);
  }
}
