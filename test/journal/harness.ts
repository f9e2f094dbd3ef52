// A journal on the NOR-flash emulator for tests: samples with values that name them (so any
// reading can be traced to the sample it came from), reboots on the same flash, and a drain that
// takes every reading the journal hands out.

import type { WhenFull } from "../../firmware/core/config.js";
import type { Flash } from "../../firmware/ports.js";
import { HEADER_BYTES } from "../../firmware/core/frame.js";
import { encodeList } from "../../firmware/core/reading-frame.js";
import { Journal, type JournalReading } from "../../firmware/core/journal.js";
import { FLAG_GROUPED, type ReadingValue } from "../../firmware/core/ring.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import type { Variable } from "../../firmware/core/variables.js";

/** The variables samples index by default. */
export const ABC: Variable[] = [{ name: "a" }, { name: "b" }, { name: "c" }];

/** Where a sector's first data frame starts under ABC: after the header and the list frame. */
export const FIRST_FRAME = HEADER_BYTES + encodeList(ABC).length;

export const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);

export interface Sample {
  id: number;
  variables: number[];
  values: ReadingValue[];
  time: number;
  flags: number;
}

/** Sample `id`: a decimal, a boolean and a string, all derived from the id. */
export function sample(id: number, flags = FLAG_GROUPED, time = T0 + id * 1000): Sample {
  return { id, variables: [0, 1, 2], values: [20 + id / 100, id % 2 === 0, `s${id}`], time, flags };
}

export function readingsOf(s: Sample): JournalReading[] {
  return s.values.map((value, i) => ({ list: 0, variable: s.variables[i], value, time: s.time, flags: s.flags }));
}

export interface HarnessOptions {
  sectors: number;
  sectorSize?: number;
  whenFull?: WhenFull;
  /** The variables the journal is told (ABC when not given). */
  variables?: Variable[];
  seed?: number;
  /** Set false to arm a power cut before the first boot. */
  boot?: boolean;
  /** What the journal sees of the flash, e.g. a spy around it. */
  port?: (flash: NorFlash) => Flash;
}

export class Harness {
  readonly flash: NorFlash;
  private readonly port: Flash;
  journal!: Journal;
  whenFull: WhenFull;
  variables: Variable[];
  /** Everything onDrop reported since the last reboot. */
  droppedLoaded = 0;
  droppedUnloaded = 0;

  constructor(options: HarnessOptions) {
    this.flash = new NorFlash({ sectorCount: options.sectors, sectorSize: options.sectorSize ?? 512, seed: options.seed });
    this.whenFull = options.whenFull ?? "drop-oldest";
    this.variables = options.variables ?? ABC;
    this.port = options.port === undefined ? this.flash : options.port(this.flash);
    if (options.boot !== false) this.reboot();
  }

  /** A new journal on the same flash (power is back if it was cut). */
  reboot(): Journal {
    this.flash.powerOn();
    this.droppedLoaded = 0;
    this.droppedUnloaded = 0;
    this.journal = new Journal(this.port, {
      whenFull: this.whenFull,
      variables: this.variables,
      onDrop: (loaded, unloaded) => {
        this.droppedLoaded += loaded;
        this.droppedUnloaded += unloaded;
      },
    });
    return this.journal;
  }

  append(s: Sample): number {
    return this.journal.append(s.variables, s.values, s.time, s.flags);
  }

  /** Takes up to `max` readings the journal hands out. */
  take(max = Infinity): JournalReading[] {
    const out: JournalReading[] = [];
    for (let r = this.journal.peek(); r !== undefined && out.length < max; r = this.journal.peek()) {
      out.push(r);
      this.journal.take();
    }
    return out;
  }

  /** Sectors whose header says erased and ready: the spare(s) ahead of the writer. */
  spareSectors(): number {
    let n = 0;
    for (let s = 0; s < this.flash.sectorCount; s++) {
      const header = this.flash.bytes.subarray(s * this.flash.sectorSize, s * this.flash.sectorSize + 12);
      const rest = this.flash.bytes.subarray(s * this.flash.sectorSize + 12, (s + 1) * this.flash.sectorSize);
      if (header.some((b) => b !== 0xff) && rest.every((b) => b === 0xff)) n++;
    }
    return n;
  }
}
