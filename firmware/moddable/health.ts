// The Health port where the platform can tell: Wi-Fi signal strength from Net.get("RSSI") and
// free memory from Instrumentation ("System Free Memory", which only instrumented or debug
// builds fill in). Uptime needs no method here: it is the Clock's monotonicMs().
// Policy when failing: a value the platform does not have, or a call that throws, is reported
// as undefined (not reported), never as a guess.

import type { Health } from "../ports.js";
import type { NetModule } from "./wifi.js";

/** The `instrumentation` module (typings/instrumentation.d.ts). */
export interface InstrumentationModule {
  map(name: "System Free Memory"): number | undefined;
  get(index: number): number | undefined;
}

export class ModdableHealth implements Health {
  private readonly net: NetModule;
  private readonly instrumentation: InstrumentationModule;

  constructor(net: NetModule, instrumentation: InstrumentationModule) {
    this.net = net;
    this.instrumentation = instrumentation;
  }

  rssi(): number | undefined {
    return numberOrUndefined(() => this.net.get("RSSI"));
  }

  freeMemory(): number | undefined {
    return numberOrUndefined(() => {
      const index = this.instrumentation.map("System Free Memory");
      return index === undefined ? undefined : this.instrumentation.get(index);
    });
  }
}

function numberOrUndefined(read: () => unknown): number | undefined {
  try {
    const value = read();
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
