// The sleep run's work per wake, for people: sample-only wakes and upload wakes apart, each figure
// as its mean and its worst wake, and the time the profile gives the agent's own work (its XS
// work and its flash writes; the radio's phases and the boot are charged apart).

import { meanAndMax } from "../../host-sim/device/phases.js";
import type { PowerProfile } from "./profile.js";
import type { WakeWork } from "./wake-work.js";

type MeanAndMax = { mean: number; max: number };

export interface WakeFigures {
  wakes: number;
  computrons: MeanAndMax;
  flashBytesRead: MeanAndMax;
  flashBytesProgrammed: MeanAndMax;
  flashPagePrograms: MeanAndMax;
  flashSectorsErased: MeanAndMax;
  /** The agent's own work at the profile's rates, ms: XS work, page programs and sector erases. */
  agentMs: MeanAndMax;
}

/** The profile's time for one boot's own work, ms. */
export function agentMs(w: WakeWork, profile: PowerProfile): number {
  return (
    (w.computrons / 1_000_000) * profile.xsPerMillionComputrons.ms +
    w.flashPagePrograms * profile.flashProgram.ms +
    w.flashSectorsErased * profile.flashErase.ms
  );
}

function figures(work: readonly WakeWork[], profile: PowerProfile): WakeFigures {
  const of = (pick: (w: WakeWork) => number): MeanAndMax => meanAndMax(work.map(pick));
  return {
    wakes: work.length,
    computrons: of((w) => w.computrons),
    flashBytesRead: of((w) => w.flashBytesRead),
    flashBytesProgrammed: of((w) => w.flashBytesProgrammed),
    flashPagePrograms: of((w) => w.flashPagePrograms),
    flashSectorsErased: of((w) => w.flashSectorsErased),
    agentMs: of((w) => Math.round(agentMs(w, profile) * 10) / 10),
  };
}

/** The wakes of a sleep run's boots (the first, the power-on, left out), by kind. */
export function wakeFigures(work: readonly WakeWork[], profile: PowerProfile): { sampleOnly: WakeFigures; upload: WakeFigures } {
  const wakes = work.slice(1);
  return { sampleOnly: figures(wakes.filter((w) => !w.radio), profile), upload: figures(wakes.filter((w) => w.radio), profile) };
}
