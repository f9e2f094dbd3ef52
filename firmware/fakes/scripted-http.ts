// A transport port for tests: every request is recorded and answered by a script function, after
// a virtual delay. It honours the port contract (resolves once, never rejects, cancel ends it).

import type { HttpClient, HttpExchange, HttpRequest, HttpResult, Timers } from "../ports.js";

export type Answer = HttpResult | { delayMs: number; result: HttpResult };

export interface RecordedRequest {
  request: HttpRequest;
  result?: HttpResult;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A request's body as text ("" when it has none), read when the request is made. */
export function bodyText(request: HttpRequest): string {
  return request.body === undefined ? "" : decoder.decode(request.body);
}

export function reply(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return { ok: true, response: { status, headers, body: encoder.encode(text), truncated: false } };
}

export const ACK = (n = 1): HttpResult => reply(200, { status: true, result: `${n} Data Added` });

export class ScriptedHttp implements HttpClient {
  readonly log: RecordedRequest[] = [];
  private readonly timers: Timers;
  script: (request: HttpRequest, index: number) => Answer;

  constructor(timers: Timers, script: (request: HttpRequest, index: number) => Answer) {
    this.timers = timers;
    this.script = script;
  }

  request(request: HttpRequest): HttpExchange {
    const entry: RecordedRequest = { request };
    this.log.push(entry);
    const answer = this.script(request, this.log.length - 1);
    const { delayMs, result } = "delayMs" in answer ? answer : { delayMs: 50, result: answer };
    let resolve!: (r: HttpResult) => void;
    const promise = new Promise<HttpResult>((r) => (resolve = r));
    let done = false;
    const finish = (r: HttpResult) => {
      if (done) return;
      done = true;
      entry.result = r;
      resolve(r);
    };
    const handle = this.timers.set(() => finish(result), delayMs);
    return {
      result: promise,
      cancel: () => {
        this.timers.clear(handle);
        // Cancelled before the scripted answer: as far as the script goes, the request went whole.
        finish({ ok: false, error: "cancelled", message: "cancelled", bodySent: true });
      },
    };
  }
}
