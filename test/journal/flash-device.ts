// A device with a flash journal for agent scenarios: the real agent on a virtual clock against the
// in-memory TagoIO, on a NOR-flash emulator that outlives reboots. Each boot gets a fresh clock
// (uptime from 0) and agent; "world" time runs on across boots and power-off periods. Its sensors
// give every reading a value of its own, and a ledger keeps them, so what the server stored can be
// checked reading by reading. A power cut (armed on the flash) ends the boot wherever it strikes.

import { Agent, type Snapshot } from "../../firmware/core/agent.js";
import type { Sensor } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { NorFlash, PowerCut } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { FakeTago, type Decision, type Exchange, type StoredReading } from "../../firmware/fakes/fake-tago.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { BOARD_VARIABLES, TOKEN } from "../support/fixtures.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";

export const WORLD_START = Date.UTC(2026, 10, 26, 0, 0, 0);

export interface LedgerEntry {
  variable: string;
  value: number;
  /** World time of the sample. */
  at: number;
  boot: number;
  /** Taken while the device's clock was not trusted. */
  untrusted: boolean;
  /** Taken in the sample a power cut interrupted: it may or may not have been journaled. */
  atCut: boolean;
}

export interface FlashDeviceOptions {
  sectors: number;
  sectorSize?: number;
  config?: Record<string, unknown>;
  seed?: number;
}

export class FlashDevice {
  readonly flash: NorFlash;
  readonly ledger: LedgerEntry[] = [];
  readonly logger = new MemoryLogger();
  /** Every boot's in-memory TagoIO, in order. */
  readonly tagos: FakeTago[] = [];
  /** The last snapshot of every boot that ended, and why it ended. */
  readonly ended: Array<{ snapshot: Snapshot; cut: boolean }> = [];
  /** Readings of batches the server stored while a power cut struck the device handling the answer. */
  readonly ackLostToCut = new Set<string>();
  /** Snapshots that broke sampled = delivered + dropped + buffered. */
  readonly unbalanced: Snapshot[] = [];
  online = true;
  rule: (exchange: Exchange) => Decision = () => "store";
  clock!: VirtualClock;
  agent!: Agent;
  boots = 0;
  private readonly options: FlashDeviceOptions;
  private readonly random: SeededRandom;
  private bootWall = WORLD_START;
  private counter = 0;

  constructor(options: FlashDeviceOptions) {
    this.options = options;
    this.flash = new NorFlash({ sectorCount: options.sectors, sectorSize: options.sectorSize ?? 4096, seed: options.seed });
    this.random = new SeededRandom((options.seed ?? 1) + 100);
  }

  /** World time now. */
  world(): number {
    return this.bootWall + this.clock.monotonicMs();
  }

  /** Powers on: a new clock, a new agent on the same flash. `trusted` false plays a clock before SNTP. */
  boot(trusted = true): void {
    this.boots++;
    this.flash.powerOn();
    const clock = new VirtualClock({ wallStartMs: trusted ? this.bootWall : 0, trusted });
    const tago = new FakeTago(clock);
    tago.rule = (e) => this.rule(e);
    this.clock = clock;
    this.tagos.push(tago);
    this.agent = Agent.create(
      { token: TOKEN, variables: BOARD_VARIABLES, sampleIntervalMs: 10_000, telemetryIntervalMs: 0, ...this.options.config },
      {
        clock,
        timers: clock,
        http: tago.http,
        sensors: this.sensors(clock),
        network: { online: () => this.online },
        logger: this.logger,
        random: this.random,
        flash: this.flash,
      },
    );
    this.agent.start();
  }

  /** The power goes (nothing more runs) and comes back `offMs` later. */
  powerCycle(offMs: number, trusted = true): void {
    this.end(false);
    this.bootWall = this.world() + offMs;
    this.boot(trusted);
  }

  /** Runs `ms` of world time; a power cut reboots the device after `offMs` and carries on. */
  async run(ms: number, offMs = 30_000): Promise<Snapshot> {
    const end = this.world() + ms;
    for (;;) {
      const before = this.ledger.length;
      try {
        if (!this.clock.runNext(end - this.bootWall)) break;
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
        for (const entry of this.ledger.slice(before)) entry.atCut = true;
        this.cut(offMs);
        continue;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.flash.poweredOff) {
        // The cut struck while an answer was handled (one request at a time: the last one): the
        // batch it acknowledged may come back.
        const exchanges = this.tagos[this.tagos.length - 1].exchanges;
        for (const r of exchanges[exchanges.length - 1]?.records ?? []) this.ackLostToCut.add(keyOf(r));
        this.cut(offMs);
        continue;
      }
      const s = this.agent.snapshot();
      if (!invariantHolds(s)) this.unbalanced.push(s);
    }
    this.clock.advanceTo(end - this.bootWall);
    return this.agent.snapshot();
  }

  /** Everything the server stored, across boots. */
  stored(): StoredReading[] {
    return this.tagos.flatMap((t) => t.stored);
  }

  private cut(offMs: number): void {
    this.end(true);
    this.bootWall = this.world() + offMs;
    for (;;) {
      try {
        this.boot();
        return;
      } catch (e) {
        // Cut again while recovering: power comes back once more.
        if (!(e instanceof PowerCut)) throw e;
      }
    }
  }

  private end(cut: boolean): void {
    this.ended.push({ snapshot: this.agent.snapshot(), cut });
    this.agent.stop();
  }

  /** The simulated board's three variables, each reading a value no other reading has. */
  private sensors(clock: VirtualClock): Sensor[] {
    const take = (variable: string, value: number): number => {
      this.ledger.push({ variable, value, at: this.world(), boot: this.boots, untrusted: !clock.wallTrusted(), atCut: false });
      return value;
    };
    return [
      {
        name: "sht3x",
        sample: () => {
          const n = ++this.counter;
          return { thermometer: { temperature: take("temperature", 20 + n / 1000) }, hygrometer: { humidity: take("humidity", 30 + n / 1000) } };
        },
      },
      { name: "bmp280", sample: () => ({ barometer: { pressure: take("pressure", 100_000 + this.counter) } }) },
    ];
  }
}

export function keyOf(r: { variable: string; value: unknown }): string {
  return `${r.variable}=${String(r.value)}`;
}
