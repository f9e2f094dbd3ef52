// The sensor catalogue: the ECMA-419 drivers a configuration can choose from, each with its bus,
// its sensor name and its default TagoIO variables, plus the simulated board for builds without
// hardware. The `sensors` setting lists entries as `kind` or `kind@N`, where N is the I2C address
// (sht3x, bmp280, tmp117) or the pin (analog, required): "sht3x,bmp280@0x77" or ["analog@34"].
// Policy when failing: an unknown, repeated or unusable entry (no default I2C bus on this board,
// driver not in this build) is a configuration problem; the agent does not start with a sensor
// list it cannot honour. At run time a failing sensor throws from sample() (driver-sensor.ts).

import type { VariableConfig } from "../core/variable-config.js";
import type { Clock, Sensor } from "../ports.js";
import { BMP280_VARIABLES, SHT3X_VARIABLES, type DefaultVariable } from "../simulated/board.js";
import { simulatedSensors } from "../simulated/sensors.js";
import { DriverSensor, type SensorDriver } from "./driver-sensor.js";

export type DriverKind = "sht3x" | "bmp280" | "tmp117";
export type SensorKind = DriverKind | "analog" | "simulated";

export interface SensorSpec {
  kind: SensorKind;
  /** I2C address or analog pin, when given. */
  at?: number;
}

/** Each entry's default variables; the sensor names an entry adds are the ones they read. */
export const CATALOGUE: Readonly<Record<SensorKind, readonly DefaultVariable[]>> = Object.freeze({
  sht3x: SHT3X_VARIABLES,
  bmp280: BMP280_VARIABLES,
  tmp117: Object.freeze([Object.freeze({ name: "temperature", unit: "°C", sensor: "tmp117", field: "temperature" })]),
  analog: Object.freeze([Object.freeze({ name: "analog", unit: "%", sensor: "analog", field: "percent" })]),
  // The simulated board of firmware/simulated/sensors.ts: an SHT3x and a BMP280.
  simulated: Object.freeze([...SHT3X_VARIABLES, ...BMP280_VARIABLES]),
});

function sensorNames(kind: SensorKind): string[] {
  const names: string[] = [];
  for (const v of CATALOGUE[kind]) if (!names.includes(v.sensor)) names.push(v.sensor);
  return names;
}

const KINDS: readonly SensorKind[] = Object.freeze(Object.keys(CATALOGUE) as SensorKind[]);
const ENTRY = /^([a-z0-9]+)(?:@(0x[0-9a-f]+|\d+))?$/;

export interface SensorListResult {
  specs: SensorSpec[];
  problems: string[];
}

/** Reads the `sensors` setting: a comma-separated string or a list of strings. */
export function parseSensorList(raw: unknown): SensorListResult {
  const problems: string[] = [];
  const specs: SensorSpec[] = [];
  const items = typeof raw === "string" ? raw.split(",") : Array.isArray(raw) ? raw : undefined;
  if (items === undefined) return { specs, problems: ["sensors: must be a list such as \"sht3x,bmp280@0x77\""] };
  const names = new Set<string>();
  for (const item of items) {
    const text = typeof item === "string" ? item.trim().toLowerCase() : "";
    if (text === "") continue;
    const match = ENTRY.exec(text);
    const kind = match?.[1] as SensorKind | undefined;
    if (match === null || kind === undefined || !KINDS.includes(kind)) {
      problems.push(`sensors: "${text}" is not one of ${KINDS.join(", ")} (optionally @address or @pin)`);
      continue;
    }
    const spec: SensorSpec = { kind };
    if (match[2] !== undefined) spec.at = Number(match[2]);
    if (kind === "analog" && spec.at === undefined) {
      problems.push('sensors: "analog" needs its pin, e.g. "analog@34"');
      continue;
    }
    const added = sensorNames(kind);
    const clash = added.find((name) => names.has(name));
    if (clash !== undefined) {
      problems.push(`sensors: "${text}" adds a second sensor named "${clash}"`);
      continue;
    }
    for (const name of added) names.add(name);
    specs.push(spec);
  }
  if (specs.length === 0 && problems.length === 0) problems.push("sensors: none listed");
  return { specs, problems };
}

/**
 * The variables used when the configuration gives none: each entry's defaults, a name already
 * taken getting the sensor's name as a suffix ("temperature_bmp280").
 */
export function defaultVariables(specs: readonly SensorSpec[]): VariableConfig[] {
  const out: VariableConfig[] = [];
  const taken = new Set<string>();
  for (const spec of specs) {
    for (const v of CATALOGUE[spec.kind]) {
      const name = taken.has(v.name) ? `${v.name}_${v.sensor}` : v.name;
      taken.add(name);
      out.push({ name, unit: v.unit, sensor: v.sensor, field: v.field });
    }
  }
  return out;
}

/** An ECMA-419 sensor driver class (embedded:sensor/...). */
export interface DriverModule {
  new (options: { sensor: Record<string, unknown>; onError: (message: string) => void }): SensorDriver;
}

/** The ECMA-419 analog input class (device.io.Analog). */
export interface AnalogModule {
  new (options: { pin: number }): { read(): number; readonly resolution: number; close?(): void };
}

/** What a build offers for sensors; a build without hardware offers nothing. */
export interface SensorHardware {
  /** The board's default I2C bus (device.I2C.default); bare targets have none. */
  i2c?: Readonly<Record<string, unknown>>;
  I2C?: unknown;
  SMBus?: unknown;
  Analog?: AnalogModule;
  drivers?: Partial<Record<DriverKind, DriverModule>>;
}

/** Which bus class each driver is given (TMP117 reads 16-bit registers through SMBus). */
const BUS: Readonly<Record<DriverKind, "I2C" | "SMBus">> = Object.freeze({ sht3x: "I2C", bmp280: "I2C", tmp117: "SMBus" });

export interface SensorBuild {
  sensors: Sensor[];
  problems: string[];
}

export function buildSensors(specs: readonly SensorSpec[], hardware: SensorHardware, clock: Clock): SensorBuild {
  const sensors: Sensor[] = [];
  const problems: string[] = [];
  for (const spec of specs) {
    const { kind, at } = spec;
    if (kind === "simulated") {
      sensors.push(...simulatedSensors({ clock, seed: 1 }));
    } else if (kind === "analog") {
      const Analog = hardware.Analog;
      if (Analog === undefined) problems.push("sensors: analog inputs are not available in this build");
      else sensors.push(new DriverSensor("analog", () => analogDriver(new Analog({ pin: at as number }))));
    } else {
      const Driver = hardware.drivers?.[kind];
      const io = hardware[BUS[kind]];
      const bus = hardware.i2c;
      if (Driver === undefined || io === undefined) {
        problems.push(`sensors: the ${kind} driver is not in this build (use a device manifest, or "simulated")`);
      } else if (bus === undefined) {
        problems.push(`sensors: ${kind} needs the board's default I2C bus; build for a board target such as esp32/nodemcu`);
      } else {
        const sensor: Record<string, unknown> = { ...bus, io };
        if (at !== undefined) sensor.address = at;
        sensors.push(new DriverSensor(kind, (onError) => new Driver({ sensor, onError })));
      }
    }
  }
  return { sensors, problems };
}

/** An analog input as a driver: the raw reading and its share of full scale, in percent. */
function analogDriver(io: InstanceType<AnalogModule>): SensorDriver {
  const full = Math.pow(2, io.resolution) - 1;
  return {
    sample: () => {
      const raw = io.read();
      return { raw, percent: Math.round((raw / full) * 10_000) / 100 };
    },
    close: () => io.close?.(),
  };
}
