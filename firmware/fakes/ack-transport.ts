// A transport that acknowledges every request at once with TagoIO's success envelope, built once:
// the healthy link at the lowest cost, so metering charges the device's code, not the fake.
// An optional observer sees each request (to count wire bytes); the timed runs pass none.

import type { HttpClient, HttpExchange, HttpRequest, HttpResult } from "../ports.js";

export class AckTransport implements HttpClient {
  requests = 0;
  private readonly exchange: HttpExchange;
  private readonly observe: ((request: HttpRequest) => void) | undefined;

  constructor(observe?: (request: HttpRequest) => void) {
    this.observe = observe;
    const body = new TextEncoder().encode('{"status":true,"result":"Data Added"}');
    const result: HttpResult = { ok: true, response: { status: 200, headers: {}, body, truncated: false } };
    this.exchange = { result: Promise.resolve(result), cancel: () => {} };
  }

  request(request: HttpRequest): HttpExchange {
    this.requests++;
    if (this.observe !== undefined) this.observe(request);
    return this.exchange;
  }
}
