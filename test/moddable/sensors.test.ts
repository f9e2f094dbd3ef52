import { describe, expect, it } from "vitest";
import { Agent } from "../../firmware/core/agent.js";
import { validateConfig } from "../../firmware/core/config.js";
import { DriverSensor } from "../../firmware/moddable/driver-sensor.js";
import { buildSensors, defaultVariables, parseSensorList, type DriverModule, type SensorHardware } from "../../firmware/moddable/sensors.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { ACK, ScriptedHttp } from "../../firmware/fakes/scripted-http.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { TOKEN } from "../support/fixtures.js";

type Behaviour = "ok" | "throw" | "onError" | "openThrows" | "openOnError";

/** A driver class whose next behaviour the test picks; records how it was constructed. */
function driverClass(script: { next: Behaviour; opened: Array<Record<string, unknown>>; closed: number; value: () => unknown }) {
  return class FakeDriver {
    private readonly onError: (message: string) => void;
    constructor(options: { sensor: Record<string, unknown>; onError: (message: string) => void }) {
      script.opened.push(options.sensor);
      this.onError = options.onError;
      if (script.next === "openThrows") throw new Error("no acknowledgement on the I2C bus");
      if (script.next === "openOnError") options.onError("unexpected sensor");
    }
    sample(): unknown {
      if (script.next === "throw") throw new Error("I2C read failed");
      if (script.next === "onError") this.onError("bad checksum");
      return script.value();
    }
    close(): void {
      script.closed++;
    }
  };
}

function script(value: () => unknown) {
  return { next: "ok" as Behaviour, opened: [] as Array<Record<string, unknown>>, closed: 0, value };
}

describe("DriverSensor", () => {
  it("turns onError during a sample into a throw, closes the driver and reopens it next time", () => {
    const s = script(() => ({ temperature: 21 }));
    const Driver = driverClass(s);
    const sensor = new DriverSensor("tmp117", (onError) => new Driver({ sensor: {}, onError }));
    expect(sensor.sample()).toEqual({ temperature: 21 });
    s.next = "onError";
    expect(() => sensor.sample()).toThrow("tmp117: bad checksum");
    expect(s.closed).toBe(1);
    s.next = "ok";
    expect(sensor.sample()).toEqual({ temperature: 21 });
    expect(s.opened).toHaveLength(2);
  });

  it("throws on the next sample an error the driver reported between samples", () => {
    let report: ((m: string) => void) | undefined;
    const sensor = new DriverSensor("sht3x", (onError) => {
      report = onError;
      return { sample: () => ({ ok: true }) };
    });
    sensor.sample();
    report?.("bus stuck");
    expect(() => sensor.sample()).toThrow("sht3x: bus stuck");
    expect(sensor.sample()).toEqual({ ok: true });
  });

  it("reports a driver that cannot open, and one that reports an error while opening", () => {
    const s = script(() => ({}));
    const Driver = driverClass(s);
    const sensor = new DriverSensor("bmp280", (onError) => new Driver({ sensor: {}, onError }));
    s.next = "openThrows";
    expect(() => sensor.sample()).toThrow("bmp280: cannot open: no acknowledgement on the I2C bus");
    s.next = "openOnError";
    expect(() => sensor.sample()).toThrow("bmp280: unexpected sensor");
    expect(s.closed).toBe(1);
  });
});

describe("a failing sensor inside the agent", () => {
  it("is counted and skipped while the others go on", () => {
    const clock = new VirtualClock({ wallStartMs: 1_790_000_000_000, trusted: true });
    const sht = script(() => ({ thermometer: { temperature: 21.5 }, hygrometer: { humidity: 40 } }));
    const bmp = script(() => ({ barometer: { pressure: 101_300 }, thermometer: { temperature: 22 } }));
    const SHT = driverClass(sht);
    const BMP = driverClass(bmp);
    const sensors = [
      new DriverSensor("sht3x", (onError) => new SHT({ sensor: {}, onError })),
      new DriverSensor("bmp280", (onError) => new BMP({ sensor: {}, onError })),
    ];
    const result = validateConfig({ token: TOKEN, variables: [...defaultVariables([{ kind: "sht3x" }, { kind: "bmp280" }])] });
    if (!result.ok) throw new Error(result.problems.join("; "));
    const agent = new Agent(result.config, {
      clock,
      timers: clock,
      http: new ScriptedHttp(clock, () => ACK()),
      sensors,
      network: { online: () => true },
      logger: new MemoryLogger(),
      random: new SeededRandom(1),
    });
    agent.sample();
    bmp.next = "throw";
    agent.sample();
    bmp.next = "onError";
    agent.sample();
    bmp.next = "ok";
    agent.sample();
    const snap = agent.snapshot();
    expect(snap.sensorErrors).toBe(2);
    // sht3x gives 2 variables on all 4 samples; bmp280 gives 2 on the 2 good ones.
    expect(snap.sampled).toBe(4 * 2 + 2 * 2);
    expect(snap.buffered).toBe(12);
  });
});

describe("the sensor catalogue", () => {
  it("parses kinds, addresses and pins from a string or a list", () => {
    expect(parseSensorList("sht3x, BMP280@0x77,analog@34")).toEqual({
      specs: [{ kind: "sht3x" }, { kind: "bmp280", at: 0x77 }, { kind: "analog", at: 34 }],
      problems: [],
    });
    expect(parseSensorList(["tmp117@72"]).specs).toEqual([{ kind: "tmp117", at: 72 }]);
  });

  it("names every problem: unknown kind, analog without pin, a repeated sensor, nothing listed", () => {
    expect(parseSensorList("bme280,analog,sht3x,simulated").problems).toEqual([
      'sensors: "bme280" is not one of sht3x, bmp280, tmp117, analog, simulated (optionally @address or @pin)',
      'sensors: "analog" needs its pin, e.g. "analog@34"',
      'sensors: "simulated" adds a second sensor named "sht3x"',
    ]);
    expect(parseSensorList(" , ").problems).toEqual(["sensors: none listed"]);
    expect(parseSensorList(42).problems).toHaveLength(1);
  });

  it("gives default TagoIO variables with units, renaming a clash with the sensor's name", () => {
    expect(defaultVariables([{ kind: "sht3x" }, { kind: "bmp280" }])).toEqual([
      { name: "temperature", unit: "°C", sensor: "sht3x", field: "thermometer.temperature" },
      { name: "humidity", unit: "%", sensor: "sht3x", field: "hygrometer.humidity" },
      { name: "pressure", unit: "Pa", sensor: "bmp280", field: "barometer.pressure" },
      { name: "temperature_bmp280", unit: "°C", sensor: "bmp280", field: "thermometer.temperature" },
    ]);
    expect(defaultVariables([{ kind: "tmp117" }])).toEqual([{ name: "temperature", unit: "°C", sensor: "tmp117", field: "temperature" }]);
  });

  it("builds drivers on the board's default I2C bus (SMBus for TMP117), with an address override", () => {
    const opened: Array<{ kind: string; sensor: Record<string, unknown> }> = [];
    const make = (kind: string) =>
      class {
        constructor(options: { sensor: Record<string, unknown> }) {
          opened.push({ kind, sensor: options.sensor });
        }
        sample() {
          return {};
        }
      } as unknown as DriverModule;
    const I2C = class I2C {};
    const SMBus = class SMBus {};
    const hardware: SensorHardware = {
      i2c: { data: 21, clock: 22 },
      I2C,
      SMBus,
      drivers: { sht3x: make("sht3x"), bmp280: make("bmp280"), tmp117: make("tmp117") },
    };
    const clock = new VirtualClock({ wallStartMs: 0, trusted: false });
    const built = buildSensors(parseSensorList("sht3x,bmp280@0x77,tmp117").specs, hardware, clock);
    expect(built.problems).toEqual([]);
    for (const sensor of built.sensors) sensor.sample();
    expect(opened).toEqual([
      { kind: "sht3x", sensor: { data: 21, clock: 22, io: I2C } },
      { kind: "bmp280", sensor: { data: 21, clock: 22, io: I2C, address: 0x77 } },
      { kind: "tmp117", sensor: { data: 21, clock: 22, io: SMBus } },
    ]);
  });

  it("reads an analog input as raw and percent of full scale", () => {
    const Analog = class {
      readonly resolution = 12;
      constructor(readonly options: { pin: number }) {}
      read() {
        return this.options.pin === 34 ? 4095 : 0;
      }
    };
    const clock = new VirtualClock({ wallStartMs: 0, trusted: false });
    const built = buildSensors([{ kind: "analog", at: 34 }], { Analog }, clock);
    expect(built.sensors[0].sample()).toEqual({ raw: 4095, percent: 100 });
  });

  it("reports sensors this build or board cannot offer, and offers the simulated board anywhere", () => {
    const clock = new VirtualClock({ wallStartMs: 0, trusted: false });
    const none = buildSensors(parseSensorList("sht3x,analog@34").specs, {}, clock);
    expect(none.problems).toEqual([
      'sensors: the sht3x driver is not in this build (use a device manifest, or "simulated")',
      "sensors: analog inputs are not available in this build",
    ]);
    const bare = buildSensors([{ kind: "sht3x" }], { I2C: {}, drivers: { sht3x: class {} as unknown as DriverModule } }, clock);
    expect(bare.problems[0]).toContain("needs the board's default I2C bus");
    const sim = buildSensors([{ kind: "simulated" }], {}, clock);
    expect(sim.problems).toEqual([]);
    expect(sim.sensors.map((s) => s.name)).toEqual(["sht3x", "bmp280"]);
  });
});
