// An HttpClient wrapper that knows which exchanges are on the wire, so the virtual-time driver can
// hold device time still until every answer has been handled. It also counts the requests and
// their HTTP bytes each way (request line, headers and body as HTTP/1.1 puts them on the wire,
// before TLS), for the energy model.

import type { HttpClient, HttpExchange, HttpRequest } from "../../firmware/ports.js";

/** Bytes of a header line: `Name: value\r\n`. */
function headerBytes(name: string, value: string): number {
  return Buffer.byteLength(`${name}: ${value}\r\n`);
}

export class TrackingHttp implements HttpClient {
  requests = 0;
  bytesSent = 0;
  bytesReceived = 0;
  private readonly inner: HttpClient;
  private readonly pending = new Set<Promise<void>>();

  constructor(inner: HttpClient) {
    this.inner = inner;
  }

  request(request: HttpRequest): HttpExchange {
    this.requests++;
    // The port adds Host, Content-Length and Connection itself.
    let sent = Buffer.byteLength(`${request.method} ${request.path} HTTP/1.1\r\n\r\n`) + headerBytes("Host", `${request.host}:${request.port}`) + headerBytes("Connection", "keep-alive");
    for (const [name, value] of request.headers) sent += headerBytes(name, value);
    if (request.body !== undefined) sent += headerBytes("Content-Length", String(request.body.length)) + request.body.length;
    this.bytesSent += sent;
    const exchange = this.inner.request(request);
    const settled: Promise<void> = exchange.result.then((result) => {
      this.pending.delete(settled);
      if (!result.ok) return;
      const { status, headers, body } = result.response;
      let received = Buffer.byteLength(`HTTP/1.1 ${status} \r\n\r\n`) + body.length;
      for (const name of Object.keys(headers)) received += headerBytes(name, headers[name]);
      this.bytesReceived += received;
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
