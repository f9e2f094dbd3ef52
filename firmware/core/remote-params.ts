// Remote configuration through TagoIO's device parameters: right after start, then every
// `paramsIntervalMs` (plus up to a tenth of it, so a fleet spreads out), `GET /device/params`
// fetches every parameter (`sent_status` means opposite things in TagoIO's SDK and its server) and
// those with `sent: false` are acted on, in order:
// - a key that names a setting (`settings-layers.ts`: the core's, the host's, `<variable>.<filter>`)
//   is validated on top of the merged settings (validateConfig's messages), applied at once when
//   it can be (`live-config.ts`; otherwise at the next boot, and the log says so), stored, and
//   only then marked read with `PUT /device/params/{id}` `{"sent":true}`;
// - a rejected one (invalid, over the store's limits, or a key changed only on the board: the
//   token and where the agent connects) stays unread; the reason is logged and sent once a boot
//   per parameter value as the variable `<telemetryPrefix>config_error`;
// - any other key stays unread (it may be meant for something else, such as a payload parser),
//   logged once a boot.
// Every request counts in the agent's own ceiling (`maxRequestsPerMinute`); none starts while an
// upload or a landing check is on the wire. A failed poll is tried again a minute later (at least
// past a 429's calendar minute), a failed mark at the next poll: applying again is a no-op.

import type { HttpResult, Ports, TimerHandle } from "../ports.js";
import type { RequestCeiling } from "./backoff.js";
import { decode, parseJson } from "./classify.js";
import type { AgentConfig } from "./config.js";
import { LOCAL_ONLY_KEYS } from "./live-config.js";
import { storeKey, storeLimitProblem, type SettingsLayers } from "./settings-layers.js";
import { errorMessage, isRecord } from "./text.js";
import { Wire } from "./wire.js";

/** Sixty parameters of short values fit; a longer answer is a failed poll. */
export const PARAMS_MAX_BYTES = 16_384;
const RECHECK_MS = 5_000;
const FAILED_RETRY_MS = 60_000;
/** The mark's body. Made at run time: the firmware installs TextEncoder after the core is preloaded. */
const SENT = '{"sent":true}';

export interface ParamsCounts {
  /** GETs answered with a parameter list, and those that failed. */
  polls: number;
  pollFailures: number;
  /** Parameters taken (and then marked read), and rejected. */
  applied: number;
  rejected: number;
}

/** What the agent lends the poller. */
export interface ParamsTarget {
  /** The running configuration (shared with the agent's parts). */
  config: AgentConfig;
  ceiling: RequestCeiling;
  /** True while an upload or a landing check is on the wire. */
  busy(): boolean;
  /** Applies what can change live; returns the changed keys that wait for the next boot. */
  retune(next: AgentConfig): string[];
  /** Adds a reading of the config_error variable. */
  report(text: string): void;
}

interface Param {
  id: string;
  key: string;
  value: string;
}

export class RemoteParams {
  readonly counts: ParamsCounts = { polls: 0, pollFailures: 0, applied: 0, rejected: 0 };
  private readonly ports: Ports;
  private readonly layers: SettingsLayers;
  private readonly target: ParamsTarget;
  private readonly wire: Wire;
  /** Parameters taken whose mark has not gone yet. */
  private readonly marks: string[] = [];
  /** Unknown keys and rejected id/value pairs already logged in this boot. */
  private readonly told = new Set<string>();
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(ports: Ports, layers: SettingsLayers, target: ParamsTarget) {
    this.ports = ports;
    this.layers = layers;
    this.target = target;
    this.wire = new Wire(target.config, ports);
  }

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.ports.timers.clear(this.timer);
    this.timer = undefined;
    this.wire.cancel();
  }

  /** After a new interval: the next poll one new interval from now (a mark waiting goes first). */
  reschedule(): void {
    if (this.running && !this.wire.busy) this.schedule(this.marks.length > 0 ? 0 : this.intervalMs());
  }

  private intervalMs(): number {
    const interval = this.target.config.paramsIntervalMs;
    return interval + Math.floor(this.ports.random.next() * (interval / 10));
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) this.ports.timers.clear(this.timer);
    this.timer = this.ports.timers.set(this.attempt, delayMs);
  }

  private readonly attempt = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.ports.clock.monotonicMs();
    if (!this.ports.network.online() || this.target.busy()) return this.schedule(RECHECK_MS);
    const wait = this.target.ceiling.waitMs(now);
    if (wait > 0) return this.schedule(wait);
    this.target.ceiling.started(now);
    const id = this.marks[0];
    const request =
      id === undefined
        ? { method: "GET", path: "/device/params", body: undefined }
        : { method: "PUT", path: `/device/params/${encodeURIComponent(id)}`, body: new TextEncoder().encode(SENT) };
    const settled = (result: HttpResult): void => (id === undefined ? this.polled(result) : this.marked(id, result));
    const failed = (e: unknown): void => {
      this.ports.logger.log("error", `params: ${errorMessage(e)}`);
      this.schedule(FAILED_RETRY_MS);
    };
    this.wire.send({ ...request, method: request.method as "GET" | "PUT", maxResponseBytes: PARAMS_MAX_BYTES, token: this.target.config.token }, settled, failed);
  };

  private refused(result: HttpResult): string | undefined {
    if (!result.ok) return `${result.error}: ${result.message}`;
    const { status, truncated } = result.response;
    if (truncated) return `an answer over ${PARAMS_MAX_BYTES} bytes`;
    if (status < 200 || status > 299) return `status ${status}`;
    return undefined;
  }

  private polled(result: HttpResult): void {
    if (!this.running) return;
    const problem = this.refused(result);
    const answer = problem === undefined && result.ok ? parseJson(decode(result.response.body)) : undefined;
    const list = isRecord(answer) && answer.status === true && Array.isArray(answer.result) ? answer.result : undefined;
    if (list === undefined) {
      this.counts.pollFailures++;
      this.ports.logger.log("warn", `params: GET /device/params failed (${problem ?? "not a TagoIO parameter list"}); trying again in a minute`);
      return this.schedule(FAILED_RETRY_MS + Math.floor(this.ports.random.next() * 10_000));
    }
    this.counts.polls++;
    for (const entry of list) {
      if (!isRecord(entry) || entry.sent !== false || typeof entry.id !== "string" || typeof entry.key !== "string") continue;
      this.take({ id: entry.id, key: entry.key, value: typeof entry.value === "string" ? entry.value : String(entry.value) });
    }
    this.schedule(this.marks.length > 0 ? 0 : this.intervalMs());
  }

  private marked(id: string, result: HttpResult): void {
    if (!this.running) return;
    const problem = this.refused(result);
    if (problem !== undefined) {
      this.ports.logger.log("warn", `params: marking ${id} read failed (${problem}); again after the next poll`);
      this.marks.length = 0;
      return this.schedule(FAILED_RETRY_MS);
    }
    this.marks.shift();
    this.schedule(this.marks.length > 0 ? 0 : this.intervalMs());
  }

  /** Validates, applies, stores and queues the mark of one unread parameter; or rejects it. */
  private take(param: Param): void {
    const { key, value } = param;
    const logger = this.ports.logger;
    if (!this.layers.knows(key)) {
      if (!this.told.has(key)) logger.log("info", `params: "${key}" is not a setting of this agent; left unread`);
      this.told.add(key);
      return;
    }
    const rejection = this.problem(key, value);
    if (rejection !== undefined) return this.reject(param, rejection);
    try {
      const checked = this.layers.checkWith(key, value);
      const waiting = checked.config === undefined ? [] : this.target.retune(checked.config);
      this.layers.hostKeys[key]?.apply?.(value);
      this.layers.set(key, value);
      const later = waiting.includes(key) || (key in this.layers.hostKeys && this.layers.hostKeys[key].apply === undefined);
      logger.log("info", `params: ${key} = ${JSON.stringify(value.slice(0, 64))} ${later ? "stored; it applies at the next boot" : "applied and stored"}`);
    } catch (e) {
      return this.reject(param, `could not be stored (${errorMessage(e)})`);
    }
    this.counts.applied++;
    if (!this.marks.includes(param.id)) this.marks.push(param.id);
  }

  private problem(key: string, value: string): string | undefined {
    if (LOCAL_ONLY_KEYS.includes(key) || this.layers.hostKeys[key]?.localOnly === true) return "changed only on the board, never by a parameter";
    if (key === "paramsIntervalMs" && value.trim() !== "" && Number(value) === 0) return "0 would stop remote configuration for good; set it on the board";
    const problems = this.layers.problemsWith(key, value);
    if (problems.length > 0) return problems.join("; ");
    return storeLimitProblem(storeKey(key), value);
  }

  private reject(param: Param, reason: string): void {
    this.counts.rejected++;
    const text = reason.startsWith(`${param.key}: `) ? reason : `${param.key}: ${reason}`;
    const seen = `${param.id}\n${param.value}`;
    if (this.told.has(seen)) return;
    this.told.add(seen);
    this.ports.logger.log("warn", `params: rejected, left unread: ${text}`);
    this.target.report(text);
  }
}
