// The agent: samples on schedule into the RAM ring, uploads batches one at a time, releases
// records only on an acknowledged 2xx, and follows the uplink policy for everything else.
// With a flash port and `journal` on, every sample is journaled first and the ring is a window on
// the journal's oldest unreleased readings, refilled from flash as batches are released; readings
// the journal recovers at boot count as sampled (and in journal.recovered) and wait like any other.
// Invariant, at every step: sampled = delivered + dropped (all reasons) + buffered.
// Bounded: one request on the wire, at most `maxRequestsPerMinute` started per minute, a guard
// timer that cancels an exchange the port failed to end, a ring of fixed capacity, a journal of
// fixed sectors.

import type { HttpExchange, HttpResult, Ports, Sensor, TimerHandle } from "../ports.js";
import { fullJitterMs, rateLimitWaitMs } from "./backoff.js";
import { classify, FAILURE_CLASSES, type FailureClass, type Verdict } from "./classify.js";
import { redactToken, tokenProblem, validateConfig, type AgentConfig, type VariableConfig } from "./config.js";
import { Encoder, type Batch } from "./encoder.js";
import { Journal, journalProblems, type JournalStats } from "./journal.js";
import { FLAG_GROUPED, FLAG_UPTIME, PUSH_DROPPED_ONE, PUSH_REFUSED_STRING, PUSH_STORED, Ring, type ReadingValue } from "./ring.js";
import { codePointLength } from "./text.js";
import { TimeBase } from "./timebase.js";
import { VariableTable } from "./variables.js";

export type AgentState =
  | "stopped"
  | "idle"
  | "waiting-for-clock"
  | "offline"
  | "uploading"
  | "backing-off"
  | "rate-limited"
  | "auth-failed"
  /** The server refuses the device itself (deactivated, record limit reached): nothing is dropped. */
  | "refused";

/**
 * bufferFull: the buffer was full: the RAM ring, or the flash journal when there is one.
 * corrupt: journaled readings that rotted on flash (found missing or unreadable).
 * outsideRetention: dated outside the retention window the server named, so never storable.
 */
export type DropReason =
  | "bufferFull"
  | "corrupt"
  | "nonFinite"
  | "stringTooLong"
  | "stringBudget"
  | "invalid"
  | "tooLarge"
  | "outsideRetention";

export const DROP_REASONS: readonly DropReason[] = [
  "bufferFull",
  "corrupt",
  "nonFinite",
  "stringTooLong",
  "stringBudget",
  "invalid",
  "tooLarge",
  "outsideRetention",
];

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
  /** Readings in the batch on the wire. */
  inFlight: number;
  requests: number;
  acknowledged: number;
  failures: Record<FailureClass, number>;
  sensorErrors: number;
  lastError: string | null;
  /** Monotonic time of the last acknowledged upload, or null. */
  lastUploadMs: number | null;
  /** Milliseconds until the next upload attempt, or null when none is scheduled. */
  nextAttemptInMs: number | null;
  /** The flash journal's figures (readings recovered at boot among them); absent without one. */
  journal?: JournalStats;
}

/** Configuration that cannot run, with every problem named. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super("invalid configuration:\n  " + problems.join("\n  "));
    this.problems = problems;
  }
}

const GUARD_SLACK_MS = 5_000;
const RECHECK_MS = 5_000;
/** Acknowledged uploads after a 413 before batches may grow back toward the configured bound. */
const ACKS_TO_GROW = 32;

interface SensorPlan {
  sensor: Sensor;
  /** Variable indexes and the split field paths they read. */
  variables: number[];
  paths: string[][];
  /** Whether the last sample failed, so a dead sensor is logged once, not every tick. */
  failing: boolean;
}

function pick(sample: unknown, path: string[]): unknown {
  let at: unknown = sample;
  // An indexed loop: on XS a for-of allocates an iterator for every reading.
  for (let i = 0; i < path.length; i++) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[path[i]];
  }
  return at;
}

function emptyCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

export class Agent {
  private readonly config: AgentConfig;
  private readonly ports: Ports;
  private readonly ring: Ring;
  private readonly journal: Journal | undefined;
  /** The sample being taken, journaled as one frame once every sensor has been read. */
  private readonly sampleVariables: number[] = [];
  private readonly sampleValues: ReadingValue[] = [];
  /** The variables the ring's readings index: the configuration's, then earlier lists' from the journal. */
  private readonly variables: VariableTable;
  private readonly encoder: Encoder;
  private readonly timebase: TimeBase;
  private readonly plans: SensorPlan[];
  private readonly grouped: boolean;
  /** Waiting records that make an upload worth starting before its interval. */
  private readonly uploadTrigger: number;
  private token: string;

  private state: AgentState = "stopped";
  private sampled = 0;
  private delivered = 0;
  private readonly dropped = emptyCounts(DROP_REASONS);
  private readonly failures = emptyCounts(FAILURE_CLASSES);
  private requests = 0;
  private acknowledged = 0;
  private sensorErrors = 0;
  private lastError: string | null = null;
  private lastUploadMs: number | null = null;

  private sampleTimer: TimerHandle | undefined;
  private uploadTimer: TimerHandle | undefined;
  private guardTimer: TimerHandle | undefined;
  private nextSampleAt = 0;
  private nextAttemptAt: number | null = null;
  private exchange: HttpExchange | undefined;
  /** Consecutive failures, for the backoff exponent. */
  private failureRun = 0;
  /** Start times of recent requests, for the per-minute ceiling. */
  private readonly recentRequests: number[] = [];
  /** While > 0, the oldest `suspect` records hold one the server refused (400). */
  private suspect = 0;
  /** Records per batch while isolating a refused record; 0 when not isolating. */
  private splitLimit = 0;
  /** The 400 that started the isolation, and whether splitting has since cured part of the batch. */
  private isolationMessage = "";
  private isolationCured = false;
  /** Body bytes per request: the configured bound, halved by each 413 and doubled back after a run of acknowledgements. */
  private byteLimit: number;
  private acksSinceShrink = 0;
  /** The server refused the token; cleared by an acknowledgement or a new token. */
  private tokenRefused = false;
  /** The message the server refused the device with; cleared by an acknowledgement. */
  private refusedWith: string | null = null;

  constructor(config: AgentConfig, ports: Ports) {
    this.config = config;
    this.ports = ports;
    this.token = config.token;
    this.byteLimit = config.maxBatchBytes;
    this.ring = new Ring(config.bufferCapacity, config.whenFull, config.stringBudget);
    this.variables = new VariableTable(config.variables);
    this.encoder = new Encoder(this.variables);
    this.timebase = new TimeBase(ports.clock);
    this.grouped = config.variables.length > 1;
    this.uploadTrigger = Math.min(config.maxBatchRecords, Math.ceil(config.bufferCapacity * 0.75));
    const problems: string[] = [];
    const plans = new Map<string, SensorPlan>();
    config.variables.forEach((v: VariableConfig, i: number) => {
      const sensor = ports.sensors.find((s) => s.name === v.sensor);
      if (sensor === undefined) {
        const names = ports.sensors.map((s) => s.name).join(", ") || "none";
        problems.push(`variables[${i}].sensor: no sensor named "${v.sensor}" on this device (have: ${names})`);
        return;
      }
      let plan = plans.get(v.sensor);
      if (plan === undefined) {
        plan = { sensor, variables: [], paths: [], failing: false };
        plans.set(v.sensor, plan);
      }
      plan.variables.push(i);
      plan.paths.push(v.field.split("."));
    });
    const flash = config.journal ? ports.flash : undefined;
    if (flash !== undefined) problems.push(...journalProblems(flash, config.maxStringLength, config.variables));
    if (problems.length > 0) throw new ConfigError(problems);
    this.plans = Array.from(plans.values());
    if (flash !== undefined) {
      this.journal = new Journal(flash, {
        whenFull: config.whenFull,
        variables: config.variables,
        onDrop: (loaded, unloaded, corrupt) => this.journalDropped(loaded, unloaded, corrupt),
      });
      const { recovered, corruptSkipped, corruptLost, damagedHeaders, foreign } = this.journal.stats();
      this.sampled = recovered;
      if (recovered + corruptSkipped + damagedHeaders > 0) {
        ports.logger.log(
          corruptLost + damagedHeaders > 0 ? "warn" : "info",
          `journal: ${recovered} readings recovered from flash` +
            (foreign > 0 ? ` (${foreign} taken under another variable list, sent under their own names)` : "") +
            `, ${corruptSkipped} torn or corrupt frames skipped` +
            (corruptLost > 0 ? `, ${corruptLost} readings lost to corruption` : "") +
            (damagedHeaders > 0 ? `, ${damagedHeaders} damaged sector headers` : ""),
        );
      }
      this.fill();
    }
  }

  /** Validates a raw configuration and builds the agent, or throws ConfigError listing every problem. */
  static create(raw: unknown, ports: Ports): Agent {
    const result = validateConfig(raw);
    for (const warning of result.warnings) ports.logger.log("warn", warning);
    if (!result.ok) throw new ConfigError(result.problems);
    return new Agent(result.config, ports);
  }

  start(): void {
    if (this.state !== "stopped") return;
    this.state = "idle";
    const now = this.ports.clock.monotonicMs();
    this.ports.logger.log(
      "info",
      `agent: ${this.config.variables.length} variable${this.config.variables.length === 1 ? "" : "s"} every ${this.config.sampleIntervalMs} ms to ${this.config.https ? "https" : "http"}://${this.config.host}:${this.config.port} as ${redactToken(this.token)}`,
    );
    // The first sample is taken at once, then one every interval.
    this.nextSampleAt = now - this.config.sampleIntervalMs;
    this.scheduleSample();
    this.scheduleAttempt(this.config.uploadIntervalMs);
  }

  /** Stops sampling and uploading; a batch on the wire is abandoned and stays buffered. */
  stop(): void {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.clearTimer("sampleTimer");
    this.clearTimer("uploadTimer");
    this.nextAttemptAt = null;
    if (this.exchange !== undefined) this.exchange.cancel();
  }

  /** Replaces the device token (for example after a 401); uploads resume at once. */
  setToken(token: string): void {
    const problem = tokenProblem(token);
    if (problem !== undefined) throw new ConfigError([problem]);
    this.token = token;
    this.tokenRefused = false;
    this.ports.logger.log("info", `agent: token replaced, now ${redactToken(token)}`);
    if (this.state === "auth-failed") {
      this.state = "idle";
      this.failureRun = 0;
      this.scheduleAttempt(0);
    }
  }

  /** Tries an upload now (subject to the network, the clock and the per-minute ceiling). */
  flush(): void {
    if (this.state === "idle") this.scheduleAttempt(0);
  }

  snapshot(): Snapshot {
    let droppedTotal = 0;
    for (const reason of DROP_REASONS) droppedTotal += this.dropped[reason];
    const now = this.ports.clock.monotonicMs();
    return {
      state: this.state,
      clockTrusted: this.timebase.trusted,
      sampled: this.sampled,
      delivered: this.delivered,
      dropped: { ...this.dropped },
      droppedTotal,
      buffered: this.ring.unsettled + (this.journal?.waiting ?? 0),
      inFlight: this.ring.flightSize,
      requests: this.requests,
      acknowledged: this.acknowledged,
      failures: { ...this.failures },
      sensorErrors: this.sensorErrors,
      lastError: this.lastError,
      lastUploadMs: this.lastUploadMs,
      nextAttemptInMs: this.nextAttemptAt === null ? null : Math.max(0, this.nextAttemptAt - now),
      journal: this.journal?.stats(),
    };
  }

  // ---- sampling ----

  private scheduleSample(): void {
    const now = this.ports.clock.monotonicMs();
    this.nextSampleAt += this.config.sampleIntervalMs;
    if (this.nextSampleAt < now) this.nextSampleAt = now;
    this.sampleTimer = this.ports.timers.set(() => {
      this.sampleTimer = undefined;
      if (this.state === "stopped") return;
      this.sample();
      this.scheduleSample();
    }, this.nextSampleAt - now);
  }

  /** Takes one sample of every sensor now. */
  sample(): void {
    const wall = this.timebase.observe();
    const time = wall >= 0 ? wall : this.ports.clock.monotonicMs();
    const flags = (wall >= 0 ? 0 : FLAG_UPTIME) | (this.grouped ? FLAG_GROUPED : 0);
    this.sampleVariables.length = 0;
    this.sampleValues.length = 0;
    for (let p = 0; p < this.plans.length; p++) {
      const plan = this.plans[p];
      let sample: unknown;
      try {
        sample = plan.sensor.sample();
      } catch (e) {
        this.sensorFailed(plan, e instanceof Error ? e.message : String(e));
        continue;
      }
      let missing = "";
      for (let i = 0; i < plan.variables.length; i++) {
        const value = pick(sample, plan.paths[i]);
        if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") {
          this.record(plan.variables[i], value, time, flags);
        } else {
          missing = this.config.variables[plan.variables[i]].field;
        }
      }
      if (missing !== "") this.sensorFailed(plan, `no reading at "${missing}"`);
      else if (plan.failing) {
        plan.failing = false;
        this.ports.logger.log("info", `sensor ${plan.sensor.name}: reading again`);
      }
    }
    if (this.journal !== undefined && this.sampleValues.length > 0) {
      const stored = this.journal.append(this.sampleVariables, this.sampleValues, time, flags);
      this.dropped.bufferFull += this.sampleValues.length - stored;
      this.fill();
    }
    if (this.ring.pending >= this.uploadTrigger) this.flush();
  }

  private sensorFailed(plan: SensorPlan, why: string): void {
    this.sensorErrors++;
    if (plan.failing) return;
    plan.failing = true;
    this.ports.logger.log("warn", `sensor ${plan.sensor.name}: ${why}`);
  }

  private record(variable: number, value: ReadingValue, time: number, flags: number): void {
    this.sampled++;
    let chars = 0;
    if (typeof value === "number") {
      // NaN and the infinities are the only numbers where x - x is not 0 (cheaper on XS than a call).
      if (value - value !== 0) {
        this.dropped.nonFinite++;
        return;
      }
    } else if (typeof value === "string") {
      chars = codePointLength(value);
      if (chars > this.config.maxStringLength) {
        this.dropped.stringTooLong++;
        return;
      }
    }
    if (this.journal !== undefined) {
      // A string longer than the whole budget could never enter the ring window.
      if (chars > this.config.stringBudget) this.dropped.stringBudget++;
      else {
        this.sampleVariables.push(variable);
        this.sampleValues.push(value);
      }
      return;
    }
    const result = this.ring.push(variable, value, time, flags);
    if (result !== PUSH_STORED) {
      if (result === PUSH_DROPPED_ONE) this.dropped.bufferFull++;
      else if (result === PUSH_REFUSED_STRING) this.dropped.stringBudget++;
    }
  }

  /** Moves journaled readings into the ring while it has room, oldest first. */
  private fill(): void {
    const journal = this.journal;
    if (journal === undefined) return;
    for (let r = journal.peek(); r !== undefined && this.ring.accepts(r.value); r = journal.peek()) {
      let variable = r.variable;
      if (r.list !== 0) {
        // Taken under an earlier variable list: sent under the name and unit it was taken with.
        const taken = journal.variablesOf(r.list)[r.variable];
        variable = this.variables.indexOf(taken);
        if (variable < 0) {
          // Every index is taken: the added ones are free once the ring holds no reading.
          if (this.ring.count > 0) return;
          this.variables.reset();
          variable = this.variables.indexOf(taken);
        }
      }
      this.ring.push(variable, r.value, r.time, r.flags);
      journal.take();
    }
  }

  /** The journal dropped unreleased readings, to make room or rotted: the oldest `loaded` in the ring go too. */
  private journalDropped(loaded: number, unloaded: number, corrupt: boolean): void {
    this.dropped[corrupt ? "corrupt" : "bufferFull"] += unloaded + this.ring.dropOldest(loaded);
  }


  // ---- uploading ----

  private clearTimer(name: "sampleTimer" | "uploadTimer" | "guardTimer"): void {
    const handle = this[name];
    if (handle !== undefined) this.ports.timers.clear(handle);
    this[name] = undefined;
  }

  private scheduleAttempt(delayMs: number): void {
    this.clearTimer("uploadTimer");
    const delay = Math.max(0, Math.ceil(delayMs));
    this.nextAttemptAt = this.ports.clock.monotonicMs() + delay;
    this.uploadTimer = this.ports.timers.set(() => {
      this.uploadTimer = undefined;
      this.nextAttemptAt = null;
      this.attempt();
    }, delay);
  }

  private attempt(): void {
    if (this.state === "stopped" || this.exchange !== undefined) return;
    const config = this.config;
    if (this.ring.pending === 0) {
      this.state = "idle";
      this.scheduleAttempt(config.uploadIntervalMs);
      return;
    }
    if (!this.ports.network.online()) {
      this.state = "offline";
      this.scheduleAttempt(Math.min(RECHECK_MS, config.uploadIntervalMs));
      return;
    }
    const wall = this.timebase.observe();
    if (wall < 0 && !config.uploadWithoutTime) {
      this.state = "waiting-for-clock";
      this.scheduleAttempt(Math.min(RECHECK_MS, config.uploadIntervalMs));
      return;
    }
    const now = this.ports.clock.monotonicMs();
    const recent = this.recentRequests;
    while (recent.length > 0 && recent[0] <= now - 60_000) recent.shift();
    if (recent.length >= config.maxRequestsPerMinute) {
      this.scheduleAttempt(recent[0] + 60_000 - now);
      return;
    }

    const maxRecords = this.splitLimit > 0 ? Math.min(this.splitLimit, config.maxBatchRecords) : config.maxBatchRecords;
    const batch = this.encoder.encode(this.ring, this.timebase, this.byteLimit, maxRecords);
    this.ring.beginBatch(batch.count);
    recent.push(now);
    this.requests++;
    this.state = "uploading";
    const headers: Array<[string, string]> = [
      ["Content-Type", "application/json"],
      ["Device-Token", this.token],
    ];
    if (!config.https) {
      headers.push(["_ssl", "false"]);
      this.ports.logger.log("warn", "upload: plain HTTP (https=false): readings and credentials cross the network unencrypted");
    }
    let exchange: HttpExchange;
    try {
      exchange = this.ports.http.request({
        method: "POST",
        tls: config.https,
        host: config.host,
        port: config.port,
        path: "/data",
        headers,
        body: batch.body,
        timeoutMs: config.requestTimeoutMs,
        maxResponseBytes: config.maxResponseBytes,
      });
    } catch (e) {
      this.settle(batch, { ok: false, error: "other", message: e instanceof Error ? e.message : String(e) });
      return;
    }
    this.exchange = exchange;
    this.guardTimer = this.ports.timers.set(() => {
      this.guardTimer = undefined;
      exchange.cancel();
    }, config.requestTimeoutMs + GUARD_SLACK_MS);
    exchange.result
      .then(
        (result) => this.settle(batch, result),
        (e: unknown) => this.settle(batch, { ok: false, error: "other", message: String(e) }),
      )
      .catch((e: unknown) => this.settleFailed(e));
  }

  /** A port threw while an answer was handled, against its contract: report it and go on, never stall. */
  private settleFailed(e: unknown): void {
    this.lastError = `unexpected: ${this.redact(e instanceof Error ? e.message : String(e))}`;
    this.ports.logger.log("error", `upload: ${this.lastError}`);
    if (this.state === "stopped" || this.uploadTimer !== undefined) return;
    this.state = "backing-off";
    this.scheduleAttempt(fullJitterMs(this.failureRun++, this.config.backoffBaseMs, this.config.backoffCapMs, this.ports.random));
  }

  /**
   * The batch on the wire is settled for good, acknowledged or refused by the server: it leaves
   * the ring and the journal. Returns how many records it covered.
   */
  private finishBatch(refused: boolean): number {
    const held = this.ring.inFlight;
    const covered = refused ? this.ring.discardBatch() : this.ring.acknowledge();
    if (this.journal !== undefined) {
      this.journal.release(held);
      this.fill();
    }
    return covered;
  }

  /** The batch on the wire stays; records evicted from it meanwhile (buffer full) are dropped now. */
  private keepBatch(): void {
    this.dropped.bufferFull += this.ring.keepBatch();
  }

  private settle(batch: Batch, result: HttpResult): void {
    this.exchange = undefined;
    this.clearTimer("guardTimer");
    let verdict: Verdict;
    try {
      verdict = classify(result, this.timebase.observe());
    } catch (e) {
      verdict = { action: "back-off", failure: "unexpected", message: String(e), retryAfterMs: undefined };
    }
    if (this.state === "stopped") {
      // Abandoned on stop: an acknowledgement still counts, anything else stays buffered.
      if (verdict.action === "acknowledge") this.delivered += this.finishBatch(false);
      else this.keepBatch();
      return;
    }
    const config = this.config;
    const batchSize = this.ring.flightSize;
    if (verdict.action === "acknowledge") {
      // Readings waiting in flash beyond the ring are worth the next upload at once.
      const more = batch.full || (this.journal !== undefined && this.journal.waiting > 0);
      this.delivered += this.finishBatch(false);
      this.acknowledged++;
      this.failureRun = 0;
      this.tokenRefused = false;
      this.refusedWith = null;
      this.lastUploadMs = this.ports.clock.monotonicMs();
      if (this.byteLimit < config.maxBatchBytes && ++this.acksSinceShrink >= ACKS_TO_GROW) {
        this.byteLimit = Math.min(config.maxBatchBytes, this.byteLimit * 2);
        this.acksSinceShrink = 0;
      }
      if (this.suspect > 0) {
        this.isolationCured = true;
        this.suspect -= batchSize;
        if (this.suspect <= 0) this.endIsolation();
      }
      this.state = "idle";
      this.scheduleAttempt(this.ring.pending > 0 && (more || this.suspect > 0) ? 0 : config.uploadIntervalMs);
      return;
    }

    // A device refused with this very message is not bisected again at every retry.
    if (verdict.action === "bisect" && (verdict.message === this.refusedWith || (batchSize <= 1 && !this.recordAtFault(verdict.message, verdict.namesRecord)))) {
      verdict = { action: "refused", failure: "refused", message: verdict.message };
    }
    this.failures[verdict.failure]++;
    this.lastError = `${verdict.failure}: ${this.redact(verdict.message)}`;
    this.ports.logger.log("warn", `upload of ${batchSize} readings failed: ${this.lastError}`);

    if (verdict.action === "split") {
      if (batchSize <= 1) this.dropped.tooLarge += this.finishBatch(true);
      else {
        this.keepBatch();
        this.byteLimit = Math.floor(batch.body.length / 2);
        this.acksSinceShrink = 0;
      }
      this.state = "idle";
      this.scheduleAttempt(0);
      return;
    }
    if (verdict.action === "bisect") {
      if (batchSize <= 1) {
        this.dropped.invalid += this.finishBatch(true);
        this.suspect -= 1;
        if (this.suspect <= 0) this.endIsolation();
      } else {
        this.keepBatch();
        if (this.suspect <= 0) this.isolationMessage = verdict.message;
        this.suspect = batchSize;
        this.splitLimit = Math.ceil(batchSize / 2);
      }
      this.state = "idle";
      this.scheduleAttempt(0);
      return;
    }

    this.keepBatch();
    if (verdict.action === "retention" && this.dropOutsideRetention(verdict.fromMs, verdict.toMs, batchSize)) {
      this.state = "idle";
      this.scheduleAttempt(0);
      return;
    }
    if (verdict.action === "refused" || verdict.action === "retention") {
      this.endIsolation();
      if (this.refusedWith !== verdict.message) {
        this.refusedWith = verdict.message;
        this.ports.logger.log(
          "error",
          `upload: the server refuses this device (${this.redact(verdict.message)}); nothing is dropped, buffering goes on, retrying every ${config.refusedRetryMs} ms`,
        );
      }
      this.state = "refused";
      this.scheduleAttempt(config.refusedRetryMs);
      return;
    }
    if (verdict.action === "auth") {
      if (!this.tokenRefused) {
        this.tokenRefused = true;
        this.ports.logger.log("error", `upload: token ${redactToken(this.token)} refused; buffering goes on, retrying every ${config.authRetryMs} ms`);
      }
      this.state = "auth-failed";
      this.scheduleAttempt(config.authRetryMs);
      return;
    }
    if (verdict.action === "rate-limited") {
      this.state = "rate-limited";
      const wait = rateLimitWaitMs(verdict.retryAfterMs, this.timebase.observe(), config.maxRetryAfterMs, config.rateLimitJitterMs, this.ports.random);
      this.scheduleAttempt(wait);
      return;
    }
    this.state = "backing-off";
    const backoff = fullJitterMs(this.failureRun, config.backoffBaseMs, config.backoffCapMs, this.ports.random);
    this.failureRun++;
    const serverWait = verdict.retryAfterMs === undefined ? 0 : Math.min(verdict.retryAfterMs, config.maxRetryAfterMs);
    this.scheduleAttempt(Math.max(backoff, serverWait));
  }

  private endIsolation(): void {
    this.suspect = 0;
    this.splitLimit = 0;
    this.isolationMessage = "";
    this.isolationCured = false;
  }

  /**
   * Whether one reading refused alone (valid by the agent's own rules) is itself at fault: the
   * answer names a record or field, or splitting cured the rest of its batch under the same
   * complaint. Otherwise the 400 is about the device, and no reading is dropped for it.
   */
  private recordAtFault(message: string, namesRecord: boolean): boolean {
    return namesRecord || (this.suspect > 0 && this.isolationCured && message === this.isolationMessage);
  }

  /**
   * Readings dated outside the server's retention window [fromMs, toMs) can never be stored: the
   * oldest run of them in the refused batch is dropped (`outsideRetention`); one further in is
   * brought to the front by sending the readings before it first. Readings without a time are
   * stamped on arrival, so inside. Returns false when none lies outside: nothing a drop would cure.
   */
  private dropOutsideRetention(fromMs: number, toMs: number, batchSize: number): boolean {
    const ring = this.ring;
    const n = Math.min(batchSize, ring.pending);
    const outside = (i: number): boolean => {
      const wall = this.timebase.wallOf(ring.timeAt(i), ring.flagsAt(i));
      return wall >= 0 && (wall < fromMs || wall >= toMs);
    };
    let lead = 0;
    while (lead < n && outside(lead)) lead++;
    if (lead > 0) {
      ring.beginBatch(lead);
      const dropped = this.finishBatch(true);
      this.dropped.outsideRetention += dropped;
      this.ports.logger.log("warn", `upload: ${dropped} readings dated outside the device's retention window dropped`);
      return true;
    }
    for (let i = 1; i < n; i++) {
      if (outside(i)) {
        this.suspect = i;
        this.splitLimit = i;
        return true;
      }
    }
    return false;
  }

  private redact(message: string): string {
    return this.token === "" ? message : message.split(this.token).join(redactToken(this.token));
  }
}
