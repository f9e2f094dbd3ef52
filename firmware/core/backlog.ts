// Every reading from its sample until it is settled, and the accounting that proves it: the RAM
// ring, the flash journal behind it when there is one, the variables readings index, and the
// counts of sampled, delivered and dropped (by reason) readings.
// With a journal, every sample is journaled first and the ring is a window on the journal's
// oldest unreleased readings, refilled from flash as batches are settled; readings the journal
// recovers at boot count as sampled and wait like any other. When full, `whenFull` applies to the
// journal (or, without one, to the ring); a reading dropped anywhere is counted under its reason.
// Invariant, at every step: sampled = delivered + dropped (all reasons) + buffered + filtered.

import type { Flash, Logger } from "../ports.js";
import type { AgentConfig } from "./config.js";
import { Encoder, type Batch } from "./encoder.js";
import { Journal, type JournalStats } from "./journal.js";
import { fillFromJournal } from "./journal-window.js";
import type { JournalSnapshot } from "./journal-resume.js";
import type { Landing } from "./landing-check.js";
import type { WindowEntries } from "./reading-frame.js";
import { FLAG_STORED, PUSH_DROPPED_ONE, PUSH_REFUSED_STRING, Ring, type ReadingValue, type RingProducer } from "./ring.js";
import { codePointLength } from "./text.js";
import type { TimeBase } from "./timebase.js";
import { VariableTable, type Variable } from "./variables.js";

/**
 * bufferFull: the buffer was full: the RAM ring, or the flash journal when there is one.
 * corrupt: journaled readings that rotted on flash (found missing or unreadable).
 * outsideRetention: dated outside the retention window the server named, so never storable.
 */
export type DropReason =
  | "bufferFull"
  | "corrupt"
  | "nonFinite"
  | "stringTooLong"
  | "stringBudget"
  | "invalid"
  | "tooLarge"
  | "outsideRetention";

export const DROP_REASONS: readonly DropReason[] = Object.freeze([
  "bufferFull",
  "corrupt",
  "nonFinite",
  "stringTooLong",
  "stringBudget",
  "invalid",
  "tooLarge",
  "outsideRetention",
]);

/** A record of zeroes, one for each key. */
export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

export class Backlog {
  /** Readings taken from sensors (including those dropped at once), plus those the journal recovered at boot. */
  get sampled(): number {
    return this.counted + this.ring.committed;
  }

  /** Readings sampled other than those committed through the producer. */
  private counted = 0;
  /** Readings covered by an acknowledged 2xx. */
  delivered = 0;
  readonly dropped = zeroCounts(DROP_REASONS);
  /** Readings the reporting filters held back (counted in `sampled` too). */
  filtered = 0;
  private readonly config: AgentConfig;
  private readonly ring: Ring;
  private readonly journal: Journal | undefined;
  private readonly timebase: TimeBase;
  /** The variables the ring's readings index: the configuration's, then earlier lists' from the journal. */
  private readonly variables: VariableTable;
  private readonly encoder: Encoder;
  /** The readings of a sample the journal takes as one frame. */
  private readonly sampleVariables: number[] = [];
  private readonly sampleValues: ReadingValue[] = [];
  /** Sleep mode: journaled readings stay on flash until an upload `load`s them. */
  private holding: boolean;

  /**
   * Recovers what a journal on `flash` holds (see `journalProblems` for what the flash must offer).
   * `variables`: what this boot's readings index (the configured ones, then telemetry's).
   */
  constructor(config: AgentConfig, variables: readonly Variable[], timebase: TimeBase, flash: Flash | undefined, logger: Logger, resume?: JournalSnapshot) {
    this.config = config;
    this.holding = config.mode === "sleep";
    this.timebase = timebase;
    this.ring = new Ring(config.bufferCapacity, config.whenFull, config.stringBudget);
    this.variables = new VariableTable(variables);
    this.encoder = new Encoder(this.variables);
    if (flash === undefined) return;
    const journal = new Journal(flash, {
      resume,
      whenFull: config.whenFull,
      variables,
      onDrop: (loaded, unloaded, corrupt) => {
        // The oldest `loaded` in the ring go too.
        this.dropped[corrupt ? "corrupt" : "bufferFull"] += unloaded + this.ring.dropOldest(loaded);
      },
    });
    this.journal = journal;
    const { recovered, corruptSkipped, corruptLost, damagedHeaders, foreign, resumed } = journal.stats();
    this.counted = recovered;
    if (recovered + corruptSkipped + damagedHeaders > 0) {
      logger.log(
        // Resumed at a sleep-mode wake: what the last sleep left, nothing to tell.
        corruptLost + damagedHeaders > 0 ? "warn" : resumed ? "debug" : "info",
        `journal: ${recovered} readings recovered from flash` +
          (foreign > 0 ? ` (${foreign} taken under another variable list, sent under their own names)` : "") +
          `, ${corruptSkipped} torn or corrupt frames skipped` +
          (corruptLost > 0 ? `, ${corruptLost} readings lost to corruption` : "") +
          (damagedHeaders > 0 ? `, ${damagedHeaders} damaged sector headers` : ""),
      );
    }
    this.fill();
  }

  /** Readings waiting for a batch in the ring. */
  get pending(): number {
    return this.ring.pending;
  }

  /** Readings not yet delivered or dropped: in the ring, on the wire, or waiting in the journal. */
  get buffered(): number {
    return this.ring.unsettled + this.bufferedInFlash;
  }

  /** Readings held that a landing check found stored: only this boot's RAM knows not to send them. */
  get foundStored(): number {
    return this.ring.storedHeld;
  }

  /** Readings waiting in the journal beyond the ring (0 without one). */
  get bufferedInFlash(): number {
    return this.journal?.waiting ?? 0;
  }

  /** The journal's fill and wear, in percent and erases (0 without one): see Journal. */
  journalFill(): number {
    return this.journal?.fill() ?? 0;
  }

  journalWear(): number {
    return this.journal?.wear() ?? 0;
  }

  /** Readings in the batch on the wire, evicted ones included. */
  get inFlight(): number {
    return this.ring.flightSize;
  }

  journalStats(): JournalStats | undefined {
    return this.journal?.stats();
  }

  /** Sleep mode: what the next wake resumes the journal from (journal-resume.ts). */
  journalSnapshot(newest: ReadonlyArray<ReadingValue | undefined>): JournalSnapshot | undefined {
    return this.journal?.snapshot(newest);
  }

  /** With a journal, what it found at boot for the reporting filters: each variable's newest value and open window. */
  get journaledAtBoot(): Pick<Journal, "newestAtBoot" | "windowsAtBoot"> | undefined {
    return this.journal;
  }

  /** `n` readings of a sample were held back by the reporting filters: sampled, and settled at once. */
  filter(n: number): void {
    this.counted += n;
    this.filtered += n;
  }

  /**
   * The ring's producer side, which takes a sample of finite numbers in place (Ring.claim); none
   * with a journal, which takes every sample first.
   */
  get producer(): RingProducer | undefined {
    return this.journal === undefined ? this.ring : undefined;
  }

  /**
   * Takes one sample of any readings: `values[i]` of variable `variables[i]`, `count` of them,
   * stamped `time` with `flags`; with a journal they are journaled as one frame, with the sample's
   * `window` entries. A reading that may not be kept is counted dropped under its reason. Returns
   * the readings now waiting for a batch.
   */
  addSample(variables: readonly number[], values: readonly ReadingValue[], count: number, time: number, flags: number, window?: WindowEntries): number {
    this.counted += count;
    const journal = this.journal;
    if (journal === undefined) {
      for (let i = 0; i < count; i++) if (this.admits(values[i])) this.pushOne(variables[i], values[i], time, flags);
      return this.ring.pending;
    }
    let kept = 0;
    for (let i = 0; i < count; i++) {
      if (!this.admits(values[i])) continue;
      this.sampleVariables[kept] = variables[i];
      this.sampleValues[kept++] = values[i];
    }
    if (kept > 0 || window !== undefined) {
      this.sampleVariables.length = kept;
      this.sampleValues.length = kept;
      // Appended first: a full journal's drops are counted while it appends.
      const stored = journal.append(this.sampleVariables, this.sampleValues, time, flags, window);
      this.dropped.bufferFull += kept - stored;
      this.fill();
    }
    return this.ring.pending;
  }

  private pushOne(variable: number, value: ReadingValue, time: number, flags: number): void {
    const result = this.ring.push(variable, value, time, flags);
    if (result === PUSH_DROPPED_ONE) this.dropped.bufferFull++;
    else if (result === PUSH_REFUSED_STRING) this.dropped.stringBudget++;
  }

  /** Whether a reading may be kept at all; one that may not is counted dropped under its reason. */
  private admits(value: ReadingValue): boolean {
    if (typeof value === "number") {
      if (value - value === 0) return true;
      this.dropped.nonFinite++;
      return false;
    }
    const chars = typeof value === "string" ? codePointLength(value) : 0;
    if (chars > this.config.maxStringLength) {
      this.dropped.stringTooLong++;
      return false;
    }
    // With a journal, a string longer than the whole budget could never enter the ring window.
    if (this.journal !== undefined && chars > this.config.stringBudget) {
      this.dropped.stringBudget++;
      return false;
    }
    return true;
  }

  /** Puts the oldest waiting readings, within the bounds, on the wire as one batch. */
  beginBatch(maxBytes: number, maxRecords: number): Batch {
    const batch = this.encoder.encode(this.ring, this.timebase, maxBytes, maxRecords);
    this.ring.beginBatch(batch.count);
    return batch;
  }

  /** The batch on the wire was acknowledged: it is delivered. */
  acknowledge(): void {
    this.delivered += this.finish(false);
  }

  /** The server refused the batch on the wire for good: its readings are dropped under `reason`. */
  refuse(reason: DropReason): number {
    const dropped = this.finish(true);
    this.dropped[reason] += dropped;
    return dropped;
  }

  /** The batch on the wire stays; readings evicted from it meanwhile (buffer full) are dropped now. */
  keepBatch(): void {
    this.dropped.bufferFull += this.ring.keepBatch();
  }

  /**
   * The readings of the batch on the wire still held, as they were sent (`times`: the rebasing
   * they were sent with), for a landing check; those found stored before are left out. `end`: the
   * position one past the batch's last reading.
   */
  landings(times: Pick<TimeBase, "wallOf">): { landings: Landing[]; end: number } {
    const ring = this.ring;
    const landings: Landing[] = [];
    for (let i = 0; i < ring.inFlight; i++) {
      if (ring.flagsAt(i) & FLAG_STORED) continue;
      const sent = this.encoder.sentRecord(ring, ring.slotOf(i), times);
      const wall = sent.time === undefined ? -1 : Date.parse(sent.time);
      landings.push({ at: ring.released + i, variable: sent.variable, group: sent.group, wall, value: sent.value });
    }
    return { landings, end: ring.released + ring.inFlight };
  }

  /**
   * A landing check found the `found` landings stored: they are marked, never to be sent again.
   * When it found all, what is still held of their batch (up to position `end`) is delivered and
   * released; returns how many. Readings evicted meanwhile (buffer full) were counted dropped then.
   */
  settleLanded(landings: readonly Landing[], found: readonly boolean[], end: number): number {
    const ring = this.ring;
    const oldest = ring.released;
    let all = true;
    for (let i = 0; i < landings.length; i++) {
      if (!found[i]) all = false;
      else if (landings[i].at >= oldest) ring.markStored(landings[i].at - oldest);
    }
    if (!all || end <= oldest) return 0;
    ring.beginBatch(end - oldest);
    const delivered = this.finish(false);
    this.delivered += delivered;
    return delivered;
  }

  /**
   * The first of the oldest `n` waiting readings dated outside [fromMs, toMs), or -1. Readings
   * without a time are stamped by the server on arrival, so inside.
   */
  firstOutside(fromMs: number, toMs: number, n: number): number {
    for (let i = 0; i < n && i < this.ring.pending; i++) if (this.outside(i, fromMs, toMs)) return i;
    return -1;
  }

  /** How many of the oldest `n` waiting readings, from the oldest on, are dated outside [fromMs, toMs). */
  leadingOutside(fromMs: number, toMs: number, n: number): number {
    let lead = 0;
    while (lead < n && lead < this.ring.pending && this.outside(lead, fromMs, toMs)) lead++;
    return lead;
  }

  /** Drops the oldest `n` waiting readings under `reason`, as a batch the server refused. */
  dropOldest(n: number, reason: DropReason): number {
    this.ring.beginBatch(n);
    return this.refuse(reason);
  }

  private outside(index: number, fromMs: number, toMs: number): boolean {
    const wall = this.timebase.wallOf(this.ring.timeAt(index), this.ring.flagsAt(index));
    return wall >= 0 && (wall < fromMs || wall >= toMs);
  }

  /** Settles the batch on the wire: it leaves the ring and the journal. Returns how many records it covered. */
  private finish(refused: boolean): number {
    const held = this.ring.inFlight;
    const covered = refused ? this.ring.discardBatch() : this.ring.acknowledge();
    if (this.journal !== undefined) {
      this.journal.release(held);
      this.fill();
    }
    return covered;
  }

  /** Moves journaled readings into the ring while it has room (journal-window.ts), unless sleep mode holds them. */
  private fill(): void {
    if (this.journal !== undefined && !this.holding) fillFromJournal(this.journal, this.ring, this.variables);
  }

  /** Sleep mode, before an upload: the ring takes the journaled readings from now on. */
  load(): void {
    this.holding = false;
    this.fill();
  }
}
