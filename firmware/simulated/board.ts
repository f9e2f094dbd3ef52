// The simulated board's variables, defined once: what each chip's sample carries, named and with
// its unit (the simulated sensors give the shapes of the Moddable SHT3x and BMP280 drivers, so
// these are the real chips' defaults in the firmware's sensor catalogue too), and the three the
// board reports by default everywhere it runs: the host simulator, the tests and the benchmark.

import type { VariableConfig } from "../core/variable-config.js";

/** A variable as a chip's defaults give it: always with a unit. */
export interface DefaultVariable extends VariableConfig {
  unit: string;
}

const TEMPERATURE: DefaultVariable = Object.freeze({ name: "temperature", unit: "°C", sensor: "sht3x", field: "thermometer.temperature" });
const HUMIDITY: DefaultVariable = Object.freeze({ name: "humidity", unit: "%", sensor: "sht3x", field: "hygrometer.humidity" });
const PRESSURE: DefaultVariable = Object.freeze({ name: "pressure", unit: "Pa", sensor: "bmp280", field: "barometer.pressure" });

/** An SHT3x's readings. */
export const SHT3X_VARIABLES: readonly DefaultVariable[] = Object.freeze([TEMPERATURE, HUMIDITY]);

/** A BMP280's readings (its temperature is the SHT3x's name: the catalogue renames it when both are present). */
export const BMP280_VARIABLES: readonly DefaultVariable[] = Object.freeze([
  PRESSURE,
  Object.freeze({ name: "temperature", unit: "°C", sensor: "bmp280", field: "thermometer.temperature" }),
]);

/** The simulated board's three: temperature and humidity from the SHT3x, pressure from the BMP280. */
export const BOARD_VARIABLES: readonly DefaultVariable[] = Object.freeze([TEMPERATURE, HUMIDITY, PRESSURE]);
