// A sensor that returns a fixed list of samples in turn (cycling), for readings the simulated
// chips never produce: strings with any characters, booleans. Portable.

import type { Sensor } from "../ports.js";

export class ScriptedSensor implements Sensor {
  readonly name: string;
  private readonly samples: readonly unknown[];
  private taken = 0;

  constructor(name: string, samples: readonly unknown[]) {
    this.name = name;
    this.samples = samples;
  }

  sample(): unknown {
    return this.samples[this.taken++ % this.samples.length];
  }
}
