/// <reference path="../moddable.d.ts" />
// The hardware of an ESP32 board build: the ECMA-419 sensor drivers of the catalogue, the
// board's default I2C bus and IO classes (embedded:provider/builtin), the flash module, the
// reason for the last reset (ESP32's resetReason module), the BOOT button (GPIO 0: held just
// after boot, a factory reset), the restart that ends set-up, and deep sleep (ESP-IDF through XS
// FFI: the FFI object is made at boot, not when this module is preloaded at build time).
// The Linux simulator's manifest maps this module to hardware-sim.ts instead, because these
// modules do not exist there. Policy when failing: a bare target without a default I2C bus
// leaves `i2c` undefined, and the catalogue reports any I2C sensor as a configuration problem.

import device from "embedded:provider/builtin";
import BMP280 from "embedded:sensor/Barometer-Temperature/BMP280";
import SHT3x from "embedded:sensor/Humidity-Temperature/SHT3x";
import TMP117 from "embedded:sensor/Temperature/TMP117";
import Flash from "flash";
import FFI from "mc/ffi";
import getResetReason from "resetReason";
import type { Hardware } from "./boot.js";
import { DeepSleep, type SleepNatives } from "./deep-sleep.js";

/** The ESP32 dev boards' BOOT button: GPIO 0, pulled up, low while held. */
const BOOT_BUTTON_PIN = 0;

function bootButtonHeld(): boolean {
  const Digital = device.io.Digital;
  const button = new Digital({ pin: BOOT_BUTTON_PIN, mode: Digital.InputPullUp });
  try {
    return button.read() === 0;
  } finally {
    button.close();
  }
}

/** System.restart (esp_restart), from the global that modules/io's preloaded system.js installs. */
function restart(): void {
  const system = (globalThis as { System?: { restart(): void } }).System;
  if (system === undefined) throw new Error("no System global: modules/io is not in this build");
  system.restart();
}

const hardware: Hardware = Object.freeze<Hardware>({
  sensors: Object.freeze({
    i2c: device.I2C?.default,
    I2C: device.io.I2C,
    SMBus: device.io.SMBus,
    Analog: device.io.Analog,
    drivers: Object.freeze({ sht3x: SHT3x, bmp280: BMP280, tmp117: TMP117 }),
  }),
  Flash,
  resetReason: () => getResetReason().string,
  bootButtonHeld,
  restart,
  // Each function named rather than the FFI object handed whole: the simulator's build, which
  // type-checks this file through main.ts, has no ffi section and sees the SDK's untyped mc/ffi.
  sleep: () => {
    const ffi = new FFI();
    const natives: SleepNatives = {
      esp_sleep_enable_timer_wakeup: (microseconds) => ffi.esp_sleep_enable_timer_wakeup(microseconds),
      esp_sleep_get_wakeup_cause: () => ffi.esp_sleep_get_wakeup_cause(),
      esp_wifi_stop: () => ffi.esp_wifi_stop(),
      esp_deep_sleep_start: () => ffi.esp_deep_sleep_start(),
    };
    return new DeepSleep(natives, () => getResetReason().string);
  },
});

export default hardware;
