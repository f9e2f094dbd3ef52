// The uplink: one batch on the wire at a time, POSTed to TagoIO's `/data` with the Device-Token,
// and the uplink policy for every answer (README, "Uplink policy"): readings are released only
// on an acknowledged 2xx, or when a landing check finds them stored after an ambiguous outcome
// (landing-check.ts); everything else keeps them and decides when to try again.
// Bounded: at most `maxRequestsPerMinute` requests started per minute, a guard timer that cancels
// an exchange the port failed to end, batches within `maxBatchBytes` and `maxBatchRecords`.

import type { HttpResult, Ports, TimerHandle } from "../ports.js";
import { zeroCounts, type Backlog } from "./backlog.js";
import { fullJitterMs, rateLimitWaitMs, RequestCeiling } from "./backoff.js";
import { classify, FAILURE_CLASSES, type Verdict } from "./classify.js";
import { ambiguous, Landings, type RetryVerdict } from "./landing-check.js";
import { redactToken, type AgentConfig } from "./config.js";
import { errorMessage } from "./text.js";
import type { Batch } from "./encoder.js";
import { Isolation } from "./isolation.js";
import type { TimeBase } from "./timebase.js";
import { Wire } from "./wire.js";

/**
 * The states, and when the next attempt comes (every attempt starts from `attempt()`):
 * - idle: the upload interval, or at once after an acknowledgement that left more waiting;
 * - offline: the upload interval; waiting-for-clock: 5 s (while `uploadWithoutTime` is off);
 * - uploading: one exchange on the wire, ended by its answer or the guard timer;
 * - checking: after an ambiguous outcome, `GET /data` asks what landed; again after backoff while it fails;
 * - backing-off: full-jitter backoff, or the server's Retry-After if longer;
 * - rate-limited: the 429's Retry-After, else the next calendar minute, plus jitter;
 * - auth-failed: `authRetryMs`, or at once when a new token is set;
 * - refused: `refusedRetryMs`; stopped: never.
 * An acknowledgement returns to idle from any of them.
 */
export type UplinkState =
  | "stopped"
  | "idle"
  | "waiting-for-clock"
  | "offline"
  | "uploading"
  | "checking"
  | "backing-off"
  | "rate-limited"
  | "auth-failed"
  /** The server refuses the device itself (deactivated, record limit reached): nothing is dropped. */
  | "refused";

const RECHECK_MS = 5_000;
/** Acknowledged uploads after a 413 before batches may grow back toward the configured bound. */
const ACKS_TO_GROW = 32;

export class Uplink {
  state: UplinkState = "stopped";
  requests = 0;
  acknowledged = 0;
  readonly failures = zeroCounts(FAILURE_CLASSES);
  lastError: string | null = null;
  /** Monotonic time of the last acknowledged upload, or null. */
  lastUploadMs: number | null = null;
  /** Monotonic time of the next attempt, or null when none is scheduled. */
  nextAttemptAt: number | null = null;
  private readonly config: AgentConfig;
  protected readonly ports: Ports;
  protected readonly backlog: Backlog;
  private readonly timebase: TimeBase;
  readonly ceiling: RequestCeiling;
  private readonly isolation = new Isolation();
  private token: string;
  private timer: TimerHandle | undefined;
  private readonly wire: Wire;
  readonly landings: Landings;
  /** Consecutive failures, for the backoff exponent. */
  private failureRun = 0;
  /** Body bytes per request: the configured bound, halved by each 413 and doubled back after a run of acknowledgements. */
  private byteLimit: number;
  private acksSinceShrink = 0;
  /** The server refused the token; cleared by an acknowledgement or a new token. */
  private tokenRefused = false;
  /** The message the server refused the device with; cleared by an acknowledgement. */
  private refusedWith: string | null = null;

  constructor(config: AgentConfig, ports: Ports, backlog: Backlog, timebase: TimeBase) {
    this.config = config;
    this.ports = ports;
    this.backlog = backlog;
    this.timebase = timebase;
    this.token = config.token;
    this.byteLimit = config.maxBatchBytes;
    this.ceiling = new RequestCeiling(config.maxRequestsPerMinute);
    this.wire = new Wire(config, ports);
    this.landings = new Landings(backlog, ports.clock, ports.logger, config.checkDeadlineMs, Math.min(config.maxBatchBytes, config.maxCheckPageBytes));
  }

  get tokenShown(): string {
    return redactToken(this.token);
  }

  start(): void {
    this.state = "idle";
    this.schedule(this.config.uploadIntervalMs);
  }

  /** A batch on the wire is abandoned and stays buffered. */
  stop(): void {
    this.state = "stopped";
    this.clearTimer();
    this.nextAttemptAt = null;
    if (this.wire.busy) this.wire.cancel();
    else if (this.landings.pending !== undefined) this.landings.abandon();
  }

  setToken(token: string): void {
    this.token = token;
    this.tokenRefused = false;
    this.ports.logger.log("info", `agent: token replaced, now ${redactToken(token)}`);
    if (this.state === "auth-failed") {
      this.state = "idle";
      this.failureRun = 0;
      this.schedule(0);
    }
  }

  /** Tries an upload now (subject to the network, the clock and the per-minute ceiling). */
  flush(): void {
    if (this.state === "idle") this.schedule(0);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.ports.timers.clear(this.timer);
    this.timer = undefined;
  }

  protected schedule(delayMs: number): void {
    this.clearTimer();
    const delay = Math.max(0, Math.ceil(delayMs));
    this.nextAttemptAt = this.ports.clock.monotonicMs() + delay;
    this.timer = this.ports.timers.set(() => {
      this.timer = undefined;
      this.nextAttemptAt = null;
      this.attempt();
    }, delay);
  }

  private attempt(): void {
    if (this.state === "stopped" || this.wire.busy) return;
    const config = this.config;
    if (this.backlog.pending === 0) {
      this.state = "idle";
      this.schedule(config.uploadIntervalMs);
      return;
    }
    if (!this.ports.network.online()) {
      // Looked at again when the next upload is due, as it would be online: no wakeups meanwhile.
      this.state = "offline";
      this.schedule(config.uploadIntervalMs);
      return;
    }
    const wall = this.timebase.observe();
    if (wall < 0 && !config.uploadWithoutTime) {
      this.state = "waiting-for-clock";
      this.schedule(Math.min(RECHECK_MS, config.uploadIntervalMs));
      return;
    }
    const now = this.ports.clock.monotonicMs();
    const wait = this.ceiling.waitMs(now);
    if (wait > 0) {
      this.schedule(wait);
      return;
    }

    if (this.landings.pending !== undefined) return this.sendCheck(now);
    const batch = this.backlog.beginBatch(this.byteLimit, this.isolation.limit(config.maxBatchRecords));
    // A landing check found every reading of it stored: delivered without a request.
    if (batch.sent === 0) return this.acknowledge(batch.full, batch.count);
    const times = this.timebase.frozen();
    if (this.landings.beginAtBoot(batch.full, times)) return this.sendCheck(now);
    this.ceiling.started(now);
    this.requests++;
    this.state = "uploading";
    const post = { method: "POST", path: "/data", body: batch.body, maxResponseBytes: config.maxResponseBytes, token: this.token } as const;
    this.wire.send(post, (result) => this.settle(batch, times, result), (e) => this.settleFailed(e));
  }

  /** A port threw while an answer was handled, against its contract: report it and go on, never stall. */
  private settleFailed(e: unknown): void {
    this.lastError = `unexpected: ${this.redact(errorMessage(e))}`;
    this.ports.logger.log("error", `upload: ${this.lastError}`);
    if (this.state === "stopped" || this.timer !== undefined) return;
    this.state = "backing-off";
    this.schedule(fullJitterMs(this.failureRun++, this.config.backoffBaseMs, this.config.backoffCapMs, this.ports.random));
  }

  private settle(batch: Batch, times: Pick<TimeBase, "wallOf">, result: HttpResult): void {
    let verdict: Verdict;
    try {
      verdict = classify(result, this.timebase.observe());
    } catch (e) {
      verdict = { action: "back-off", failure: "unexpected", message: String(e), retryAfterMs: undefined };
    }
    if (this.state === "stopped") {
      // Abandoned on stop: an acknowledgement still counts, anything else stays buffered.
      if (verdict.action === "acknowledge") this.backlog.acknowledge();
      else this.backlog.keepBatch();
      return;
    }
    const size = this.backlog.inFlight;
    if (verdict.action === "acknowledge") return this.acknowledge(batch.full, size);
    // A device refused with this very message is not bisected again at every retry.
    if (verdict.action === "bisect" && (verdict.message === this.refusedWith || (size <= 1 && !this.isolation.atFault(verdict.message, verdict.namesRecord)))) {
      verdict = { action: "refused", failure: "refused", message: verdict.message };
    }
    this.failures[verdict.failure]++;
    this.lastError = `${verdict.failure}: ${this.redact(verdict.message)}`;
    this.ports.logger.log("warn", `upload of ${size} readings failed: ${this.lastError}`);
    // The server may hold the batch: ask before sending any of it again.
    if (ambiguous(result, verdict) && this.landings.begin(batch.full, times)) return this.retry("checking", 0);
    const config = this.config;
    switch (verdict.action) {
      case "split":
        if (size <= 1) this.backlog.refuse("tooLarge");
        else {
          this.backlog.keepBatch();
          this.byteLimit = Math.floor(batch.body.length / 2);
          this.acksSinceShrink = 0;
        }
        return this.retry("idle", 0);
      case "bisect":
        if (size <= 1) {
          this.backlog.refuse("invalid");
          this.isolation.dropped();
        } else {
          this.backlog.keepBatch();
          this.isolation.split(size, verdict.message);
        }
        return this.retry("idle", 0);
      case "retention":
        this.backlog.keepBatch();
        if (this.dropOutsideRetention(verdict.fromMs, verdict.toMs, size)) return this.retry("idle", 0);
        return this.refused(verdict.message);
      case "refused":
        this.backlog.keepBatch();
        return this.refused(verdict.message);
      case "auth":
        this.backlog.keepBatch();
        if (!this.tokenRefused) {
          this.tokenRefused = true;
          this.ports.logger.log("error", `upload: token ${redactToken(this.token)} refused; buffering goes on, retrying every ${config.authRetryMs} ms`);
        }
        return this.retry("auth-failed", config.authRetryMs);
      case "rate-limited":
        this.backlog.keepBatch();
        return this.retry("rate-limited", this.failureWait(verdict));
      case "back-off":
        this.backlog.keepBatch();
        return this.retry("backing-off", this.failureWait(verdict));
      default:
        return unhandled(verdict);
    }
  }

  /** The wait after a failed request: a 429's, else full-jitter backoff or the server's Retry-After if longer. */
  private failureWait(verdict: RetryVerdict): number {
    const config = this.config;
    if (verdict.action === "rate-limited") {
      return rateLimitWaitMs(verdict.retryAfterMs, this.timebase.observe(), config.maxRetryAfterMs, config.rateLimitJitterMs, this.ports.random);
    }
    const backoff = fullJitterMs(this.failureRun++, config.backoffBaseMs, config.backoffCapMs, this.ports.random);
    return Math.max(backoff, verdict.retryAfterMs === undefined ? 0 : Math.min(verdict.retryAfterMs, config.maxRetryAfterMs));
  }

  private sendCheck(now: number): void {
    this.ceiling.started(now);
    this.requests++;
    this.state = "checking";
    this.wire.send(this.landings.request(this.token), (result) => this.settleCheck(result), (e) => this.settleFailed(e));
  }

  private settleCheck(result: HttpResult): void {
    if (this.state === "stopped") return this.landings.abandon();
    const outcome = this.landings.settle(result, this.timebase.observe());
    if (outcome.kind === "landed") return this.acknowledge(outcome.full, outcome.size, false);
    if (outcome.kind !== "failed") return this.retry(outcome.kind === "next-page" ? "checking" : "idle", 0);
    this.lastError = `check: ${this.redact(outcome.message)}`;
    this.ports.logger.log("warn", `landing check failed: ${this.lastError}`);
    const then = outcome.then;
    const wait = then === "auth-failed" ? this.config.authRetryMs : then === "refused" ? this.config.refusedRetryMs : this.failureWait(outcome.verdict);
    this.retry(then === "check" ? "checking" : then === "resend" ? "backing-off" : then, wait);
  }

  /** `release`: false when a landing check released the batch already. */
  private acknowledge(full: boolean, size: number, release = true): void {
    const config = this.config;
    // Readings waiting in flash beyond the ring are worth the next upload at once.
    const more = full || this.backlog.bufferedInFlash > 0;
    if (release) this.backlog.acknowledge();
    this.acknowledged++;
    this.failureRun = 0;
    this.tokenRefused = false;
    this.refusedWith = null;
    this.lastUploadMs = this.ports.clock.monotonicMs();
    if (this.byteLimit < config.maxBatchBytes && ++this.acksSinceShrink >= ACKS_TO_GROW) {
      this.byteLimit = Math.min(config.maxBatchBytes, this.byteLimit * 2);
      this.acksSinceShrink = 0;
    }
    this.isolation.acknowledged(size);
    this.retry("idle", this.backlog.pending > 0 && (more || this.isolation.active) ? 0 : config.uploadIntervalMs);
  }

  private retry(state: UplinkState, delayMs: number): void {
    this.state = state;
    this.schedule(delayMs);
  }

  /** The server refuses the device itself: nothing is dropped, uploads retry rarely. */
  private refused(message: string): void {
    this.isolation.end();
    if (this.refusedWith !== message) {
      this.refusedWith = message;
      this.ports.logger.log(
        "error",
        `upload: the server refuses this device (${this.redact(message)}); nothing is dropped, buffering goes on, retrying every ${this.config.refusedRetryMs} ms`,
      );
    }
    this.retry("refused", this.config.refusedRetryMs);
  }

  /**
   * Readings dated outside the server's retention window can never be stored: the oldest run of
   * them in the refused batch is dropped (`outsideRetention`); one further in is brought to the
   * front by sending the readings before it first. Returns false when none lies outside.
   */
  private dropOutsideRetention(fromMs: number, toMs: number, size: number): boolean {
    const lead = this.backlog.leadingOutside(fromMs, toMs, size);
    if (lead > 0) {
      const dropped = this.backlog.dropOldest(lead, "outsideRetention");
      this.ports.logger.log("warn", `upload: ${dropped} readings dated outside the device's retention window dropped`);
      return true;
    }
    const first = this.backlog.firstOutside(fromMs, toMs, size);
    if (first < 0) return false;
    this.isolation.focus(first);
    return true;
  }

  private redact(message: string): string {
    return this.token === "" ? message : message.split(this.token).join(redactToken(this.token));
  }
}

/** The compiler checks that every action of the uplink policy is handled. */
function unhandled(verdict: never): never {
  throw new Error(`uplink: no policy for ${JSON.stringify(verdict)}`);
}
