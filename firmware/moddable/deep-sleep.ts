// The Sleep port on an ESP32: ESP-IDF's deep sleep through the Moddable SDK's XS FFI (the device
// manifest's `ffi.functions` binds the C functions; firmware/moddable/hardware.ts makes the FFI
// object) and the reset reason from the SDK's `resetReason` module. Injected, so it runs under
// Node in tests. Not tried on a board (see the README).
// Policy when failing: a sleep that is not a whole number of milliseconds above 0 throws a
// RangeError before anything is touched; a refused timer (esp_err_t not ESP_OK) throws naming
// the code, and the device stays awake, so the caller's state is never lost to a sleep that
// could not be set to end.

import type { Sleep, WakeReason } from "../ports.js";

/** The ESP-IDF functions manifests/device/manifest.json binds (mc/ffi, typings in firmware/ffi.d.ts). */
export interface SleepNatives {
  /** esp_err_t esp_sleep_enable_timer_wakeup(uint64_t time_in_us) */
  esp_sleep_enable_timer_wakeup(microseconds: bigint): number;
  /** esp_sleep_wakeup_cause_t esp_sleep_get_wakeup_cause(void) */
  esp_sleep_get_wakeup_cause(): number;
  /** esp_err_t esp_wifi_stop(void): ESP-IDF asks for the radio to be stopped before deep sleep. */
  esp_wifi_stop(): number;
  /** void esp_deep_sleep_start(void): does not return; the chip boots again at wake. */
  esp_deep_sleep_start(): void;
}

/** esp_sleep.h: ESP_SLEEP_WAKEUP_TIMER in esp_sleep_wakeup_cause_t. */
const ESP_SLEEP_WAKEUP_TIMER = 4;
const ESP_OK = 0;

/** A sleep's length, checked: whole milliseconds above 0. */
export function checkSleepMs(ms: number): void {
  if (!Number.isInteger(ms) || ms < 1) throw new RangeError(`sleep: ${ms} ms is not a whole number of milliseconds above 0`);
}

export class DeepSleep implements Sleep {
  private readonly natives: SleepNatives;
  private readonly resetReason: () => string;

  /** `resetReason`: the SDK's name for the last reset (resetReason module), e.g. "Power-On", "Brownout". */
  constructor(natives: SleepNatives, resetReason: () => string) {
    this.natives = natives;
    this.resetReason = resetReason;
  }

  wakeReason(): WakeReason {
    if (this.natives.esp_sleep_get_wakeup_cause() === ESP_SLEEP_WAKEUP_TIMER) return "timer";
    return this.resetReason() === "Power-On" ? "power-on" : "reset";
  }

  sleep(ms: number): void {
    checkSleepMs(ms);
    const err = this.natives.esp_sleep_enable_timer_wakeup(BigInt(ms) * 1000n);
    if (err !== ESP_OK) throw new Error(`sleep: esp_sleep_enable_timer_wakeup(${ms} ms) refused it (esp_err_t ${err}); staying awake`);
    // Not started (a wake that never joined) answers an error: the radio is off either way.
    this.natives.esp_wifi_stop();
    this.natives.esp_deep_sleep_start();
  }
}
