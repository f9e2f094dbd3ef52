// The fault campaign in short: a few seeded runs (half of them in sleep mode) against the local endpoint over TLS, with every
// requirement judged (nothing lost, nothing stored twice, every lost acknowledgement checked before
// its readings went again, no garbage, no wrong or pre-2024 time, no token in logs, heap bounded). And the judge itself: given a store that
// lost, duplicated, invented or mistimed a reading, it says so.

import { describe, expect, it } from "vitest";
import { runCampaign } from "../../host-sim/faults/campaign.js";
import type { SentBatch } from "../../host-sim/faults/faulty-http.js";
import { assess, keyOf, Ledger } from "../../host-sim/faults/ledger.js";
import { TRANSPORT_FAULTS } from "../../host-sim/faults/plan.js";

const T = Date.UTC(2026, 3, 1, 12, 0, 0);

describe("fault campaign", () => {
  it("holds every requirement over a few runs with every kind of fault", async () => {
    const r = await runCampaign({ runs: 4, seed: 11, hours: 2 });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    // Odd seeds run in sleep mode: a boot per wake, the radio up only to upload.
    expect(r.sleepRuns).toBe(2);
    expect(r).toMatchObject({ runs: 4, lost: 0, duplicated: 0, ackLostResent: 0, unknown: 0, badTime: 0, tokenLeaks: 0, bufferedAtEnd: 0 });
    expect(r.delivered).toBeGreaterThan(8_000);
    const undelivered = r.sampled - r.delivered;
    expect(undelivered).toBeLessThanOrEqual(Object.values(r.dropped).reduce((a, b) => a + b, 0));
    const kinds = TRANSPORT_FAULTS.filter((k) => (r.faults[k] ?? 0) > 0);
    expect(kinds.length).toBeGreaterThanOrEqual(9);
    expect(r.faults.powerCut).toBeGreaterThan(0);
    expect(r.faults.headerRot).toBeGreaterThan(0);
    expect(r.faults.bitRot).toBeGreaterThan(0);
    // Acknowledgements were lost, and landing checks (GETs, among the requests) found those batches.
    expect(r.ackLost).toBeGreaterThan(0);
    expect(r.landing.checks).toBeGreaterThan(0);
    expect(r.landing.found).toBeGreaterThan(0);
    expect(r.requests).toBeGreaterThan(r.landing.checks);
    expect(Date.parse(r.earliestStored as string)).toBeGreaterThanOrEqual(Date.UTC(2024, 0, 1));
  });
});

describe("assess", () => {
  function ledgerOf(samples: number, untrustedFrom = Infinity): Ledger {
    const ledger = new Ledger();
    let n = 0;
    const sensors = ledger.sensors(() => ({ at: T + n * 10_000, boot: n >= 3 ? 2 : 1, untrusted: n >= untrustedFrom }));
    for (; n < samples; n++) for (const s of sensors) s.sample();
    return ledger;
  }

  const stored = (ledger: Ledger, skip = 0) =>
    ledger.entries.slice(skip).map((e) => ({ variable: e.variable, value: e.value, time: new Date(e.at).toISOString() }));
  const batch = (ledger: Ledger, outcome: SentBatch["outcome"], boot = 1, shift = 0): SentBatch => ({
    boot,
    outcome,
    records: ledger.entries.map((e) => ({ key: e.key, time: new Date(e.at + shift).toISOString() })),
  });
  const base = { dropped: 0, droppingAtCuts: 0, clockError: new Map<number, number>() };

  it("passes a store that holds every reading once", () => {
    const ledger = ledgerOf(5);
    const a = assess({ ...base, ledger, stored: stored(ledger), batches: [batch(ledger, "acknowledged")] });
    expect(a).toMatchObject({ sampled: 20, delivered: 20, duplicated: 0, unexplainedDuplicates: 0, unknown: 0, lost: 0, badTime: 0 });
  });

  it("finds readings lost, unless counted dropped or cut", () => {
    const ledger = ledgerOf(5);
    expect(assess({ ...base, ledger, stored: stored(ledger, 3), batches: [] }).lost).toBe(3);
    expect(assess({ ...base, dropped: 2, ledger, stored: stored(ledger, 3), batches: [] }).lost).toBe(1);
    ledger.markCut(ledger.entries.length - 4);
    expect(assess({ ...base, ledger, stored: stored(ledger).slice(0, -4), batches: [] })).toMatchObject({ lost: 0, cutLost: 4 });
  });

  it("finds duplicates no lost acknowledgement explains, and garbage", () => {
    const ledger = ledgerOf(2);
    const twice = [...stored(ledger), ...stored(ledger)];
    expect(assess({ ...base, ledger, stored: twice, batches: [batch(ledger, "acknowledged")] }).unexplainedDuplicates).toBe(8);
    expect(assess({ ...base, ledger, stored: twice, batches: [batch(ledger, "ack-lost"), batch(ledger, "acknowledged")] }).unexplainedDuplicates).toBe(0);
    const invented = [...stored(ledger), { variable: "temperature", value: 99.5, time: new Date(T).toISOString() }];
    expect(assess({ ...base, ledger, stored: invented, batches: [] }).unknown).toBe(1);
    expect(keyOf("state", "ok-1")).toBe('state="ok-1"');
  });

  it("finds times that are wrong, pre-2024, or missing where the device knew them", () => {
    const ledger = ledgerOf(2);
    expect(assess({ ...base, ledger, stored: [], batches: [batch(ledger, "not-stored", 1, 1)] }).badTime).toBe(8);
    expect(assess({ ...base, clockError: new Map([[1, 5]]), ledger, stored: [], batches: [batch(ledger, "not-stored", 1, 5)] }).badTime).toBe(0);
    const old = { ...batch(ledger, "not-stored"), records: ledger.entries.map((e) => ({ key: e.key, time: "2001-01-01T00:00:00.000Z" })) };
    expect(assess({ ...base, clockError: new Map([[1, Infinity]]), ledger, stored: [], batches: [old] }).badTime).toBe(8);
    // Without a time: only a previous boot's readings taken before the clock was trusted.
    const untrusted = ledgerOf(5, 2);
    const untimed = (boot: number): SentBatch => ({ boot, outcome: "not-stored", records: untrusted.entries.map((e) => ({ key: e.key, time: undefined })) });
    expect(assess({ ...base, ledger: untrusted, stored: [], batches: [untimed(2)] }).badTime).toBe(8 + 8);
    expect(assess({ ...base, ledger: untrusted, stored: [], batches: [untimed(3)] }).badTime).toBe(8);
  });
});
