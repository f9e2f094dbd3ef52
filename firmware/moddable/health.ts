// The Health port where the platform can tell: Wi-Fi signal strength from Net.get("RSSI"), free
// memory from Instrumentation ("System Free Memory", which only instrumented or debug builds fill
// in) and, on ESP32, the reason for the last reset (the resetReason module; the simulator has
// none). Uptime needs no method here: it is the Clock's monotonicMs(). No boot count: the
// firmware keeps no persistent counter. The SDK reports no largest free block in JavaScript.
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
  private readonly reason: (() => string) | undefined;

  constructor(net: NetModule, instrumentation: InstrumentationModule, resetReason?: () => string) {
    this.net = net;
    this.instrumentation = instrumentation;
    this.reason = resetReason;
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

  resetReason(): string | undefined {
    const reason = this.reason;
    if (reason === undefined) return undefined;
    try {
      const value = reason();
      return typeof value === "string" && value !== "" ? value : undefined;
    } catch {
      return undefined;
    }
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
