// The campaign's ground truth: every reading the device's sensors gave, each with a value no other
// reading has, when (true time) and in which boot it was taken, whether the clock was trusted, and
// whether a power cut struck while it was being journaled. `assess` holds it against what the
// server stored and what the device sent: delivered, duplicated (and whether a lost
// acknowledgement explains it), lost, and every time sent checked against the truth.

import type { Sensor } from "../../firmware/ports.js";
import { EARLIEST_TRUSTED_MS } from "../../firmware/core/timebase.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import type { SentBatch } from "./faulty-http.js";

export interface LedgerEntry {
  key: string;
  variable: string;
  value: number | string;
  /** True wall time of the sample. */
  at: number;
  boot: number;
  /** Taken while the device's clock was not trusted (its time was uptime). */
  untrusted: boolean;
  /** Taken in the sample a power cut interrupted: it may or may not have been journaled. */
  atCut: boolean;
}

/** The variables of the campaign's device: the simulated board's three and a modem's state text. */
export const CAMPAIGN_VARIABLES = [...BOARD_VARIABLES, { name: "state", sensor: "modem", field: "state" }];

export function keyOf(variable: string, value: unknown): string {
  return `${variable}=${JSON.stringify(value)}`;
}

export interface SampleContext {
  at: number;
  boot: number;
  untrusted: boolean;
}

export class Ledger {
  readonly entries: LedgerEntry[] = [];
  readonly byKey = new Map<string, LedgerEntry>();
  /** Sensors off: they fail (no readings), so the device can drain to nothing buffered. */
  quiet = false;
  private samples = 0;

  /** The device's sensors; every value they give is new and written down. */
  sensors(context: () => SampleContext): Sensor[] {
    const take = <T extends number | string>(variable: string, value: T): T => {
      if (this.quiet) throw new Error("sensor switched off for the drain");
      const entry: LedgerEntry = { key: keyOf(variable, value), variable, value, ...context(), atCut: false };
      this.entries.push(entry);
      this.byKey.set(entry.key, entry);
      return value;
    };
    return [
      {
        name: "sht3x",
        sample: () => {
          const n = ++this.samples;
          return { thermometer: { temperature: take("temperature", 20 + n / 1000) }, hygrometer: { humidity: take("humidity", 40 + n / 1000) } };
        },
      },
      { name: "bmp280", sample: () => ({ barometer: { pressure: take("pressure", 100_000 + this.samples) } }) },
      { name: "modem", sample: () => ({ state: take("state", `ok-${this.samples.toString(36)}`) }) },
    ];
  }

  /** A power cut struck while the readings from entry `from` on were being journaled. */
  markCut(from: number): void {
    for (let i = from; i < this.entries.length; i++) this.entries[i].atCut = true;
  }

  /**
   * A power cut struck the agent's work at true time `at` in `boot`: the readings of the sample
   * taken at that instant (one sample per instant; the newest entries) were being journaled.
   */
  markSampleCut(at: number, boot: number): void {
    let from = this.entries.length;
    while (from > 0 && this.entries[from - 1].at === at && this.entries[from - 1].boot === boot) from--;
    this.markCut(from);
  }
}

export interface AssessInput {
  ledger: Ledger;
  stored: ReadonlyArray<{ variable: string; value: unknown; time: string }>;
  batches: ReadonlyArray<SentBatch>;
  /** Readings the device's counters say were dropped, over all its boots. */
  dropped: number;
  /** Readings full-journal drops were removing when a power cut stopped them (their count died with it). */
  droppingAtCuts: number;
  /** Per boot, how far the device's clock may have been off (the jumps it took). */
  clockError: ReadonlyMap<number, number>;
}

export interface Assessment {
  sampled: number;
  delivered: number;
  duplicated: number;
  /** Duplicates no lost acknowledgement explains. */
  unexplainedDuplicates: number;
  /** Stored or sent records that match no sampled reading: garbage. */
  unknown: number;
  /** Readings of samples a power cut interrupted that never arrived. */
  cutLost: number;
  /** Readings neither delivered, nor counted dropped, nor cut (the device has drained: nothing is buffered). */
  lost: number;
  /** Times sent that were wrong (beyond the clock's own error), pre-2024, or missing where one was known. */
  badTime: number;
  earliestStoredMs: number;
}

export function assess(input: AssessInput): Assessment {
  const { ledger } = input;
  const counts = new Map<string, number>();
  let unknown = 0;
  let earliestStoredMs = Infinity;
  for (const r of input.stored) {
    const key = keyOf(r.variable, r.value);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!ledger.byKey.has(key)) unknown++;
    earliestStoredMs = Math.min(earliestStoredMs, Date.parse(r.time));
  }

  const ackLost = new Map<string, number>();
  let badTime = 0;
  for (const batch of input.batches) {
    for (const record of batch.records) {
      if (batch.outcome === "ack-lost") ackLost.set(record.key, (ackLost.get(record.key) ?? 0) + 1);
      const entry = ledger.byKey.get(record.key);
      if (entry === undefined) {
        unknown++;
        continue;
      }
      if (record.time === undefined) {
        // Only a previous boot's uptime reading may go without a time.
        if (!(entry.untrusted && batch.boot > entry.boot)) badTime++;
        continue;
      }
      const t = Date.parse(record.time);
      if (!(t >= EARLIEST_TRUSTED_MS) || Math.abs(t - entry.at) > (input.clockError.get(entry.boot) ?? 0)) badTime++;
    }
  }

  let duplicated = 0;
  let unexplainedDuplicates = 0;
  for (const [key, n] of counts) {
    if (n < 2) continue;
    duplicated += n - 1;
    unexplainedDuplicates += Math.max(0, n - 1 - (ackLost.get(key) ?? 0));
  }

  let delivered = 0;
  let cutLost = 0;
  let unexplained = 0;
  for (const e of ledger.entries) {
    if (counts.has(e.key)) delivered++;
    else if (e.atCut) cutLost++;
    else unexplained++;
  }
  return {
    sampled: ledger.entries.length,
    delivered,
    duplicated,
    unexplainedDuplicates,
    unknown,
    cutLost,
    lost: Math.max(0, unexplained - input.dropped - input.droppingAtCuts),
    badTime,
    earliestStoredMs,
  };
}
