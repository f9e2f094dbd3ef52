// The factory reset: the BOOT button held for a while just after the board starts removes every
// stored setting, and the board restarts into set-up. Not at the instant of reset: GPIO 0 is a
// strapping pin, and held low while the ESP32 resets it starts the ROM's serial download mode
// instead of the firmware. So the button is watched for a window after boot (press reset, then
// hold BOOT) while the agent runs normally; one read per poll, nothing kept open.
// Policy when failing: a button that cannot be read counts as not held, and the watch ends.

import { errorMessage } from "../core/text.js";
import type { Logger, SettingsStore, Timers } from "../ports.js";

export const FACTORY_RESET = Object.freeze({
  /** How long after boot a hold counts. */
  windowMs: 10_000,
  /** How long the button must be held without a break. */
  holdMs: 3_000,
  pollMs: 100,
} as const);

/** Every stored setting removed, so the next start opens set-up. */
export function factoryReset(store: SettingsStore, logger: Logger): void {
  const keys = store.keys();
  for (const key of keys) store.remove(key);
  logger.log("warn", `setup: factory reset, ${keys.length} stored setting${keys.length === 1 ? "" : "s"} removed`);
}

/**
 * Watches `held` for FACTORY_RESET.windowMs from now; once it has been true for holdMs in a row,
 * clears `store` and calls `restart`.
 */
export function watchFactoryReset(held: () => boolean, store: SettingsStore, restart: () => void, timers: Timers, logger: Logger): void {
  let elapsed = 0;
  /** When the current hold was first seen, in ms since the watch began. */
  let downSince: number | undefined;
  const poll = (): void => {
    elapsed += FACTORY_RESET.pollMs;
    let down: boolean;
    try {
      down = held();
    } catch (e) {
      logger.log("warn", `setup: the factory-reset button cannot be read (${errorMessage(e)})`);
      return;
    }
    downSince = down ? (downSince ?? elapsed) : undefined;
    if (downSince !== undefined && elapsed - downSince >= FACTORY_RESET.holdMs) {
      factoryReset(store, logger);
      restart();
      return;
    }
    // A hold begun inside the window may finish after it.
    if (elapsed < FACTORY_RESET.windowMs || downSince !== undefined) timers.set(poll, FACTORY_RESET.pollMs);
  };
  timers.set(poll, FACTORY_RESET.pollMs);
}
