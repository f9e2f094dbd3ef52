// A simulated device: the portable agent on Node ports (real or virtual time, the simulated SHT3x
// and BMP280, the node:https client, optionally a NOR flash for the journal). In virtual time it
// runs as fast as it goes: the next timer fires at once unless an exchange is on the wire; then
// device time stands still until the answer has been handled, so a virtual request timeout can
// never fire (the port's real timeout still applies) and events keep exactly the order they would
// have in real time.
// Boots: the device outlives its agent. `reboot` (and, in virtual time, a power cut armed on the
// flash striking the agent's work) ends the boot: a new clock (uptime from 0), a new agent on the
// same flash, network and HTTPS client, after time off that true (wall) time runs on through.
// Power cuts are caught by the virtual-time driver only: in real time, arm none.
// Deep sleep (the agent's sleep mode) is a real power cycle: the boot's agent is dropped with all
// its RAM, the radio's connections close, and a new boot starts from the flash when the sleep's
// time is up ("deep-sleep", the Sleep port's "timer" wake), on the virtual clock at once.

import { Agent, type Snapshot } from "../../firmware/core/agent.js";
import { validateConfig } from "../../firmware/core/config.js";
import { agentKeys, checkCore, SettingsLayers, type Checked, type HostKey } from "../../firmware/core/settings-layers.js";
import type { LogLevel } from "../../firmware/ports.js";
import { LOG_LEVELS } from "../ports/console-logger.js";
import type { VariableConfig } from "../../firmware/core/variable-config.js";
import type { Clock, HttpClient, Logger, Ports, Random, Sensor, SettingsStore, Timers, WakeReason } from "../../firmware/ports.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { nodeHealth, type ResetReason } from "../ports/health.js";
import { SwitchableNetwork } from "../ports/network.js";
import { NodeHttpClient, type NodeHttpOptions } from "../ports/node-http.js";
import { NorFlash, PowerCut } from "../../firmware/fakes/nor-flash.js";
import { hostRandom } from "../ports/random.js";
import { RealClock, RealTimers } from "../ports/real-time.js";
import { TrackingHttp } from "../ports/tracking-http.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import type { PhaseCounts } from "./phase-counts.js";
import { PhaseMeter, type SleepFigures } from "./phases.js";

/** Timer callbacks run between two yields to the event loop when no exchange is on the wire. */
const TIMERS_PER_YIELD = 10_000;
/** Sets each boot's sensor and jitter seeds apart from the previous boot's. */
const BOOT_SEED_STRIDE = 7919;

/** What the Sleep port says of each way a simulated device boots. */
const WAKE_REASONS: Record<ResetReason, WakeReason> = { "power-on": "power-on", reboot: "reset", "power-cut": "power-on", "deep-sleep": "timer" };

/** Every dotted path to a value in a sensor's sample, e.g. "thermometer.temperature". */
function fieldsOf(sample: unknown, prefix = ""): string[] {
  if (typeof sample !== "object" || sample === null) return prefix === "" ? [] : [prefix];
  return Object.entries(sample).flatMap(([key, value]) => fieldsOf(value, prefix === "" ? key : `${prefix}.${key}`));
}

/**
 * What keeps the simulated board from reading `variables`: a sensor it lacks or a field its sample
 * does not give. Checked before a run starts (the agent finds a missing field only when sampling).
 */
export function boardProblems(variables: readonly VariableConfig[]): string[] {
  const clock: Clock = { monotonicMs: () => 0, wallMs: () => 0, wallTrusted: () => false };
  const sensors = simulatedSensors({ clock, seed: 1 });
  const problems: string[] = [];
  variables.forEach((v, i) => {
    const sensor = sensors.find((s) => s.name === v.sensor);
    if (sensor === undefined) {
      problems.push(`variables[${i}].sensor: no sensor named "${v.sensor}" on the simulated board (have: ${sensors.map((s) => s.name).join(", ")})`);
      return;
    }
    const fields = fieldsOf(sensor.sample());
    if (!fields.includes(v.field)) problems.push(`variables[${i}].field: ${v.sensor} gives no "${v.field}" (it gives ${fields.join(", ")})`);
  });
  return problems;
}

/** The host simulator's check of merged settings: validateConfig, and the log level. */
function checkHost(raw: Record<string, unknown>): Checked {
  const checked = checkCore(raw);
  const level = raw.logLevel;
  if (level === undefined || (LOG_LEVELS as string[]).includes(level as string)) return checked;
  return { problems: [...checked.problems, `logLevel: ${JSON.stringify(level)} must be one of ${LOG_LEVELS.join(", ")}`] };
}

/** The configuration with the simulated board's three variables unless it names its own. */
export function withDefaultVariables(config: Record<string, unknown>): Record<string, unknown> {
  return config.variables === undefined ? { ...config, variables: BOARD_VARIABLES } : config;
}

export type DeviceTime =
  | { mode: "real" }
  /**
   * Device time from `startWallMs`. With `syncAfterMs` the device boots with an untrusted 1970
   * clock (as an ESP32 before SNTP) and learns the true wall time that much device time later.
   */
  | { mode: "virtual"; startWallMs: number; syncAfterMs?: number };

export interface DeviceOptions {
  /** Raw agent configuration (validated by Agent.create); variables default to the simulated board's. */
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
  /** The flash the agent journals to (unless the configuration says journal=false); it outlives boots. */
  flash?: NorFlash;
  /**
   * The board's stored settings (core/settings-layers.ts: they win over `config`, TagoIO
   * parameters write them); they outlive boots. Without a store the agent takes no parameters.
   */
  settings?: SettingsStore;
  /**
   * False when this device's flash holds an earlier run's boots (a flash file): their number is
   * unknown, so the agent's telemetry reports no boot count. Default true.
   */
  bootsKnown?: boolean;
  /** Wraps the HTTPS client, e.g. to inject faults; the device still tracks and closes the client. */
  http?: (client: HttpClient) => HttpClient;
  /** The agent's random source in boot `boot` (from 1); by default seeded from `seed` in virtual time. */
  random?: (boot: number) => Random;
  /**
   * A power cut ended a boot (virtual time): what it ended, for the host's books. Returns how the
   * device comes back (by default at once, with a trusted clock).
   */
  onPowerCut?: (cut: PowerCutEvent) => BootOptions | void;
}

/** How a device comes back from a reboot or a power cut (virtual time). */
export interface BootOptions {
  /** True time the device stays off (default 0). */
  offMs?: number;
  /** Boot with an untrusted 1970 clock that SNTP syncs this much device time later. */
  syncAfterMs?: number;
}

export interface PowerCutEvent {
  /**
   * What it struck: "recovery" the journal's recovery as the agent was made; "timer" the agent's
   * own work (a timer's callback or start(): a sample being journaled); "answer" the handling of
   * an HTTP answer (a release after an acknowledgement, which the cut may undo).
   */
  during: "recovery" | "timer" | "answer";
  /** The boot it ended (from 1). */
  boot: number;
  /** True wall time when it struck. */
  wallMs: number;
  /** The ended boot's last snapshot; undefined when it struck during recovery (no agent yet). */
  snapshot: Snapshot | undefined;
}

/** One boot: its clock, timers and agent. */
interface Boot {
  clock: Clock;
  timers: Timers;
  virtualClock: VirtualClock | undefined;
  /** True wall time at uptime 0. */
  wallStartMs: number;
  agent: Agent | undefined;
  /** Set when the agent asked for a deep sleep of this many ms: the boot ends there. */
  sleepMs: number | undefined;
}

export class SimulatedDevice {
  readonly network = new SwitchableNetwork();
  readonly flash: NorFlash | undefined;
  private readonly options: DeviceOptions;
  private readonly config: Record<string, unknown>;
  private readonly seed: number;
  private readonly http: TrackingHttp;
  private readonly transport: NodeHttpClient;
  readonly mode: PhaseCounts["mode"];
  private readonly meter = new PhaseMeter();
  private current!: Boot;
  /** Virtual time: asleep until this true wall time; undefined while awake. */
  private asleepUntil: number | undefined;
  /** Real time: the timer that ends the deep sleep. */
  private realWake: ReturnType<typeof setTimeout> | undefined;
  private firstWallMs = 0;
  private coveredMs: number | undefined;
  private bootCount = 0;
  private started = false;
  private stopped = false;
  private stoppedAt: number | undefined;
  private signalStop!: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.signalStop = resolve));

  /** Builds the ports and boots the agent; throws ConfigError listing every configuration problem. */
  constructor(options: DeviceOptions) {
    this.options = options;
    this.flash = options.flash;
    this.seed = options.seed ?? 1;
    this.config = withDefaultVariables(options.config);
    // Parsed here only to hand verifyTls to the transport; Agent.create reports the problems.
    const checked = validateConfig(this.config);
    this.mode = checked.ok ? checked.config.mode : "always-on";
    this.transport = new NodeHttpClient({ logger: options.logger, verifyTls: !checked.ok || checked.config.verifyTls, ...options.tls });
    this.http = new TrackingHttp(options.http === undefined ? this.transport : options.http(this.transport));
    const time = options.time;
    this.firstWallMs = time.mode === "virtual" ? time.startWallMs : Date.now();
    try {
      this.powerOn(time.mode === "virtual" ? time.startWallMs : Date.now(), { syncAfterMs: time.mode === "virtual" ? time.syncAfterMs : undefined }, "power-on");
    } catch (e) {
      this.transport.close();
      throw e;
    }
  }

  /** This boot's agent. */
  get agent(): Agent {
    return this.current.agent as Agent;
  }

  /** This boot's clock (uptime from 0 at each boot). */
  get clock(): Clock {
    return this.current.clock;
  }

  /** This boot's clock in virtual time (tests may sync or jump it); undefined in real time. */
  get virtualClock(): VirtualClock | undefined {
    return this.current.virtualClock;
  }

  /** Boots so far, this one included (from 1). */
  get boots(): number {
    return this.bootCount;
  }

  /** The true wall time now (device time in virtual runs), for the endpoint and the logs. */
  trueWallMs(): number {
    return this.current.wallStartMs + this.current.clock.monotonicMs();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.guarded("timer", () => this.agent.start());
  }

  /**
   * Ends this boot as a clean power-off would (the agent stops: a batch on the wire stays
   * buffered) and boots again on the same flash, after `offMs` of true time in virtual runs.
   */
  reboot(options: BootOptions = {}): void {
    if (this.stopped) return;
    this.agent.stop();
    this.bootEnded();
    this.powerOn(this.trueWallMs() + this.offMs(options), options, "reboot");
  }

  /**
   * Runs `durationMs` of device time: as fast as it goes in virtual time, else real waiting
   * (undefined: until stopped, real time only). Ends early when the device is stopped.
   */
  async runFor(durationMs: number | undefined): Promise<void> {
    if (this.virtualClock !== undefined && durationMs !== undefined) return this.runUntil(this.trueWallMs() + durationMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const elapsed = durationMs === undefined ? [] : [new Promise((resolve) => (timer = setTimeout(resolve, durationMs)))];
    await Promise.race([...elapsed, this.stopSignal]);
    clearTimeout(timer);
  }

  /**
   * Virtual time: runs until true wall time `wallMs`, through power cuts and the time off they
   * cost (at once when the device is off until later). Ends early when the device is stopped.
   */
  async runUntil(wallMs: number): Promise<void> {
    if (this.virtualClock === undefined) throw new Error("runUntil: only in virtual time");
    let sinceYield = 0;
    while (!this.stopped) {
      if (this.asleepUntil !== undefined) {
        if (this.asleepUntil > wallMs) break;
        this.powerOn(this.asleepUntil, {}, "deep-sleep");
        continue;
      }
      if (this.http.inFlight > 0 || sinceYield >= TIMERS_PER_YIELD) {
        await this.http.settled();
        // One macrotask turn: the agent's handling of the answer (promise reactions) runs first.
        await new Promise((resolve) => setImmediate(resolve));
        sinceYield = 0;
        if (this.flash?.poweredOff === true && !this.stopped) this.powerCut("answer");
        continue;
      }
      const clock = this.current.virtualClock as VirtualClock;
      let ran = false;
      if (this.guarded("timer", () => (ran = clock.runNext(wallMs - this.current.wallStartMs)))) continue;
      if (!ran) break;
      sinceYield++;
    }
    if (!this.stopped) this.current.virtualClock?.advanceTo(wallMs - this.current.wallStartMs);
  }

  /** This boot's device time when the device was stopped (what a run covered); undefined before. */
  get stoppedAtMs(): number | undefined {
    return this.stoppedAt;
  }

  /** Device time from the first boot to the stop, through every boot and sleep; undefined before. */
  get coveredDeviceMs(): number | undefined {
    return this.coveredMs;
  }

  /** What the run did, phase by phase, for the energy model (call after `stop`). */
  phaseCounts(): PhaseCounts {
    const joins = this.network.joins + (this.mode === "always-on" ? 1 : 0);
    const variables = validateConfig(this.config);
    return this.meter.counts({
      mode: this.mode,
      deviceMs: this.coveredMs ?? this.trueWallMs() - this.firstWallMs,
      variables: variables.ok ? variables.config.variables.length : 0,
      wifiJoins: joins,
      tlsHandshakes: this.transport.connections,
      requests: this.http.requests,
      bytesSent: this.http.bytesSent,
      bytesReceived: this.http.bytesReceived,
    });
  }

  /** Sleep mode's per-wake figures so far. */
  sleepFigures(): SleepFigures {
    return this.meter.sleepFigures(this.network.joins);
  }

  /** Stops the agent (a batch on the wire stays buffered), ends a running `runFor`, closes sockets. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stoppedAt = this.clock.monotonicMs();
    this.coveredMs = this.trueWallMs() - this.firstWallMs;
    clearTimeout(this.realWake);
    // Asleep past the end: the sleep counted covers only the run.
    if (this.asleepUntil !== undefined) this.meter.sleepMs -= this.asleepUntil - this.trueWallMs();
    this.bootEnded();
    this.agent.stop();
    this.signalStop();
    this.transport.close();
  }

  private offMs(options: BootOptions): number {
    return this.current.virtualClock === undefined ? 0 : Math.max(0, options.offMs ?? 0);
  }

  /** Runs the agent's work; a power cut or a deep sleep in it ends the boot there. True when one did. */
  private guarded(during: "timer", work: () => void): boolean {
    try {
      work();
    } catch (e) {
      if (!(e instanceof PowerCut) || this.flash?.poweredOff !== true) throw e;
    }
    // Thrown, or caught by the agent (which would go on against a dead flash): the boot ends here.
    if (this.flash?.poweredOff === true) {
      this.powerCut(during);
      return true;
    }
    if (this.current.sleepMs === undefined) return false;
    this.deepSleep();
    return true;
  }

  /**
   * The agent asked for a deep sleep. Virtual time: the driver ends the boot once the agent's work
   * in hand returns (`guarded`); real time: right after it, as nothing else drives the timers.
   */
  private sleepAsked(boot: Boot, ms: number): void {
    boot.sleepMs = Math.max(0, ms);
    if (boot.virtualClock !== undefined) return;
    setImmediate(() => {
      if (this.current === boot && boot.sleepMs !== undefined && !this.stopped) this.deepSleep();
    });
  }

  /** The boot's agent asked for a deep sleep: its RAM and connections go, a new boot comes at the sleep's end. */
  private deepSleep(): void {
    const boot = this.current;
    const ms = boot.sleepMs as number;
    boot.sleepMs = undefined;
    boot.agent?.stop();
    this.bootEnded();
    this.meter.sleepMs += ms;
    this.transport.close();
    const at = this.trueWallMs() + ms;
    if (boot.virtualClock !== undefined) {
      this.asleepUntil = at;
      return;
    }
    this.realWake = setTimeout(() => {
      this.realWake = undefined;
      if (!this.stopped) this.powerOn(Date.now(), {}, "deep-sleep");
    }, ms);
  }

  private bootEnded(): void {
    this.meter.bootEnded(this.current.clock.monotonicMs(), this.flash, this.network.joins);
  }

  private powerCut(during: PowerCutEvent["during"]): void {
    const agent = this.current.agent;
    const snapshot = agent?.snapshot();
    agent?.stop();
    this.bootEnded();
    const cut: PowerCutEvent = { during, boot: this.bootCount, wallMs: this.trueWallMs(), snapshot };
    const next = this.options.onPowerCut?.(cut) ?? {};
    this.powerOn(cut.wallMs + this.offMs(next), next, "power-cut");
  }

  /** Boots at true time `wallStartMs` (a new clock and agent); a power cut while booting boots again. */
  private powerOn(wallStartMs: number, options: BootOptions, reason: ResetReason): void {
    this.bootCount++;
    this.asleepUntil = undefined;
    this.flash?.powerOn();
    this.meter.bootStarted(reason === "deep-sleep", this.flash, this.network.joins);
    const boot = this.makeBoot(wallStartMs, options.syncAfterMs);
    this.current = boot;
    const seed = this.seed + (this.bootCount - 1) * BOOT_SEED_STRIDE;
    const virtual = boot.virtualClock !== undefined;
    const ports: Ports = {
      clock: boot.clock,
      timers: boot.timers,
      http: this.http,
      sensors: (this.options.sensors ?? ((clock) => simulatedSensors({ clock, seed, failureRate: this.options.sensorFailureRate })))(boot.clock).map((s) => this.counted(s)),
      network: this.network,
      logger: this.options.logger,
      // The sensors use seed and seed + 1; the agent's jitter gets its own stream.
      random: this.options.random?.(this.bootCount) ?? hostRandom(virtual ? seed + 2 : undefined),
      flash: this.flash,
      health: nodeHealth(this.options.bootsKnown === false ? undefined : this.bootCount, reason),
      sleep: { wakeReason: () => WAKE_REASONS[reason], sleep: (ms) => this.sleepAsked(boot, ms) },
    };
    const layers = this.options.settings === undefined ? undefined : new SettingsLayers(this.config, this.options.settings, checkHost, this.hostKeys());
    for (const note of layers?.ignored ?? []) this.options.logger.log("warn", `settings: ${note}`);
    const level = layers?.stored("logLevel");
    if (level !== undefined) this.hostKeys().logLevel.apply?.(level);
    try {
      boot.agent = Agent.create(layers === undefined ? this.config : agentKeys(layers.merged()), ports, layers);
    } catch (e) {
      if (!(e instanceof PowerCut) || this.flash?.poweredOff !== true) throw e;
      this.powerCut("recovery");
      return;
    }
    if (this.started && !this.stopped) this.guarded("timer", () => boot.agent?.start());
  }

  /** The host's own setting: the log level, applied at once when the logger can change it. */
  private hostKeys(): Record<string, HostKey> & { logLevel: HostKey } {
    const logger = this.options.logger as Logger & { setLevel?: (level: LogLevel) => void };
    return { logLevel: logger.setLevel === undefined ? {} : { apply: (value) => logger.setLevel?.(value as LogLevel) } };
  }

  /** `sensor`, its samples counted for the energy model. */
  private counted(sensor: Sensor): Sensor {
    const meter = this.meter;
    return {
      name: sensor.name,
      sample() {
        meter.sampled(sensor.name);
        return sensor.sample();
      },
    };
  }

  private makeBoot(wallStartMs: number, syncAfterMs: number | undefined): Boot {
    if (this.options.time.mode === "real") {
      const clock = new RealClock();
      return { clock, timers: new RealTimers(), virtualClock: undefined, wallStartMs: Date.now() - clock.monotonicMs(), agent: undefined, sleepMs: undefined };
    }
    const synced = syncAfterMs === undefined;
    const clock = new VirtualClock({ wallStartMs: synced ? wallStartMs : 0, trusted: synced });
    // SNTP answers: the true time of this boot.
    if (!synced) clock.set(() => clock.sync(wallStartMs + clock.monotonicMs()), syncAfterMs);
    return { clock, timers: clock, virtualClock: clock, wallStartMs, agent: undefined, sleepMs: undefined };
  }
}
