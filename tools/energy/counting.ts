// Counting what a run does at its ports, the same way for every device pattern: requests, TLS
// handshakes and bytes at the HTTP port, samples at the sensors. The radio's joins, the boots and
// the time asleep or idle are the run's own to count (tools/energy/runs.ts).

import { wireBytes } from "../../bench/wire.js";
import type { HttpClient, HttpExchange, HttpRequest, HttpResponse, Sensor } from "../../firmware/ports.js";

/** The bytes of an answer's head as a server writes it: status line, headers, blank line. */
function headBytes(response: HttpResponse): number {
  let head = `HTTP/1.1 ${response.status} \r\n`;
  for (const [name, value] of Object.entries(response.headers)) head += `${name}: ${value}\r\n`;
  return head.length + 2;
}

export class CountingHttp implements HttpClient {
  requests = 0;
  /** The Moddable SDK's Request opens a connection per request: each HTTPS request is a handshake. */
  tlsHandshakes = 0;
  bytesSent = 0;
  bytesReceived = 0;
  private readonly inner: HttpClient;

  constructor(inner: HttpClient) {
    this.inner = inner;
  }

  request(request: HttpRequest): HttpExchange {
    this.requests++;
    if (request.tls) this.tlsHandshakes++;
    this.bytesSent += wireBytes(request);
    const exchange = this.inner.request(request);
    void exchange.result.then((result) => {
      if (result.ok) this.bytesReceived += headBytes(result.response) + result.response.body.byteLength;
    });
    return exchange;
  }
}

/**
 * The board's sensors with the samples counted: the sampler reads every sensor once a sample, so
 * the first sensor's reads are the samples.
 */
export function countingSensors(sensors: readonly Sensor[], onSample: () => void): Sensor[] {
  return sensors.map((sensor, i) =>
    i === 0
      ? {
          name: sensor.name,
          sample: () => {
            onSample();
            return sensor.sample();
          },
        }
      : sensor,
  );
}
