// Exactly-once delivery end to end: the real local endpoint over real TLS stores batches whose
// acknowledgements never reach the device (the connection is reset after the server answered);
// the device asks with `GET /data` before it sends anything again, and the store ends holding
// every reading sampled exactly once, in order, with nothing lost.

import { afterEach, describe, expect, it } from "vitest";
import type { HttpClient, HttpExchange, HttpRequest, HttpResult } from "../../firmware/ports.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";
import { comparable, HOUR, startRig, type Rig } from "./harness.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Lets every request reach the server, then loses the answer of every third POST and of the first GET. */
class LosingAnswers implements HttpClient {
  posts = 0;
  gets = 0;
  lost = 0;
  private readonly inner: HttpClient;

  constructor(inner: HttpClient) {
    this.inner = inner;
  }

  request(request: HttpRequest): HttpExchange {
    const exchange = this.inner.request(request);
    const lose = request.method === "POST" ? ++this.posts % 3 === 0 : ++this.gets === 1;
    if (!lose) return exchange;
    const result = exchange.result.then((r): HttpResult => {
      if (!r.ok || r.response.status !== 200) return r;
      if (request.method === "POST") this.lost++;
      return { ok: false, error: "reset", message: "connection reset after the server answered (test)", bodySent: true };
    });
    return { result, cancel: exchange.cancel };
  }
}

describe("exactly-once delivery against the local endpoint", () => {
  it("stores every reading once although a third of the acknowledgements are lost", async () => {
    let losing!: LosingAnswers;
    rig = await startRig({ config: { uploadIntervalMs: 30_000, maxBatchRecords: 60 }, http: (client) => (losing = new LosingAnswers(client)) });
    rig.device.start();
    await rig.device.runFor(HOUR);
    rig.device.stop();
    const s = rig.device.agent.snapshot();
    expect(invariantHolds(s)).toBe(true);
    expect(s.droppedTotal).toBe(0);
    expect(losing.lost).toBeGreaterThan(20);

    const stored = rig.stored();
    // Nothing twice, nothing missing, in sampling order.
    expect(stored.length).toBe(s.delivered);
    expect(stored.map(comparable)).toEqual(rig.expected().slice(0, s.delivered));
    expect(s.buffered).toBeLessThan(3 * 60);
    // One GET per lost acknowledgement, and one more for the check whose own answer was lost.
    expect(s.landing).toMatchObject({ checks: losing.lost + 1, checkFailures: 1, found: losing.lost, missing: 0, partial: 0, resentAnyway: 0 });
    expect(s.requests).toBe(losing.posts + losing.gets);
    expect(rig.endpoint.counts().byStatus).toEqual({ "200": s.requests });
  });
});
