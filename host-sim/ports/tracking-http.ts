// An HttpClient wrapper that knows which exchanges are on the wire, so the virtual-time driver can
// hold device time still until every answer has been handled.

import type { HttpClient, HttpExchange, HttpRequest } from "../../firmware/ports.js";

export class TrackingHttp implements HttpClient {
  private readonly inner: HttpClient;
  private readonly pending = new Set<Promise<void>>();

  constructor(inner: HttpClient) {
    this.inner = inner;
  }

  request(request: HttpRequest): HttpExchange {
    const exchange = this.inner.request(request);
    const settled: Promise<void> = exchange.result.then(() => {
      this.pending.delete(settled);
    });
    this.pending.add(settled);
    return exchange;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once every exchange now on the wire has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }
}
