// The sleep mode's wake cycle: the device boots at every wake (a deep sleep loses the RAM), so one
// boot is one cycle: restore the state the last sleep left (state-area.ts, wake-state.ts; the
// journal resumed cheaply from its snapshot, journal-resume.ts), take one sample, journal it,
// upload only when due, save the state and sleep until the next sample is due.
// An upload is due every `uploadEvery` wakes, when the journal fills to `uploadFillPercent`,
// when a reading crosses its variable's alarm threshold, and at a boot that was not a timer's
// wake (power-on, reset: the radio comes up and SNTP sets the clock). Only then is the radio asked
// up (`Network.up`). A failed upload wake backs off across wakes (full jitter on the failed wakes
// in a row, or the server's wait if longer): the next wakes sample and sleep, radio off, until
// it has passed. An upload wake lasts at most twice `requestTimeoutMs`; what is not settled by
// then stays journaled.
// Time: wall time from the RTC, which runs through the sleep; monotonic time restarts at 0 at
// every wake, so it measures the wake itself (`awakeMs`).

import type { Ports } from "../ports.js";
import type { Snapshot } from "./agent.js";
import { DROP_REASONS, type Backlog } from "./backlog.js";
import { fullJitterMs } from "./backoff.js";
import type { AgentConfig } from "./config.js";
import type { ReadingValue } from "./ring.js";
import type { Sampler } from "./sampler.js";
import { isAlarm } from "./sleep-settings.js";
import type { StateArea } from "./state-area.js";
import type { Telemetry } from "./telemetry.js";
import type { TimeBase } from "./timebase.js";
import { Uplink } from "./uplink.js";
import { freshWakeState, writeWakeState, type Totals, type WakeState } from "./wake-state.js";

/** How often an upload wake looks again while the network comes up or the clock is set. */
const POLL_MS = 250;
/** The snapshot's counts the state carries from boot to boot (beside drops and what is buffered). */
const CARRIED = Object.freeze(["sampled", "delivered", "filtered", "requests", "acknowledged", "sensorErrors"] as const);

/**
 * The uplink of an upload wake: it sends until nothing waits, then the wake ends; a failure
 * ends it too, with the wait the uplink would have kept (a deep sleep replaces that wait).
 */
export class WakeUplink extends Uplink {
  /** Called once the uplink is done: `ok` when nothing is left waiting, else the wait it wanted. */
  onEnd: (ok: boolean, waitMs: number) => void = () => {};

  protected override schedule(delayMs: number): void {
    switch (this.state) {
      case "idle":
        if (this.backlog.pending === 0) return this.onEnd(true, 0);
        return super.schedule(this.ceiling.waitMs(this.ports.clock.monotonicMs()));
      case "uploading":
      case "checking":
        // 0: the next step at once (a landing check); else a failing check's wait.
        return delayMs === 0 ? super.schedule(0) : this.onEnd(false, delayMs);
      case "offline":
      case "waiting-for-clock":
        return super.schedule(Math.min(delayMs, POLL_MS));
      case "stopped":
        return;
      default:
        return this.onEnd(false, delayMs);
    }
  }
}

export interface WakeParts {
  config: AgentConfig;
  ports: Ports;
  timebase: TimeBase;
  backlog: Backlog;
  sampler: Sampler;
  uplink: WakeUplink;
  telemetry: Telemetry;
  area: StateArea;
  /** What the last sleep left; undefined when nothing usable was found. */
  saved: WakeState | undefined;
  /** This boot's figures with the carried totals added (the agent's snapshot). */
  snapshot: () => Snapshot;
}

export class WakeCycle {
  /** The state as restored, updated through this wake and saved at its end. */
  readonly state: WakeState;
  /** True when this wake asked for the radio. */
  uploadWake = false;
  private readonly parts: WakeParts;
  /** The totals of the boots before this one, less their buffered readings (this boot recovers and counts them). */
  private readonly carried: Totals;
  private readonly fresh: boolean;
  private deadline: unknown;
  private ended = false;
  /** When this wake was due (wall ms), the grid the next sample keeps to; -1 without a trusted clock. */
  private due = -1;

  constructor(parts: WakeParts) {
    this.parts = parts;
    this.fresh = parts.saved === undefined;
    this.state = parts.saved ?? freshWakeState();
    const t = this.state.totals;
    this.carried = { ...t, dropped: t.dropped.slice(), sampled: t.sampled - t.buffered, buffered: 0 };
    // After a clean sleep the journal holds what the last wake left buffered: fewer means flash
    // lost them (rot the recovery could not see), and they are counted dropped as corrupt.
    const recovered = parts.backlog.journalStats()?.recovered ?? 0;
    const gone = t.buffered - recovered;
    if (parts.saved !== undefined && parts.ports.sleep?.wakeReason() === "timer" && gone > 0) {
      this.carried.sampled += gone;
      this.carried.dropped[DROP_REASONS.indexOf("corrupt")] += gone;
      parts.ports.logger.log("warn", `sleep: ${gone} readings the last wake left on flash are gone (counted dropped, corrupt)`);
    }
  }

  /** Adds the boots before this one to `s`, this boot's snapshot: the invariant then counts across boots. */
  addCarried(s: Snapshot): void {
    const c = this.carried;
    for (const key of CARRIED) s[key] += c[key];
    DROP_REASONS.forEach((r, i) => {
      s.dropped[r] += c.dropped[i];
      s.droppedTotal += c.dropped[i];
    });
  }

  /** The wake: sample, upload if due, else sleep at once. */
  run(): void {
    const { config, ports, backlog, sampler, timebase } = this.parts;
    const s = this.state;
    const wall = timebase.observe();
    this.due = wall < 0 ? -1 : s.nextSample > 0 ? s.nextSample : wall;
    s.wakes++;
    s.sinceUpload++;
    sampler.resume();
    sampler.sample();
    let alarm = false;
    for (let i = 0; i < sampler.variables.length; i++) {
      const v = config.variables[sampler.variables[i]];
      if (v !== undefined && isAlarm(v, sampler.values[i])) alarm = true;
    }
    if (alarm) ports.logger.log("info", "sleep: a reading crossed its alarm threshold; uploading now");
    const due = this.fresh || ports.sleep?.wakeReason() !== "timer" || wall < 0 || s.sinceUpload >= config.uploadEvery || backlog.journalFill() >= config.uploadFillPercent || alarm;
    const allowed = alarm || wall < 0 || wall >= s.uploadNotBefore;
    if (due && allowed && backlog.buffered > 0) return this.upload(wall);
    s.landingUnknown = this.unsure();
    this.sleep();
  }

  /** Ends the wake where it stands (a batch on the wire stays journaled), without sleeping. */
  stop(): void {
    this.ended = true;
    if (this.deadline !== undefined) this.parts.ports.timers.clear(this.deadline);
    this.parts.uplink.stop();
  }

  private upload(wall: number): void {
    const { config, ports, uplink, telemetry } = this.parts;
    const s = this.state;
    this.uploadWake = true;
    // The health report rides along with an upload, at most once an interval.
    if (config.telemetryIntervalMs > 0 && (wall < 0 || wall - s.lastTelemetry >= config.telemetryIntervalMs)) {
      telemetry.report();
      s.lastTelemetry = Math.max(0, wall);
    }
    ports.network.up?.();
    // Deferred: the uplink is mid-answer when it says it is done.
    uplink.onEnd = (ok, waitMs) => void ports.timers.set(() => this.end(ok, waitMs), 0);
    this.deadline = ports.timers.set(() => this.end(false, 0), 2 * config.requestTimeoutMs);
    this.parts.backlog.load();
    uplink.start();
  }

  private end(ok: boolean, waitMs: number): void {
    if (this.ended) return;
    const { config, ports, uplink, timebase } = this.parts;
    ports.timers.clear(this.deadline);
    const s = this.state;
    s.landingUnknown = this.unsure();
    uplink.stop();
    const wall = timebase.observe();
    if (ok) {
      s.sinceUpload = 0;
      s.failedUploads = 0;
      s.uploadNotBefore = 0;
      if (wall >= 0) s.lastUpload = wall;
    } else {
      const backoff = Math.max(waitMs, fullJitterMs(s.failedUploads, config.backoffBaseMs, config.backoffCapMs, ports.random));
      s.failedUploads++;
      s.uploadNotBefore = wall >= 0 ? wall + backoff : 0;
      ports.logger.log("info", `sleep: upload failed (${uplink.lastError ?? "not finished in time"}); no upload before ${backoff} ms from now`);
    }
    this.sleep();
  }

  /**
   * Whether the server may hold readings the journal still has: a batch abandoned on the wire, a
   * landing check unfinished, the check this boot owed (it recovered in full) not yet made, or
   * readings a check found stored, which only RAM marks.
   */
  private unsure(): boolean {
    const { uplink, backlog } = this.parts;
    return uplink.state === "uploading" || uplink.landings.pending !== undefined || uplink.landings.dueAtBoot || backlog.foundStored > 0;
  }

  /** Saves the state (the journal's snapshot unless a landing is unknown) and sleeps until the next sample. */
  private sleep(): void {
    const { config, ports, backlog, sampler, area, timebase } = this.parts;
    this.ended = true;
    const s = this.state;
    const interval = config.sampleIntervalMs;
    const wall = timebase.observe();
    const awake = ports.clock.monotonicMs();
    let sleepMs: number;
    if (wall >= 0 && this.due >= 0) {
      // On the grid of due times; samples a long wake overran are skipped, not bunched.
      let next = this.due + interval;
      if (next <= wall) next += Math.ceil((wall - next + 1) / interval) * interval;
      s.nextSample = next;
      sleepMs = next - wall;
    } else {
      s.nextSample = 0;
      sleepMs = Math.max(1, interval - awake);
    }
    const snap = this.parts.snapshot();
    s.totals = { ...s.totals, dropped: DROP_REASONS.map((r) => snap.dropped[r]), buffered: snap.buffered };
    for (const key of CARRIED) s.totals[key] = snap[key];
    const newest: Array<ReadingValue | undefined> = (backlog.journaledAtBoot?.newestAtBoot ?? []).slice();
    for (let i = 0; i < sampler.variables.length; i++) newest[sampler.variables[i]] = sampler.values[i];
    const journal = s.landingUnknown ? undefined : backlog.journalSnapshot(newest);
    if (journal === undefined) delete s.journal;
    else s.journal = journal;
    writeWakeState(area, s);
    ports.logger.log("debug", `sleep: wake ${s.wakes}${this.uploadWake ? " (upload)" : ""} awake ${awake} ms, sleeping ${sleepMs} ms`);
    ports.sleep?.sleep(sleepMs);
  }
}
