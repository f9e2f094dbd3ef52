// The Sleep port on the Moddable hosts: ESP-IDF's deep sleep through the FFI object (natives
// recorded as the C functions would be called), its emulation on the Linux simulator beside the
// journal's file, the file standing in for the flash partition, and the FFI typing the type
// checks use, against what mcconfig generates from the device manifest.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Journal } from "../../firmware/core/journal.js";
import { DeepSleep, type SleepNatives } from "../../firmware/moddable/deep-sleep.js";
import { EMULATED_SLEEP, EmulatedSleep } from "../../firmware/moddable/emulated-sleep.js";
import { FileFlash, fileFlashModule } from "../../firmware/moddable/file-flash.js";
import { ModdableFlash } from "../../firmware/moddable/flash.js";
import type { LogLevel } from "../../firmware/ports.js";
import { FakeFiles } from "./fakes.js";
import { readBuild, root } from "./mcconfig.js";

/** The C functions as the FFI object calls them, with what the chip would answer. */
class Natives implements SleepNatives {
  readonly calls: string[] = [];
  cause = 0;
  timerError = 0;

  esp_sleep_enable_timer_wakeup(microseconds: bigint): number {
    if (typeof microseconds !== "bigint") throw new TypeError("uint64_t takes a BigInt");
    this.calls.push(`timer ${microseconds}`);
    return this.timerError;
  }
  esp_sleep_get_wakeup_cause(): number {
    return this.cause;
  }
  esp_wifi_stop(): number {
    this.calls.push("wifi stop");
    // ESP_ERR_WIFI_NOT_INIT: a wake that never joined.
    return 0x3001;
  }
  esp_deep_sleep_start(): void {
    this.calls.push("deep sleep");
  }
}

describe("DeepSleep (ESP32)", () => {
  it("arms the RTC timer in microseconds, stops the radio, then sleeps", () => {
    const natives = new Natives();
    new DeepSleep(natives, () => "Deep Sleep").sleep(60_000);
    expect(natives.calls).toEqual(["timer 60000000", "wifi stop", "deep sleep"]);
  });

  it("stays awake, saying why, when the timer is refused", () => {
    const natives = new Natives();
    natives.timerError = 0x102; // ESP_ERR_INVALID_ARG
    expect(() => new DeepSleep(natives, () => "Power-On").sleep(1000)).toThrow("esp_sleep_enable_timer_wakeup(1000 ms) refused it (esp_err_t 258); staying awake");
    expect(natives.calls).toEqual(["timer 1000000"]);
  });

  it("refuses a length that is not whole milliseconds above 0 before touching anything", () => {
    const natives = new Natives();
    for (const ms of [0, -5, 1.5, Number.NaN]) expect(() => new DeepSleep(natives, () => "Power-On").sleep(ms)).toThrow(RangeError);
    expect(natives.calls).toEqual([]);
  });

  it("tells a timer wake from a power-on and from any other reset", () => {
    const natives = new Natives();
    natives.cause = 4; // ESP_SLEEP_WAKEUP_TIMER
    expect(new DeepSleep(natives, () => "Deep Sleep").wakeReason()).toBe("timer");
    natives.cause = 0; // ESP_SLEEP_WAKEUP_UNDEFINED: not a wake from sleep
    expect(new DeepSleep(natives, () => "Power-On").wakeReason()).toBe("power-on");
    expect(new DeepSleep(natives, () => "Brownout").wakeReason()).toBe("reset");
    expect(new DeepSleep(natives, () => "Task WDT").wakeReason()).toBe("reset");
  });
});

class Halted extends Error {}

describe("EmulatedSleep (Linux simulator)", () => {
  const PARTITION = "/tmp/firmware-sim-test.flash";

  it("leaves a wake marker, says it emulates, and halts; the next boot wakes by timer, the one after by power-on", () => {
    const fs = new FakeFiles();
    const lines: string[] = [];
    const logger = { log: (level: LogLevel, message: string) => lines.push(`${level}: ${message}`) };
    const halt = (): never => {
      throw new Halted();
    };
    const first = new EmulatedSleep(fs.File, PARTITION, logger, halt);
    expect(first.wakeReason()).toBe("power-on");
    expect(() => first.sleep(60_000)).toThrow(Halted);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^info: ${EMULATED_SLEEP} 60000 ms \\(the Linux simulator has none\\)`))]);
    expect(fs.File.exists(`${PARTITION}.wake`)).toBe(true);
    // A new run: RAM is gone, the marker is not.
    expect(new EmulatedSleep(fs.File, PARTITION, logger, halt).wakeReason()).toBe("timer");
    expect(new EmulatedSleep(fs.File, PARTITION, logger, halt).wakeReason()).toBe("power-on");
  });

  it("refuses a bad length before writing or tracing anything", () => {
    const fs = new FakeFiles();
    const lines: string[] = [];
    const sleep = new EmulatedSleep(fs.File, PARTITION, { log: (_l, m) => lines.push(m) }, () => {
      throw new Halted();
    });
    expect(() => sleep.sleep(0)).toThrow(RangeError);
    expect(lines).toEqual([]);
    expect(fs.files.size).toBe(0);
  });
});

describe("FileFlash (the simulator's partition in a file)", () => {
  const PATH = "/tmp/firmware-sim-test.flash";

  function erasedFile(fs: FakeFiles, sectors: number): void {
    fs.files.set(PATH, new Uint8Array(sectors * 4096).fill(0xff));
  }

  it("opens only an existing file of whole sectors, by its absolute path, naming it otherwise", () => {
    const fs = new FakeFiles();
    expect(() => new FileFlash(fs.File, PATH)).toThrow(`no file ${PATH}`);
    expect(() => new FileFlash(fs.File, "journal")).toThrow("give its absolute path (flashPartition=journal)");
    fs.files.set(PATH, new Uint8Array(5000));
    expect(() => new FileFlash(fs.File, PATH)).toThrow("holds 5000 bytes, not a whole number of 4096-byte sectors");
  });

  it("tells the boot whether the partition's file is there, without throwing", () => {
    const fs = new FakeFiles();
    const Flash = fileFlashModule(fs.File);
    expect(Flash.has("journal")).toBe(false);
    expect(Flash.has(PATH)).toBe(false);
    erasedFile(fs, 4);
    expect(Flash.has(PATH)).toBe(true);
  });

  it("behaves as NOR flash: a write clears bits only, an erase sets a sector to 0xFF", () => {
    const fs = new FakeFiles();
    erasedFile(fs, 4);
    const flash = new ModdableFlash(new (fileFlashModule(fs.File))(PATH));
    expect(flash.sectorCount).toBe(4);
    flash.write(4096, Uint8Array.of(0x0f, 0xf0, 0x55, 0xaa));
    flash.write(4096, Uint8Array.of(0xff, 0x0f, 0xff, 0xff));
    expect(Array.from(flash.read(4096, 4))).toEqual([0x0f, 0x00, 0x55, 0xaa]);
    flash.erase(1);
    expect(Array.from(flash.read(4096, 4))).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(fs.files.get(PATH)?.byteLength).toBe(4 * 4096);
  });

  it("keeps a journal across runs: what one run journaled, the next recovers", () => {
    const fs = new FakeFiles();
    erasedFile(fs, 8);
    const open = (): Journal =>
      new Journal(new ModdableFlash(new FileFlash(fs.File, PATH)), { whenFull: "drop-oldest", variables: [{ name: "temperature", unit: "°C" }], onDrop: () => undefined });
    const first = open();
    for (let i = 0; i < 5; i++) first.append([0], [20 + i], 1_767_225_600_000 + i * 60_000, 0);
    // The process ends (the emulated sleep's kill): every file was closed at each operation.
    const opensBefore = fs.opens;
    expect(open().stats().recovered).toBe(5);
    expect(fs.opens).toBeGreaterThan(opensBefore);
  });
});

describe("the FFI typing", () => {
  const TS_TYPE: Record<string, string> = { uint64_t: "bigint", int64_t: "bigint", int32_t: "number", uint32_t: "number", void: "void" };

  it("says what mcconfig generates from the device manifest's ffi.functions", () => {
    const functions = readBuild("manifests/device/manifest.json", "esp32").ffi ?? {};
    const generated = Object.entries(functions).map(([name, f]) => {
      const args = (f.arguments ?? []).map((type, i) => `arg${i}: ${TS_TYPE[type]}`).join(", ");
      return `${name}(${args}): ${TS_TYPE[f.returns ?? "void"]};`;
    });
    const typing = readFileSync(join(root, "firmware", "ffi.d.ts"), "utf8");
    const declared = [...typing.matchAll(/^\s+(\w+\(.*\): \w+;)$/gm)].map((m) => m[1]);
    expect(declared.sort()).toEqual(generated.sort());
    expect(generated).toHaveLength(4);
  });

  it("binds the C functions on ESP32 builds only", () => {
    expect(readBuild("manifests/simulator/manifest.json", "lin").ffi).toBeUndefined();
  });
});
