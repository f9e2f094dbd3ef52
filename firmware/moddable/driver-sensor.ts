// A Sensor port over one ECMA-419 sensor driver. The driver is opened on the first sample and
// reopened after any failure, so a sensor that was absent at boot or lost power recovers by
// itself. Errors a driver reports through `onError` (a bad checksum, "unexpected sensor") are
// turned into a throw: during a sample, that sample throws; between samples, the next one does.
// Policy when failing: every failure throws from sample(), which the core counts in
// `sensorErrors` and skips; the other sensors go on.

import type { Sensor } from "../ports.js";
import { errorMessage } from "../core/text.js";

export interface SensorDriver {
  sample(): unknown;
  close?(): void;
}

/** Opens the driver, handing it the hook it reports errors through. */
export type OpenDriver = (onError: (message: string) => void) => SensorDriver;

export class DriverSensor implements Sensor {
  readonly name: string;
  private readonly open: OpenDriver;
  private driver: SensorDriver | undefined;
  /** The first error reported through onError since the last sample. */
  private reported: string | undefined;

  constructor(name: string, open: OpenDriver) {
    this.name = name;
    this.open = open;
  }

  sample(): unknown {
    this.throwIfReported();
    if (this.driver === undefined) {
      try {
        this.driver = this.open((message) => {
          this.reported ??= String(message);
        });
      } catch (e) {
        this.fail(`cannot open: ${errorMessage(e)}`);
      }
      this.throwIfReported();
    }
    let sample: unknown;
    try {
      sample = (this.driver as SensorDriver).sample();
    } catch (e) {
      this.fail(errorMessage(e));
    }
    this.throwIfReported();
    return sample;
  }

  private throwIfReported(): void {
    const reported = this.reported;
    if (reported === undefined) return;
    this.reported = undefined;
    this.fail(reported);
  }

  /** Closes the driver so the next sample reopens it, and throws. */
  private fail(why: string): never {
    const driver = this.driver;
    this.driver = undefined;
    try {
      driver?.close?.();
    } catch {
      // a driver that failed to open may not close cleanly; it is dropped either way
    }
    throw new Error(`${this.name}: ${why}`);
  }
}
