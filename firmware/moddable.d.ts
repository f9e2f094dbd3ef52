// What @moddable/typings 5.6.0 lacks and this firmware uses: the ECMA-419 sensor drivers it
// imports (the typings declare no `embedded:sensor/*` module), ESP32's `resetReason` and the DNS
// server set-up uses. Everything else the ports touch is typed structurally where it is injected
// (firmware/moddable/*), including the two gaps of `typings/http.d.ts`: the `Socket`/`secure`
// request options and the error message -2.

/** Options of an ECMA-419 sensor driver: its bus (I2C or SMBus options plus `io`) and an error hook. */
interface ModdableSensorOptions {
  sensor: Record<string, unknown>;
  onError?: (message: string) => void;
}

declare module "embedded:sensor/Humidity-Temperature/SHT3x" {
  /** `sample()` returns `{thermometer: {temperature}, hygrometer: {humidity}}` (°C, %RH). */
  export default class SHT3x {
    constructor(options: ModdableSensorOptions);
    configure(options: Record<string, unknown>): void;
    sample(): { thermometer: { temperature?: number }; hygrometer: { humidity?: number } };
    close(): void;
  }
}

declare module "embedded:sensor/Barometer-Temperature/BMP280" {
  /** `sample()` returns `{barometer: {pressure}, thermometer: {temperature}}` (Pa, °C). */
  export default class BMP280 {
    constructor(options: ModdableSensorOptions);
    configure(options: Record<string, unknown>): void;
    sample(): { barometer: { pressure: number }; thermometer: { temperature: number } };
    close(): void;
  }
}

declare module "embedded:sensor/Temperature/TMP117" {
  /** `sample()` returns `{temperature, alert}` (°C); needs `io: device.io.SMBus`. */
  export default class TMP117 {
    constructor(options: ModdableSensorOptions);
    configure(options: Record<string, unknown>): void;
    sample(): { temperature: number; alert: number };
    close(): void;
  }
}

declare module "resetReason" {
  /** ESP32 only (build/devices/esp32/modules/resetReason): esp_reset_reason() and its name, e.g. "Power-On", "Brownout". */
  export default function getResetReason(): { reason: number; string: string };
}
