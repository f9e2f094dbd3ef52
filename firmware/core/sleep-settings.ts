// The sleep mode's settings: the agent either stays up (`always-on`) or sleeps deeply between
// samples (`sleep`, see wake.ts), waking to sample and, only now and then, to upload. Validated
// here for validateConfig, every problem naming its field.

import type { VariableConfig } from "./variable-config.js";

export type AgentMode = "always-on" | "sleep";

export interface SleepSettings {
  mode: AgentMode;
  /** Sleep mode: upload at every this many wakes (1: at every wake). */
  uploadEvery: number;
  /** Sleep mode: upload at once when the journal's fill reaches this percent. */
  uploadFillPercent: number;
}

export const SLEEP_DEFAULTS: Readonly<SleepSettings> = Object.freeze({ mode: "always-on", uploadEvery: 60, uploadFillPercent: 50 });

/** Flash sectors the sleep mode takes from the end of the partition for its state (state-area.ts). */
export const STATE_SECTORS = 3;

/** The filters whose state over time is kept in RAM. */
const RAM_FILTERS = Object.freeze(["window", "throttleMs", "heartbeatMs"] as const);

/**
 * Checks the sleep settings of a configuration being validated (the numbers' ranges are
 * config.ts's): takes `raw.mode` into `config` when valid and adds each problem to `problems`.
 * Filters that hold a reading back over time keep their state in RAM, which a deep sleep loses:
 * sleep mode refuses them.
 */
export function applySleep(
  raw: Record<string, unknown>,
  config: SleepSettings & { journal: boolean; variables: readonly VariableConfig[] },
  problems: string[],
): void {
  const mode = raw.mode;
  if (mode !== undefined && mode !== "") {
    if (mode === "always-on" || mode === "sleep") config.mode = mode;
    else problems.push(`mode: ${JSON.stringify(mode)} must be "always-on" or "sleep"`);
  }
  if (config.mode !== "sleep") return;
  if (!config.journal) problems.push("mode: sleep keeps readings on flash between wakes; it needs journal=true");
  config.variables.forEach((v, i) => {
    const rules = v.reporting;
    if (rules === undefined) return;
    for (const key of RAM_FILTERS) {
      if (rules[key] !== undefined) problems.push(`variables[${i}].${key}: not in sleep mode (its state is kept in RAM, which a deep sleep loses)`);
    }
  });
}

/** The alarm a reading of `variable` raises: above `alarmAbove` or below `alarmBelow`. */
export function isAlarm(variable: VariableConfig, value: unknown): boolean {
  if (typeof value !== "number") return false;
  return (variable.alarmAbove !== undefined && value > variable.alarmAbove) || (variable.alarmBelow !== undefined && value < variable.alarmBelow);
}
