// The transport port with faults injected, around the real HTTPS client. Per request, by the
// weather of the moment (or a sporadic fault in good weather), the exchange reaches the local
// endpoint, or goes to a closed port (refused), to the hostile server (reset, timeout, 5xx, 429,
// 413 from a proxy with a small body limit, HTML, garbage, truncated, 10 MB), or reaches the
// endpoint and then loses its answer (the data is stored; the device is told "reset").
// It keeps every batch it carried: what was sent, for the time checks, and whether the server
// stored it with its acknowledgement delivered or lost, for the duplicate checks; and whether the
// device posted a lost acknowledgement's readings again without asking first (`GET /data`, its
// landing check).

import type { HttpClient, HttpExchange, HttpRequest, HttpResult } from "../../firmware/ports.js";
import type { SeededRandom } from "../../firmware/simulated/prng.js";
import type { HostileServer } from "./hostile-server.js";
import { keyOf } from "./ledger.js";
import { TRANSPORT_FAULTS, type TransportFault, type Weather } from "./plan.js";

export interface SentRecord {
  key: string;
  time: string | undefined;
}

/** "ack-lost": stored, but the device never learnt it (the answer or the power was lost). */
export type Outcome = "acknowledged" | "ack-lost" | "not-stored";

export interface SentBatch {
  boot: number;
  records: SentRecord[];
  outcome: Outcome;
}

/** A real client's wait for an answer that never comes, cut short so the campaign runs fast. */
const TIMEOUT_MS = 50;

function sentRecords(body: Uint8Array | undefined): SentRecord[] {
  const records = JSON.parse(body === undefined ? "[]" : new TextDecoder().decode(body)) as Array<{ variable: string; value: number | string | boolean; time?: string }>;
  return records.map((r) => ({ key: keyOf(r.variable, r.value), time: r.time }));
}

/** Whether the endpoint stored the batch: a 2xx with TagoIO's success envelope. */
function stored(result: HttpResult): boolean {
  if (!result.ok || result.response.status < 200 || result.response.status > 299) return false;
  try {
    return (JSON.parse(new TextDecoder().decode(result.response.body)) as { status?: unknown }).status === true;
  } catch {
    return false;
  }
}

export class FaultyHttp implements HttpClient {
  weather: Weather = "good";
  readonly injected: Partial<Record<TransportFault, number>> = {};
  readonly batches: SentBatch[] = [];
  /** Lost acknowledgements of stored batches, and how many of them the device posted again without a check first. */
  ackLost = 0;
  ackLostResent = 0;
  /** The readings of the last batch whose acknowledgement was lost, until the device asks or posts them. */
  private lostKeys: Set<string> | undefined;
  private readonly inner: HttpClient;
  private readonly hostile: HostileServer;
  private readonly refusedPort: number;
  private readonly random: SeededRandom;
  /** In good weather, the chance that a request meets a fault anyway. */
  sporadic: number;
  /** The proxy's body limit behind 413s. */
  private readonly bodyLimit: number;
  /** The boot sending, for the batches' record. */
  private readonly boot: () => number;

  constructor(inner: HttpClient, hostile: HostileServer, refusedPort: number, random: SeededRandom, sporadic: number, boot: () => number) {
    this.inner = inner;
    this.boot = boot;
    this.hostile = hostile;
    this.refusedPort = refusedPort;
    this.random = random;
    this.sporadic = sporadic;
    this.bodyLimit = 1000 + random.below(3000);
  }

  request(request: HttpRequest): HttpExchange {
    const batch: SentBatch = { boot: this.boot(), records: sentRecords(request.body), outcome: "not-stored" };
    if (this.lostKeys !== undefined) {
      if (request.method === "GET") this.lostKeys = undefined;
      else if (batch.records.some((r) => this.lostKeys?.has(r.key))) {
        this.ackLostResent++;
        this.lostKeys = undefined;
      }
    }
    this.batches.push(batch);
    const fault = this.faultFor(request);
    if (fault !== undefined) this.injected[fault] = (this.injected[fault] ?? 0) + 1;
    switch (fault) {
      case undefined:
        return this.toEndpoint(request, batch, false);
      case "ack-lost":
        return this.toEndpoint(request, batch, true);
      case "refused":
        return this.inner.request({ ...request, port: this.refusedPort });
      case "timeout":
        this.hostile.expect("hang");
        return this.inner.request({ ...request, port: this.hostile.port, timeoutMs: TIMEOUT_MS });
      default:
        this.hostile.expect(fault);
        return this.inner.request({ ...request, port: this.hostile.port });
    }
  }

  private faultFor(request: HttpRequest): TransportFault | undefined {
    const w = this.weather;
    let fault: TransportFault | undefined;
    if (w === "good" || w === "deactivated" || w === "offline") {
      if (this.random.next() < this.sporadic) fault = TRANSPORT_FAULTS[this.random.below(TRANSPORT_FAULTS.length)];
    } else {
      fault = w;
    }
    return fault === "413" && (request.body?.length ?? 0) <= this.bodyLimit ? undefined : fault;
  }

  /** The device never learnt that `batch` (stored) was acknowledged: its answer or the power was lost. */
  lostAck(batch: SentBatch): void {
    if (batch.outcome !== "acknowledged") return;
    batch.outcome = "ack-lost";
    // A landing check's own lost answer loses no readings.
    if (batch.records.length === 0) return;
    this.ackLost++;
    this.lostKeys = new Set(batch.records.map((r) => r.key));
  }

  private toEndpoint(request: HttpRequest, batch: SentBatch, loseAnswer: boolean): HttpExchange {
    const exchange = this.inner.request(request);
    const result = exchange.result.then((r): HttpResult => {
      if (!stored(r)) return r;
      batch.outcome = "acknowledged";
      if (loseAnswer) this.lostAck(batch);
      return loseAnswer ? { ok: false, error: "reset", message: "connection reset after the server stored the data (injected)", bodySent: true } : r;
    });
    return { result, cancel: exchange.cancel };
  }
}
