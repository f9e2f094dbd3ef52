// The agent: a thin front over sampling (`sampler.ts`), the backlog of readings from their sample
// until they are settled (`backlog.ts`, with the RAM ring and the flash journal), and the uplink
// that sends them (`uplink.ts`). It checks the configuration against the device, starts and
// stops the parts, and reports one snapshot of them all. Given the board's settings layers with a
// store, it also takes TagoIO's device parameters (`remote-params.ts`): the parts share one
// configuration object, and `retune` puts a live change into it and tells the parts that copied.
// Invariant, at every step: sampled = delivered + dropped (all reasons) + buffered + filtered.

import type { Ports } from "../ports.js";
import { Backlog, DROP_REASONS, type DropReason } from "./backlog.js";
import type { FailureClass } from "./classify.js";
import { tokenProblem, validateConfig, type AgentConfig } from "./config.js";
import { FlashRegion } from "./flash-region.js";
import { journalProblems, MIN_SECTORS, type JournalStats } from "./journal.js";
import { changedKeys, isLive } from "./live-config.js";
import { RemoteParams, type ParamsCounts } from "./remote-params.js";
import { FLAG_UPTIME } from "./ring.js";
import type { SettingsLayers } from "./settings-layers.js";
import type { LandingCounts } from "./landing-check.js";
import { planSensors, Sampler } from "./sampler.js";
import { STATE_SECTORS } from "./sleep-settings.js";
import { StateArea } from "./state-area.js";
import { Telemetry, telemetryVariables } from "./telemetry.js";
import { TimeBase } from "./timebase.js";
import { Uplink, type UplinkState } from "./uplink.js";
import { WakeCycle, WakeUplink } from "./wake.js";
import { readWakeState } from "./wake-state.js";

export { DROP_REASONS, type DropReason } from "./backlog.js";
export type AgentState = UplinkState;

export interface Snapshot {
  state: AgentState;
  clockTrusted: boolean;
  /** Readings taken from sensors (including those dropped at once), plus those the journal recovered at boot. */
  sampled: number;
  /** Readings covered by an acknowledged 2xx. */
  delivered: number;
  dropped: Record<DropReason, number>;
  droppedTotal: number;
  /** Readings not yet delivered or dropped: in the ring, on the wire, or waiting in the journal. */
  buffered: number;
  /** Readings the reporting filters held back: never sent, by design. */
  filtered: number;
  /** Readings in the batch on the wire. */
  inFlight: number;
  requests: number;
  acknowledged: number;
  failures: Record<FailureClass, number>;
  /**
   * Landing checks after ambiguous outcomes: `checks` GETs sent (also among `requests`),
   * `checkFailures` of them without a usable answer; batches `found` stored whole, `partial`ly or
   * `missing`, `resentAnyway` after `checkDeadlineMs`, and `unchecked` (nothing identified them).
   */
  landing: LandingCounts;
  sensorErrors: number;
  lastError: string | null;
  /** Monotonic time of the last acknowledged upload, or null. */
  lastUploadMs: number | null;
  /** Milliseconds until the next upload attempt, or null when none is scheduled. */
  nextAttemptInMs: number | null;
  /** The flash journal's figures (readings recovered at boot among them); absent without one. */
  journal?: JournalStats;
  /** TagoIO device parameters polled and taken; absent when the agent does not poll them. */
  params?: ParamsCounts;
}

/** Configuration that cannot run, with every problem named. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super("invalid configuration:\n  " + problems.join("\n  "));
    this.problems = problems;
  }
}

export class Agent {
  private readonly config: AgentConfig;
  private readonly ports: Ports;
  private readonly timebase: TimeBase;
  private readonly backlog: Backlog;
  private readonly sampler: Sampler;
  private readonly uplink: Uplink;
  private telemetry: Telemetry;
  private readonly remote: RemoteParams | undefined;
  /** Sleep mode's cycle; undefined always-on. */
  readonly wake: WakeCycle | undefined;

  /**
   * Checks the configuration against the device (throws ConfigError), then recovers the journal.
   * With `layers` that keep a store and `paramsIntervalMs` above 0 it polls TagoIO's parameters.
   */
  constructor(config: AgentConfig, ports: Ports, layers?: SettingsLayers) {
    this.config = config;
    this.ports = ports;
    const problems: string[] = [];
    const plans = planSensors(config, ports.sensors, problems);
    // Telemetry's variables follow the configured ones, so the journal's list names them too.
    const variables = [...config.variables, ...telemetryVariables(config)];
    const sleeping = config.mode === "sleep";
    if (sleeping) problems.push(...sleepProblems(ports));
    // Parameters are polled on a timer, which a sleeping device does not keep.
    const remote = layers?.persistent === true && config.paramsIntervalMs > 0 && !sleeping;
    // The parameters' error variable comes last, so the telemetry variables keep their places.
    const errorVariable = variables.length;
    if (remote) variables.push({ name: `${config.telemetryPrefix}config_error` });
    // Sleep mode keeps its state in the partition's last sectors; the journal has the rest.
    const partition = config.journal ? ports.flash : undefined;
    const flash = sleeping && partition !== undefined ? new FlashRegion(partition, 0, partition.sectorCount - STATE_SECTORS) : partition;
    if (flash !== undefined && problems.length === 0) problems.push(...journalProblems(flash, config.maxStringLength, variables));
    if (problems.length > 0) throw new ConfigError(problems);
    this.timebase = new TimeBase(ports.clock);
    const area = sleeping && partition !== undefined ? new StateArea(new FlashRegion(partition, partition.sectorCount - STATE_SECTORS, STATE_SECTORS)) : undefined;
    const saved = area === undefined ? undefined : readWakeState(area, ports.logger);
    this.backlog = new Backlog(config, variables, this.timebase, flash, ports.logger, saved?.journal);
    this.uplink = sleeping ? new WakeUplink(config, ports, this.backlog, this.timebase) : new Uplink(config, ports, this.backlog, this.timebase);
    this.sampler = new Sampler(config, ports, plans, this.backlog, this.timebase, this.uplink);
    this.telemetry = this.makeTelemetry();
    if (layers !== undefined && remote) {
      const uplink = this.uplink;
      this.remote = new RemoteParams(ports, layers, {
        config,
        ceiling: uplink.ceiling,
        busy: () => uplink.state === "uploading" || uplink.state === "checking",
        retune: (next) => this.retune(next),
        report: (text) => this.addConfigError(errorVariable, text),
      });
    }
    const { backlog, sampler, uplink, telemetry, timebase } = this;
    this.wake =
      area !== undefined && uplink instanceof WakeUplink
        ? new WakeCycle({ config, ports, timebase, backlog, sampler, uplink, telemetry, area, saved, snapshot: () => this.snapshot() })
        : undefined;
  }

  /** Validates a raw configuration and builds the agent, or throws ConfigError listing every problem. */
  static create(raw: unknown, ports: Ports, layers?: SettingsLayers): Agent {
    const result = validateConfig(raw);
    for (const warning of result.warnings) ports.logger.log("warn", warning);
    if (!result.ok) throw new ConfigError(result.problems);
    return new Agent(result.config, ports, layers);
  }

  private makeTelemetry(): Telemetry {
    return new Telemetry(this.ports, this.config, this.config.variables.length, this.backlog, this.timebase, () => this.snapshot());
  }

  /**
   * Takes from `next` (a validated configuration) every change that can apply while running
   * (`live-config.ts`), keeping every reading buffered; returns the changed keys that wait for
   * the next boot.
   */
  retune(next: AgentConfig): string[] {
    const running = this.uplink.state !== "stopped";
    const config = this.config;
    const later: string[] = [];
    for (const key of changedKeys(config, next)) {
      if (!isLive(key, config, next)) {
        later.push(key);
        continue;
      }
      (config as unknown as Record<string, unknown>)[key] = next[key];
      if (key === "sampleIntervalMs" || key === "variables") this.sampler.retune(running);
      else if (key === "uploadIntervalMs") this.uplink.flush();
      else if (key === "maxRequestsPerMinute") this.uplink.ceiling.perMinute = next.maxRequestsPerMinute;
      else if (key === "paramsIntervalMs") this.remote?.reschedule();
      else if (key === "telemetryIntervalMs") {
        this.telemetry.stop();
        this.telemetry = this.makeTelemetry();
        if (running) this.telemetry.start();
      }
    }
    return later;
  }

  /** One reading of the parameters' error variable, stamped as a sample is. */
  private addConfigError(variable: number, text: string): void {
    const now = this.ports.clock.monotonicMs();
    const wall = this.timebase.observeAt(now);
    this.backlog.addSample([variable], [text.slice(0, this.config.maxStringLength)], 1, wall >= 0 ? wall : now, wall >= 0 ? 0 : FLAG_UPTIME);
  }

  start(): void {
    if (this.uplink.state !== "stopped") return;
    const { variables, sampleIntervalMs, https, host, port } = this.config;
    // A sleep-mode wake from its timer is one of many: said at boots of another kind only.
    this.ports.logger.log(
      this.ports.sleep?.wakeReason() === "timer" && this.wake !== undefined ? "debug" : "info",
      `agent: ${variables.length} variable${variables.length === 1 ? "" : "s"} every ${sampleIntervalMs} ms to ${https ? "https" : "http"}://${host}:${port} as ${this.uplink.tokenShown}`,
    );
    if (this.wake !== undefined) return this.wake.run();
    this.sampler.start();
    this.uplink.start();
    this.telemetry.start();
    this.remote?.start();
  }

  /** Stops sampling and uploading; a batch on the wire is abandoned and stays buffered. */
  stop(): void {
    this.wake?.stop();
    if (this.uplink.state === "stopped") return;
    this.sampler.stop();
    this.uplink.stop();
    this.telemetry.stop();
    this.remote?.stop();
  }

  /** Replaces the device token (for example after a 401); uploads resume at once. */
  setToken(token: string): void {
    const problem = tokenProblem(token);
    if (problem !== undefined) throw new ConfigError([problem]);
    this.config.token = token;
    this.uplink.setToken(token);
  }

  /** Takes one sample of every sensor now. */
  sample(): void {
    this.sampler.sample();
  }

  /** Tries an upload now (subject to the network, the clock and the per-minute ceiling). */
  flush(): void {
    this.uplink.flush();
  }

  snapshot(): Snapshot {
    const backlog = this.backlog;
    const uplink = this.uplink;
    let droppedTotal = 0;
    for (const reason of DROP_REASONS) droppedTotal += backlog.dropped[reason];
    const next = uplink.nextAttemptAt;
    const s: Snapshot = {
      state: uplink.state,
      clockTrusted: this.timebase.trusted,
      sampled: backlog.sampled,
      delivered: backlog.delivered,
      dropped: { ...backlog.dropped },
      droppedTotal,
      buffered: backlog.buffered,
      filtered: backlog.filtered,
      inFlight: backlog.inFlight,
      requests: uplink.requests,
      acknowledged: uplink.acknowledged,
      failures: { ...uplink.failures },
      landing: { ...uplink.landings.counts },
      sensorErrors: this.sampler.sensorErrors,
      lastError: uplink.lastError,
      lastUploadMs: uplink.lastUploadMs,
      nextAttemptInMs: next === null ? null : Math.max(0, next - this.ports.clock.monotonicMs()),
      journal: backlog.journalStats(),
      ...(this.remote === undefined ? {} : { params: { ...this.remote.counts } }),
    };
    this.wake?.addCarried(s);
    return s;
  }
}

/** What keeps this host from running the sleep mode. */
function sleepProblems(ports: Ports): string[] {
  const problems: string[] = [];
  if (ports.sleep === undefined) problems.push("mode: sleep needs a host that can sleep deeply (the Sleep port); this one cannot");
  const sectors = ports.flash?.sectorCount ?? 0;
  if (sectors < MIN_SECTORS + STATE_SECTORS) {
    problems.push(`mode: sleep needs a flash partition of at least ${MIN_SECTORS + STATE_SECTORS} sectors (the journal and ${STATE_SECTORS} for the state it keeps between wakes); this one has ${sectors}`);
  }
  return problems;
}
