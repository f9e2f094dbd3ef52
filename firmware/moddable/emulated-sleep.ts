// The Sleep port where the platform has no deep sleep (the Moddable Linux simulator): it emulates
// one by ending the run, and says so. sleep() leaves a wake marker beside the journal's partition
// file, traces what it does, and halts the machine (nothing more runs: on a chip, deep sleep
// never returns); `npm run firmware:sim` sees the line, ends mcsim and starts it again after the
// sleep. RAM is lost as in a deep sleep; the journal in the partition file carries the readings.
// The next boot finds the marker: its wake reason is "timer", else "power-on".
// Policy when failing: a bad length throws a RangeError before anything is written or traced.

import type { Logger, Sleep, WakeReason } from "../ports.js";
import { checkSleepMs } from "./deep-sleep.js";
import type { FileModule } from "./file-flash.js";

/** The line's start, which the driver watches for (host-sim/firmware/sim-output.ts). */
export const EMULATED_SLEEP = "sleep: emulated deep sleep of";

export class EmulatedSleep implements Sleep {
  private readonly File: FileModule;
  private readonly marker: string;
  private readonly logger: Logger;
  private readonly halt: () => never;
  private readonly woke: WakeReason;

  /** `partitionFile`: the journal's file (file-flash.ts); `halt` stops the machine for good. */
  constructor(File: FileModule, partitionFile: string, logger: Logger, halt: () => never) {
    this.File = File;
    this.marker = `${partitionFile}.wake`;
    this.logger = logger;
    this.halt = halt;
    this.woke = File.exists(this.marker) && File.delete(this.marker) ? "timer" : "power-on";
  }

  wakeReason(): WakeReason {
    return this.woke;
  }

  sleep(ms: number): void {
    checkSleepMs(ms);
    const file = new this.File(this.marker, true);
    try {
      file.write(String(ms));
    } finally {
      file.close();
    }
    this.logger.log(
      "info",
      `${EMULATED_SLEEP} ${ms} ms (the Linux simulator has none): this run ends here; npm run firmware:sim starts it again ` +
        "after the sleep, with RAM lost and the journal's file carrying the readings",
    );
    this.halt();
  }
}
