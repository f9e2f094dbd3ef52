// Sampling on schedule: every `sampleIntervalMs` each sensor is read once and every variable's
// field picked from its sample, stamped with trusted wall time or, before the clock is trusted,
// with uptime. A sensor that throws, or lacks a field, costs its readings for that sample only:
// it is counted (`sensorErrors`) and logged once until it reads again. Sampling never waits on
// the uplink: readings go to the backlog, which decides what is kept.

import type { Ports, Sensor } from "../ports.js";
import type { Backlog } from "./backlog.js";
import type { AgentConfig } from "./config.js";
import { FLAG_GROUPED, FLAG_NO_TIME, FLAG_UPTIME, type ReadingValue, type RingProducer } from "./ring.js";
import { Periodic } from "./periodic.js";
import type { WindowEntries } from "./reading-frame.js";
import { Reporting } from "./reporting.js";
import { errorMessage } from "./text.js";
import type { TimeBase } from "./timebase.js";

export interface SensorPlan {
  sensor: Sensor;
  /** Its variables are entries `from` to `to - 1` of the sampler's flat lists. */
  from: number;
  to: number;
  /** Whether a field path of its variables is longer than two keys. */
  deep: boolean;
  /** Whether the last sample failed, so a dead sensor is logged once, not every tick. */
  failing: boolean;
}

/**
 * What the sampler reads, flat and in sensor order (flat lists cost fewer property reads a
 * reading on XS than lists per sensor): each entry's variable index and field path, split into
 * its first key, its second ("" for none) and the keys after those.
 */
export interface SamplePlan {
  sensors: SensorPlan[];
  variables: number[];
  firsts: string[];
  seconds: string[];
  rests: string[][];
}

/** The plan for the variables' sensors; a variable naming a sensor the device lacks is added to `problems`. */
export function planSensors(config: AgentConfig, sensors: readonly Sensor[], problems: string[]): SamplePlan {
  const bySensor = new Map<string, number[]>();
  config.variables.forEach((v, i) => {
    if (!sensors.some((s) => s.name === v.sensor)) {
      const names = sensors.map((s) => s.name).join(", ") || "none";
      problems.push(`variables[${i}].sensor: no sensor named "${v.sensor}" on this device (have: ${names})`);
      return;
    }
    const list = bySensor.get(v.sensor);
    if (list === undefined) bySensor.set(v.sensor, [i]);
    else list.push(i);
  });
  const plan: SamplePlan = { sensors: [], variables: [], firsts: [], seconds: [], rests: [] };
  bySensor.forEach((indexes, name) => {
    const sensorPlan: SensorPlan = { sensor: sensors.find((s) => s.name === name) as Sensor, from: plan.variables.length, to: 0, deep: false, failing: false };
    for (const i of indexes) {
      const path = config.variables[i].field.split(".");
      plan.variables.push(i);
      plan.firsts.push(path[0]);
      plan.seconds.push(path.length > 1 ? path[1] : "");
      plan.rests.push(path.slice(2));
      if (path.length > 2) sensorPlan.deep = true;
    }
    sensorPlan.to = plan.variables.length;
    plan.sensors.push(sensorPlan);
  });
  return plan;
}

type Fields = Record<string, unknown>;
/** Number.isFinite, read once: false for anything but a finite number, and cheaper on XS than `typeof` and a test. */
const finite = Number.isFinite;
/** Where a sample's readings are written: the staging lists, or the ring's columns in place. */
type Column = { [index: number]: ReadingValue };

/** What lies at `keys` below `value`, each step as `?.[key]`: undefined once a step meets undefined or null. */
function fieldAt(value: unknown, keys: readonly string[]): unknown {
  for (let i = 0; i < keys.length; i++) value = (value as Fields | undefined)?.[keys[i]];
  return value;
}

export class Sampler {
  /** Samples in which a sensor threw or lacked a field. */
  sensorErrors = 0;
  private readonly config: AgentConfig;
  private readonly ports: Ports;
  private readonly backlog: Backlog;
  private readonly timebase: TimeBase;
  // The plan's lists, each a field of its own: a read fewer each a sample than through the plan.
  private readonly sensors: SensorPlan[];
  private readonly indexes: number[];
  private readonly firsts: string[];
  private readonly seconds: string[];
  private readonly rests: string[][];
  /** The variables' reporting filters; undefined when none has any. */
  private reporting: Reporting | undefined;
  private readonly flags: number;
  /**
   * The staging lists: the variables and values of the last sample that went the general way (those
   * the filters kept). Every sample does with a journal (so always in sleep mode) or filters; else
   * only one holding a reading that is not a finite number, and the ring takes the rest in place.
   */
  readonly variables: number[] = [];
  readonly values: ReadingValue[] = [];
  private periodic: Periodic;
  /** The ring's producer side while it can take a sample of finite numbers in place: with neither a journal nor filters. */
  private inPlace: RingProducer | undefined;

  /** Waiting readings that make an upload worth starting before its interval. */
  private readonly uploadTrigger: number;
  /** Told after a sample that left `uploadTrigger` or more readings waiting: the uplink itself, a call less a sample than a callback. */
  private readonly upload: { flush(): void };

  constructor(config: AgentConfig, ports: Ports, plan: SamplePlan, backlog: Backlog, timebase: TimeBase, upload: { flush(): void }) {
    this.config = config;
    this.ports = ports;
    this.sensors = plan.sensors;
    this.indexes = plan.variables;
    this.firsts = plan.firsts;
    this.seconds = plan.seconds;
    this.rests = plan.rests;
    this.backlog = backlog;
    this.timebase = timebase;
    this.uploadTrigger = Math.min(config.maxBatchRecords, Math.ceil(config.bufferCapacity * 0.75));
    this.upload = upload;
    this.flags = config.variables.length > 1 ? FLAG_GROUPED : 0;
    this.reporting = Reporting.of(config.variables, config.sampleIntervalMs);
    this.inPlace = this.reporting === undefined ? backlog.producer : undefined;
    this.periodic = new Periodic(ports.clock, ports.timers, config.sampleIntervalMs, this.take);
  }

  /** Takes the first sample at once, then one every interval. */
  start(): void {
    this.resume();
    this.periodic.start(0);
  }

  /**
   * The filters resume from what the journal holds, and each window a reboot left open goes on
   * now: its aggregate (the mean when the variable has no window now), stamped with its last
   * sample's time, journaled with its close so no later boot closes it again.
   */
  resume(): void {
    const found = this.backlog.journaledAtBoot;
    if (found === undefined) return;
    const now = this.ports.clock.monotonicMs();
    this.reporting?.resume(found.newestAtBoot, now);
    found.windowsAtBoot.forEach((open, variable) => {
      if (open === undefined || open.state.count === 0) return;
      const samples = open.state.count;
      const value = this.reporting?.closeAtBoot(variable, open.state, now) ?? open.state.close("mean");
      this.ports.logger.log("info", `reporting: ${this.config.variables[variable]?.name ?? variable}: the window a reboot left open (${samples} samples) goes on: ${value}`);
      // An uptime of an earlier boot can no longer be placed: it goes without a time, as such readings do.
      const flags = open.flags & FLAG_UPTIME ? FLAG_NO_TIME : open.flags;
      this.backlog.addSample([variable], [value], 1, open.time, flags, { variables: [variable], values: [NaN] });
    });
  }

  /**
   * Takes a new interval or new filters from the configuration: their state starts over (the next
   * reading of each variable goes on, and an open window goes on at once with what it held) and,
   * when `running`, the next sample comes one new interval on.
   */
  retune(running: boolean): void {
    this.periodic.stop();
    this.closeWindows();
    this.reporting = Reporting.of(this.config.variables, this.config.sampleIntervalMs);
    this.inPlace = this.reporting === undefined ? this.backlog.producer : undefined;
    this.periodic = new Periodic(this.ports.clock, this.ports.timers, this.config.sampleIntervalMs, this.take);
    if (running) this.periodic.start(this.config.sampleIntervalMs);
  }

  /** The windows open under rules being replaced go on now with what they held, journaled with their close. */
  private closeWindows(): void {
    const variables: number[] = [];
    const values: number[] = [];
    this.reporting?.closeOpen(variables, values);
    if (variables.length === 0) return;
    const now = this.ports.clock.monotonicMs();
    const wall = this.timebase.observeAt(now);
    const flags = wall >= 0 ? this.flags : this.flags | FLAG_UPTIME;
    this.backlog.addSample(variables, values, variables.length, wall >= 0 ? wall : now, flags, { variables, values: values.map(() => NaN) });
  }

  stop(): void {
    this.periodic.stop();
  }

  /** Takes one sample of every sensor now. */
  sample(): void {
    this.take(this.ports.clock.monotonicMs());
  }

  /**
   * Reads every sensor once at monotonic time `now` and hands the readings to the backlog. The
   * agent's hottest path: one function, one try for all sensors (entering one costs on XS), a
   * sensor that throws ends its own turn only. A sample of finite numbers is written straight into
   * the ring's columns (claim, then commit), without lists to fill and copy; any other goes through
   * the staging lists, the filters and the backlog's general path.
   */
  private readonly take = (now: number): void => {
    const wall = this.timebase.observeAt(now);
    const sensors = this.sensors;
    const indexes = this.indexes;
    const firsts = this.firsts;
    const seconds = this.seconds;
    // Where the readings go, reading i at `at + i`: in place in the ring's columns when it claims
    // the sample whole (no filters, no journal), else the staging lists.
    const producer = this.inPlace;
    let slot = producer !== undefined ? producer.claim(indexes.length) : -1;
    let variables: Column;
    let values: Column;
    let at = slot;
    if (slot >= 0) {
      const columns = (producer as RingProducer).columns;
      variables = columns.variables;
      values = columns.values;
    } else {
      variables = this.variables;
      values = this.values;
      at = 0;
    }
    // The next reading's place: `at` plus the readings written so far.
    let w = at;
    let value: unknown;
    let key = "";
    let missing = -1;
    let v = 0;
    let to = 0;
    // Where the sensor being read began: a sensor that throws loses what it gave this sample.
    let turn = at;
    let p = 0;
    for (; p < sensors.length; p++) {
      try {
        for (; p < sensors.length; p++) {
          const plan = sensors[p];
          turn = w;
          const sample = plan.sensor.sample() as Fields;
          // Undefined or null has no fields (and reading one would throw).
          if (sample == null) missing = plan.from;
          else {
            for (v = plan.from, to = plan.to; v < to; v++) {
              value = sample[firsts[v]];
              key = seconds[v];
              // Down the path: `value[key]`, and on (nothing below undefined or null).
              if (key !== "") value = plan.deep ? fieldAt((value as Fields | undefined)?.[key], this.rests[v]) : (value as Fields | undefined)?.[key];
              if (!finite(value)) {
                const type = typeof value;
                if (type !== "number" && type !== "boolean" && type !== "string") {
                  missing = v;
                  continue;
                }
                if (slot >= 0) {
                  // The ring's columns hold finite numbers only: the sample goes the general way.
                  this.unclaim(variables, values, at, w - at);
                  variables = this.variables;
                  values = this.values;
                  w -= at;
                  turn -= at;
                  at = 0;
                  slot = -1;
                }
              }
              variables[w] = indexes[v];
              values[w] = value as ReadingValue;
              w++;
            }
          }
          if (missing >= 0) {
            this.failed(plan, `no reading at "${this.config.variables[indexes[missing]].field}"`);
            missing = -1;
          } else if (plan.failing) {
            plan.failing = false;
            this.ports.logger.log("info", `sensor ${plan.sensor.name}: reading again`);
          }
        }
      } catch (e) {
        w = turn;
        missing = -1;
        this.failed(sensors[p], errorMessage(e));
      }
    }
    let time = wall;
    let flags = this.flags;
    if (wall < 0) {
      time = now;
      flags |= FLAG_UPTIME;
    }
    const pending = slot >= 0 ? (producer as RingProducer).commit(slot, w - at, time, flags) : this.addStaged(w - at, now, time, flags);
    if (pending >= this.uploadTrigger) this.upload.flush();
  };

  /** Hands the `count` staged readings to the filters and the backlog; returns the records then waiting for a batch. */
  private addStaged(count: number, now: number, time: number, flags: number): number {
    let window: WindowEntries | undefined;
    if (this.reporting !== undefined) {
      const kept = this.reporting.apply(this.variables, this.values, count, now);
      this.backlog.filter(count - kept);
      count = kept;
      window = this.reporting.windowEntries();
    }
    this.variables.length = count;
    this.values.length = count;
    return this.backlog.addSample(this.variables, this.values, count, time, flags, window);
  }

  /** Copies the `count` readings written in place from `at` to the staging lists; the claim lapses uncommitted. */
  private unclaim(variables: Column, values: Column, at: number, count: number): void {
    for (let i = 0; i < count; i++) {
      this.variables[i] = variables[at + i] as number;
      this.values[i] = values[at + i];
    }
  }

  private failed(plan: SensorPlan, why: string): void {
    this.sensorErrors++;
    if (plan.failing) return;
    plan.failing = true;
    this.ports.logger.log("warn", `sensor ${plan.sensor.name}: ${why}`);
  }
}
