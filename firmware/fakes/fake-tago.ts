// An in-memory stand-in for TagoIO's POST /data behind the scripted transport: it parses each
// body, and a per-test rule decides whether to store it and acknowledge, store it and lose the
// acknowledgement, or answer something else. What it stored is the ground truth tests compare.

import type { HttpRequest } from "../ports.js";
import { ACK, bodyText, ScriptedHttp, type Answer } from "./scripted-http.js";
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

  constructor(clock: VirtualClock) {
    this.http = new ScriptedHttp(clock, (request, index) => this.answer(request, index));
  }

  private answer(request: HttpRequest, index: number): Answer {
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
      return { ok: false, error: "reset", message: "connection reset after the server stored the data" };
    }
    return decision;
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
