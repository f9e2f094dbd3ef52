// The landing check: after an ambiguous outcome (the body went whole, no valid answer came back)
// the agent asks TagoIO which of the batch's readings it stored before it sends any again:
// `GET /data` filtered by the batch's groups (else its time span) and variables, `qty` enough for
// the batch, paged only when a page comes back full. A reading matches a stored record on
// variable (lowercased), group, time (the instant, however written) and value; each stored record
// matches one reading at most. The answer is untrusted: a page is read within the bytes the device
// already spends on a batch (`maxBatchBytes`, and `maxCheckPageBytes`), so a long batch is asked
// for in more pages, never in a larger answer; anything unexpected is a failed check, never a throw. A failed check is asked again with backoff; `checkDeadlineMs` after the
// ambiguous outcome the batch goes again unchecked (counted), unless the server refuses the device
// or token, which only waits.

import type { Clock, HttpResult, Logger } from "../ports.js";
import { zeroCounts, type Backlog } from "./backlog.js";
import { classify, decode, parseJson, type Verdict } from "./classify.js";
import type { ReadingValue } from "./ring.js";
import type { TimeBase } from "./timebase.js";

/** A reading of the batch on the wire as it was sent. */
export interface Landing {
  /** Its position in the ring (see `Ring.released`), which evictions do not shift. */
  at: number;
  variable: string;
  group: string | undefined;
  /** The time it was sent with, or -1 when it went without one (the server stamped it). */
  wall: number;
  value: ReadingValue;
}

/** A stored record as `GET /data` returns it is 150 to 300 bytes: this many are read per record asked for. */
const BYTES_PER_RECORD = 512;
/** Bytes read for a page besides its records: TagoIO's envelope, with room to spare. */
const PAGE_ENVELOPE_BYTES = 1024;
/** Longest path and query sent; a longer list of groups is asked for by time span instead. */
const MAX_PATH_CHARS = 4_096;

/** What one answer to the check means. */
export type CheckStep =
  | { kind: "done" }
  | { kind: "next-page" }
  /** No usable answer. */
  | { kind: "failed"; verdict: Exclude<Verdict, { action: "acknowledge" }> };

/** A failed check waits as a failed upload would: a 429's wait, else backoff. */
export type RetryVerdict = Extract<Verdict, { retryAfterMs: number | undefined }>;

/** What the landing checks did, for the snapshot (see the README's "Exactly-once delivery"). */
export const LANDING_COUNTS = Object.freeze(["checks", "checkFailures", "found", "partial", "missing", "resentAnyway", "unchecked"] as const);
export type LandingCounts = Record<(typeof LANDING_COUNTS)[number], number>;

/** Whether the server may have stored a batch it gave no valid answer for. */
export function ambiguous(result: HttpResult, verdict: Verdict): boolean {
  if (!result.ok) return result.bodySent;
  // A 2xx whose body was cut at the read bound, or is not TagoIO's envelope: something answering
  // for the server took the whole body.
  return verdict.action === "back-off" && verdict.failure === "not-acknowledged";
}

function list(name: string, items: readonly string[]): string {
  let out = "";
  for (let i = 0; i < items.length; i++) out += `&${name}%5B${i}%5D=${encodeURIComponent(items[i])}`;
  return out;
}

function distinct(values: Array<string | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) if (v !== undefined && out.indexOf(v) < 0) out.push(v);
  return out;
}

function sameValue(a: ReadingValue, b: unknown): boolean {
  // Types may come back converted (a number as text): the text decides then.
  return a === b || (typeof b !== typeof a && (typeof b === "string" || typeof b === "number" || typeof b === "boolean") && String(a) === String(b));
}

function keyOf(variable: string, group: string | undefined, wall: number): string {
  return `${variable}|${group ?? ""}|${wall}`;
}

export class LandingCheck {
  readonly landings: readonly Landing[];
  /** `found[i]`: landings[i] is stored on the server. */
  readonly found: boolean[];
  /** The position one past the batch's last reading. */
  readonly end: number;
  /** Monotonic time of the ambiguous outcome: the resend-anyway deadline counts from it. */
  readonly since: number;
  /** Whether more readings waited beyond the batch when it went (to upload again at once after it). */
  readonly full: boolean;
  private readonly filter: string | undefined;
  /** Records a page asks for (at least one; TagoIO's cap of 10,000 is never near). */
  private readonly qty: number;
  /** Pages read before what is still missing is taken as missing: the records asked for, and one page of slack. */
  private readonly maxPages: number;
  private skip = 0;
  private pages = 0;
  private waiting: Map<string, number[]> | undefined;

  /** `pageBytes`: the most answer bytes a page should take (a page of one record may take more). */
  constructor(landings: readonly Landing[], end: number, since: number, full: boolean, pageBytes: number) {
    this.landings = landings;
    this.end = end;
    this.found = landings.map(() => false);
    this.since = since;
    this.full = full;
    const variables = distinct(landings.map((l) => l.variable));
    // Slack for a sample split across two batches: its other readings share its group.
    const wanted = landings.length + variables.length;
    this.qty = Math.max(1, Math.min(wanted, Math.floor((pageBytes - PAGE_ENVELOPE_BYTES) / BYTES_PER_RECORD)));
    this.maxPages = Math.ceil(wanted / this.qty) + 1;
    this.filter = this.filterOf(variables);
  }

  /**
   * `groups` when every reading has one; else the time span when every reading has a time; else
   * nothing identifies them and there is no check (undefined).
   */
  private filterOf(variables: string[]): string | undefined {
    const vars = list("variables", variables);
    const landings = this.landings;
    if (landings.length === 0) return undefined;
    if (landings.every((l) => l.group !== undefined)) {
      const byGroup = vars + list("groups", distinct(landings.map((l) => l.group)));
      if (byGroup.length <= MAX_PATH_CHARS - 100) return byGroup;
    }
    if (!landings.every((l) => l.wall >= 0)) return undefined;
    let from = landings[0].wall;
    let to = from;
    for (const l of landings) {
      from = Math.min(from, l.wall);
      to = Math.max(to, l.wall);
    }
    const span = `&start_date=${encodeURIComponent(new Date(from).toISOString())}&end_date=${encodeURIComponent(new Date(to).toISOString())}`;
    return vars.length + span.length <= MAX_PATH_CHARS - 100 ? vars + span : undefined;
  }

  /** Whether the batch's readings can be asked for at all. */
  get checkable(): boolean {
    return this.filter !== undefined;
  }

  /** The path and query of the next page. */
  path(): string {
    return `/data?qty=${this.qty}&skip=${this.skip}&ordination=ascending${this.filter ?? ""}`;
  }

  /** The most answer bytes read for a page. */
  get maxResponseBytes(): number {
    return PAGE_ENVELOPE_BYTES + this.qty * BYTES_PER_RECORD;
  }

  /** Readings found stored so far. */
  get foundCount(): number {
    let n = 0;
    for (const f of this.found) if (f) n++;
    return n;
  }

  /** Takes the answer to a page. `wallMs`: the trusted wall time or -1 (for a 429's Retry-After date). */
  take(result: HttpResult, wallMs: number): CheckStep {
    const verdict = classify(result, wallMs);
    if (verdict.action !== "acknowledge") return { kind: "failed", verdict };
    // A 2xx with TagoIO's success envelope: its `result` must be the list of records.
    const json = result.ok ? parseJson(decode(result.response.body)) : undefined;
    const records = typeof json === "object" && json !== null ? (json as { result?: unknown }).result : undefined;
    if (!Array.isArray(records)) {
      return { kind: "failed", verdict: { action: "back-off", failure: "not-acknowledged", message: "check: the answer holds no list of records", retryAfterMs: undefined } };
    }
    this.match(records);
    this.pages++;
    this.skip += records.length;
    const more = records.length >= this.qty && this.foundCount < this.landings.length && this.pages < this.maxPages;
    return more ? { kind: "next-page" } : { kind: "done" };
  }

  /** The unfound readings by variable, group and time: built at the first page, claimed from by every page. */
  private waitingByKey(): Map<string, number[]> {
    if (this.waiting !== undefined) return this.waiting;
    const waiting = new Map<string, number[]>();
    this.landings.forEach((l, i) => {
      const key = keyOf(l.variable, l.group, l.wall);
      const at = waiting.get(key);
      if (at === undefined) waiting.set(key, [i]);
      else at.push(i);
    });
    this.waiting = waiting;
    return waiting;
  }

  private match(records: readonly unknown[]): void {
    const waiting = this.waitingByKey();
    for (const r of records) {
      if (typeof r !== "object" || r === null) continue;
      const o = r as Record<string, unknown>;
      if (typeof o.variable !== "string") continue;
      const variable = o.variable.toLowerCase();
      const group = typeof o.group === "string" && o.group !== "" ? o.group : undefined;
      const time = typeof o.time === "string" ? Date.parse(o.time) : Number.NaN;
      // A reading sent without a time carries the server's: only variable, group and value tell.
      if (!this.claim(waiting.get(keyOf(variable, group, time)), o.value)) this.claim(waiting.get(keyOf(variable, group, -1)), o.value);
    }
  }

  /** Marks the first unfound reading of `candidates` with this value found. */
  private claim(candidates: number[] | undefined, value: unknown): boolean {
    if (candidates === undefined) return false;
    for (let k = 0; k < candidates.length; k++) {
      const i = candidates[k];
      if (!sameValue(this.landings[i].value, value)) continue;
      this.found[i] = true;
      candidates.splice(k, 1);
      return true;
    }
    return false;
  }
}

/** Any other answer to a GET (a 400 about a record, a 413) says nothing of the batch: plain backoff. */
const BACK_OFF: RetryVerdict = Object.freeze({ action: "back-off", failure: "unexpected", message: "", retryAfterMs: undefined });

/** What the uplink does after an answer to a check. */
export type CheckOutcome =
  | { kind: "next-page" }
  /** Every reading is stored: what is held of the batch (`size`) is delivered and released. */
  | { kind: "landed"; full: boolean; size: number }
  /** Some or none stored: those found are marked, the rest goes again at once. */
  | { kind: "resend" }
  /**
   * No usable answer. `then`: ask again after the verdict's wait ("check"); past the deadline,
   * resend the batch unchecked after it ("resend"); or, for a token or device the server refuses,
   * ask again as uploads would try again in that state.
   */
  | { kind: "failed"; verdict: RetryVerdict; message: string; then: "check" | "resend" | "auth-failed" | "refused" };

/** The uplink's landing checks: the one pending for the batch on the wire, and what they all found. */
export class Landings {
  readonly counts: LandingCounts = zeroCounts(LANDING_COUNTS);
  /** The pending check, while its batch waits, the oldest, for the answer (nothing else is sent meanwhile). */
  pending: LandingCheck | undefined;
  private readonly backlog: Backlog;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly deadlineMs: number;
  private readonly pageBytes: number;
  /** The journal recovered readings at boot: the oldest may be stored already (the power went with their batch on the wire). */
  private atBoot: boolean;

  /** `pageBytes`: the most answer bytes a page of a check should take (the smaller of `maxBatchBytes` and `maxCheckPageBytes`). */
  constructor(backlog: Backlog, clock: Clock, logger: Logger, deadlineMs: number, pageBytes: number) {
    this.backlog = backlog;
    this.clock = clock;
    this.logger = logger;
    this.deadlineMs = deadlineMs;
    this.pageBytes = pageBytes;
    // A journal resumed from a sleep's snapshot had no batch on the wire when it went to sleep.
    const stats = backlog.journalStats();
    this.atBoot = stats !== undefined && stats.recovered > 0 && !stats.resumed;
  }

  /**
   * Begins a check of the batch on the wire, sent with `times`: the batch is kept (it waits, the
   * oldest, for the answer); false, and the batch left on the wire, when nothing identifies its readings.
   */
  begin(full: boolean, times: Pick<TimeBase, "wallOf">): boolean {
    const { landings, end } = this.backlog.landings(times);
    const check = new LandingCheck(landings, end, this.clock.monotonicMs(), full, this.pageBytes);
    if (!check.checkable) {
      this.counts.unchecked++;
      return false;
    }
    this.backlog.keepBatch();
    this.pending = check;
    return true;
  }

  /** True while the first batch after a boot that recovered readings is still to be checked. */
  get dueAtBoot(): boolean {
    return this.atBoot;
  }

  /** The first batch after a boot that recovered readings is checked before it is sent. */
  beginAtBoot(full: boolean, times: Pick<TimeBase, "wallOf">): boolean {
    if (!this.atBoot) return false;
    this.atBoot = false;
    return this.begin(full, times);
  }

  /** The pending check's next GET. */
  request(token: string): { method: "GET"; path: string; body: undefined; maxResponseBytes: number; token: string } {
    const check = this.pending as LandingCheck;
    this.counts.checks++;
    return { method: "GET", path: check.path(), body: undefined, maxResponseBytes: check.maxResponseBytes, token };
  }

  /** Takes the answer to the pending check's GET. `wallMs`: the trusted wall time or -1. */
  settle(result: HttpResult, wallMs: number): CheckOutcome {
    const check = this.pending as LandingCheck;
    const step = check.take(result, wallMs);
    if (step.kind === "next-page") return step;
    if (step.kind === "failed") {
      this.counts.checkFailures++;
      const v = step.verdict;
      const failed = { kind: "failed", message: `${v.failure}: ${v.message}` } as const;
      // A refused token or device is a clear answer that nothing can be sent now: never a reason to resend.
      if (v.action === "auth" || v.action === "refused") return { ...failed, verdict: BACK_OFF, then: v.action === "auth" ? "auth-failed" : "refused" };
      const verdict = v.action === "back-off" || v.action === "rate-limited" ? v : BACK_OFF;
      if (this.clock.monotonicMs() - check.since < this.deadlineMs) return { ...failed, verdict, then: "check" };
      this.counts.resentAnyway++;
      this.logger.log("warn", `landing check: no answer within checkDeadlineMs (${this.deadlineMs} ms); the batch goes again unchecked`);
      this.abandon();
      return { ...failed, verdict, then: "resend" };
    }
    this.pending = undefined;
    const found = check.foundCount;
    const size = this.backlog.settleLanded(check.landings, check.found, check.end);
    if (found === check.landings.length) {
      this.counts.found++;
      return { kind: "landed", full: check.full, size };
    }
    this.counts[found === 0 ? "missing" : "partial"]++;
    return { kind: "resend" };
  }

  /** The pending check ends without proof: its batch waits to go again, unchecked. */
  abandon(): void {
    this.pending = undefined;
  }
}
