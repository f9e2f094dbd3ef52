// Simulated sensors in the ECMA-419 Sensor Class Pattern, returning the same shapes and units as
// the Moddable SHT3x and BMP280 drivers (degrees Celsius, percent relative humidity, pascals).
// Values follow a daily wave plus seeded noise, rounded to each chip's resolution; with a
// failure rate set, `sample()` throws as a driver does when the bus does not answer.
// Portable: used by the host simulator and by the firmware's simulator build.

import type { Clock, Sensor } from "../ports.js";
import { SeededRandom } from "./prng.js";

const DAY_MS = 86_400_000;

export interface SimulatedSensorOptions {
  clock: Clock;
  seed: number;
  /** Probability in [0, 1] that one `sample()` throws. */
  failureRate?: number;
}

/** Rounds to the chip's step, as a clean decimal (21.53, not 21.529999999999998). */
function round(value: number, step: number): number {
  return Number((Math.round(value / step) * step).toFixed(2));
}

abstract class SimulatedSensor implements Sensor {
  abstract readonly name: string;
  protected readonly clock: Clock;
  protected readonly random: SeededRandom;
  private readonly failureRate: number;

  constructor(options: SimulatedSensorOptions) {
    this.clock = options.clock;
    this.random = new SeededRandom(options.seed);
    this.failureRate = options.failureRate ?? 0;
  }

  /** Position in the simulated day, 0 to 1. */
  protected phase(): number {
    return (this.clock.monotonicMs() % DAY_MS) / DAY_MS;
  }

  protected noise(amplitude: number): number {
    return (this.random.next() * 2 - 1) * amplitude;
  }

  sample(): unknown {
    if (this.failureRate > 0 && this.random.next() < this.failureRate) {
      throw new Error(`${this.name}: no acknowledgement on the I2C bus (simulated)`);
    }
    return this.read();
  }

  protected abstract read(): unknown;
}

/** Like `embedded:sensor/Humidity-Temperature/SHT3x`. */
export class SimulatedSHT3x extends SimulatedSensor {
  readonly name: string = "sht3x";

  protected read(): unknown {
    const wave = Math.sin(2 * Math.PI * this.phase());
    return {
      thermometer: { temperature: round(21 + 4 * wave + this.noise(0.2), 0.01) },
      hygrometer: { humidity: round(50 - 12 * wave + this.noise(1), 0.01) },
    };
  }
}

/** Like `embedded:sensor/Barometer-Temperature/BMP280`. */
export class SimulatedBMP280 extends SimulatedSensor {
  readonly name: string = "bmp280";

  protected read(): unknown {
    const wave = Math.sin(2 * Math.PI * this.phase() + 1);
    return {
      barometer: { pressure: round(101_325 + 250 * wave + this.noise(20), 1) },
      thermometer: { temperature: round(22 + 3 * wave + this.noise(0.2), 0.01) },
    };
  }
}

/** The simulated board: an SHT3x and a BMP280, each with its own seeded noise. */
export function simulatedSensors(options: SimulatedSensorOptions): Sensor[] {
  return [new SimulatedSHT3x(options), new SimulatedBMP280({ ...options, seed: options.seed + 1 })];
}
