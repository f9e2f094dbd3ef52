// An in-memory stand-in for TagoIO's POST /data behind the scripted transport: it parses each
// body, and a per-test rule decides whether to store it and acknowledge, store it and lose the
// acknowledgement, or answer something else. What it stored is the ground truth tests compare.
// It answers the landing check's `GET /data` too, as TagoIO's query semantics say (`variables`,
// `groups`, `start_date`/`end_date` inclusive, `qty`, `skip`, `ordination`; lists in the SDK's
// `name[i]=` form), unless `checkRule` answers otherwise. It keeps the device's parameters as
// TagoIO does: `GET /device/params` lists them all, `PUT /device/params/{id}` `{"sent":true}` marks one.

import type { HttpRequest } from "../ports.js";
import { ACK, bodyText, reply, ScriptedHttp, type Answer } from "./scripted-http.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface StoredReading {
  variable: string;
  value: number | boolean | string;
  unit?: string;
  time?: string;
  group?: string;
}

export interface Exchange {
  index: number;
  token: string;
  records: StoredReading[];
  bytes: number;
}

/** "store": store and acknowledge; "lose-ack": store, then the answer is lost; or any other answer, nothing stored. */
export type Decision = "store" | "lose-ack" | Answer;

export class FakeTago {
  readonly stored: StoredReading[] = [];
  readonly exchanges: Exchange[] = [];
  /** Records stored whose acknowledgement was lost (they may arrive again). */
  lostAcks = 0;
  readonly http: ScriptedHttp;
  rule: (exchange: Exchange) => Decision = () => "store";
  /** The landing checks' GETs, and how each is answered: "answer" from what is stored, or any answer. */
  readonly checks: string[] = [];
  checkRule: (path: string, index: number) => "answer" | Answer = () => "answer";
  /** The device's parameters; `setParam` adds or changes one (unread). */
  readonly params: Array<{ id: string; key: string; value: string; sent: boolean }> = [];
  /** The parameter requests (GET and PUT), by path. */
  readonly paramRequests: string[] = [];
  /** Answers a parameter request otherwise than TagoIO would (a 429, a failure); undefined: as TagoIO. */
  paramRule: (request: string, index: number) => Answer | undefined = () => undefined;

  constructor(clock: VirtualClock) {
    this.http = new ScriptedHttp(clock, (request, index) => this.answer(request, index));
  }

  setParam(key: string, value: string): void {
    const param = this.params.find((p) => p.key === key);
    if (param === undefined) this.params.push({ id: `p${this.params.length + 1}`, key, value, sent: false });
    else Object.assign(param, { value, sent: false });
  }

  private answer(request: HttpRequest, index: number): Answer {
    if (request.path.startsWith("/device/params")) {
      this.paramRequests.push(`${request.method} ${request.path}`);
      const other = this.paramRule(`${request.method} ${request.path}`, this.paramRequests.length - 1);
      if (other !== undefined) return other;
      if (request.method === "GET") return reply(200, { status: true, result: this.params.map((p) => ({ ...p })) });
      const param = this.params.find((p) => `/device/params/${p.id}` === request.path);
      if (param === undefined) return reply(404, { status: false, message: "Param not found" });
      param.sent = (JSON.parse(bodyText(request)) as { sent: boolean }).sent;
      return reply(200, { status: true, result: "Params Successfully Updated" });
    }
    if (request.method === "GET") {
      this.checks.push(request.path);
      const decision = this.checkRule(request.path, this.checks.length - 1);
      return decision === "answer" ? reply(200, { status: true, result: this.query(request.path) }) : decision;
    }
    const token = request.headers.find(([name]) => name === "Device-Token")?.[1] ?? "";
    const body = bodyText(request);
    const records = JSON.parse(body) as StoredReading[];
    const exchange: Exchange = { index, token, records, bytes: body.length };
    this.exchanges.push(exchange);
    const decision = this.rule(exchange);
    if (decision === "store") {
      this.stored.push(...records);
      return ACK(records.length);
    }
    if (decision === "lose-ack") {
      this.stored.push(...records);
      this.lostAcks += records.length;
      return { ok: false, error: "reset", message: "connection reset after the server stored the data", bodySent: true };
    }
    return decision;
  }

  /** `GET /data`'s answer from what is stored. */
  query(path: string): StoredReading[] {
    return queryStored(this.stored, path);
  }

  /** How many stored readings repeat an earlier one (same variable, value, time and group). */
  duplicates(): number {
    const seen = new Set<string>();
    let n = 0;
    for (const r of this.stored) {
      const key = JSON.stringify([r.variable, r.value, r.time, r.group]);
      if (seen.has(key)) n++;
      seen.add(key);
    }
    return n;
  }
}

/** `GET /data`'s answer from `stored`, each record as TagoIO returns one (lowercased variable). */
export function queryStored(stored: readonly StoredReading[], path: string): StoredReading[] {
  const lists: Record<string, string[]> = { variable: [], group: [] };
  const one: Record<string, string> = {};
  for (const pair of path.slice(path.indexOf("?") + 1).split("&")) {
    const [key, value = ""] = pair.split("=").map(decodeURIComponent);
    const name = key.replace(/\[\d*\]$/, "").replace(/s$/, "");
    if (name in lists) lists[name].push(value);
    else one[key] = value;
  }
  const from = one.start_date === undefined ? -Infinity : Date.parse(one.start_date);
  const to = one.end_date === undefined ? Infinity : Date.parse(one.end_date);
  const picked = stored.filter((r) => {
    const time = Date.parse(r.time ?? "");
    return (
      (lists.variable.length === 0 || lists.variable.includes(r.variable.toLowerCase())) &&
      (lists.group.length === 0 || lists.group.includes(r.group ?? "")) &&
      !(time < from || time > to)
    );
  });
  if (one.ordination !== "ascending") picked.reverse();
  const skip = Number(one.skip ?? 0);
  return picked.slice(skip, skip + Number(one.qty ?? 15)).map((r) => ({ ...r, variable: r.variable.toLowerCase() }));
}
