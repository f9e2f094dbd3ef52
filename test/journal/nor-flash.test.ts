// The NOR-flash emulator behaves like the part: writes only clear bits, erases set a sector to
// 0xFF, counters add up, power cuts leave a torn write or a half-erased sector and then refuse
// every access until power is back, and the contents survive save and load.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NorFlash, PowerCut } from "../../firmware/fakes/nor-flash.js";
import { loadFlash, saveFlash } from "../../host-sim/ports/flash-file.js";

describe("NorFlash", () => {
  it("starts erased and only clears bits on write", () => {
    const flash = new NorFlash({ sectorCount: 2, sectorSize: 64 });
    expect(flash.byteLength).toBe(128);
    expect(flash.read(0, 128).every((b) => b === 0xff)).toBe(true);
    flash.write(10, Uint8Array.of(0b1010_1010, 0x0f));
    flash.write(10, Uint8Array.of(0b1100_1100, 0xff));
    expect(Array.from(flash.read(10, 2))).toEqual([0b1000_1000, 0x0f]);
    expect(flash.bytesWritten).toBe(4);
    expect(flash.operations).toBe(2);
  });

  it("erases a whole sector back to 0xFF and counts erases per sector", () => {
    const flash = new NorFlash({ sectorCount: 3, sectorSize: 32 });
    flash.write(0, new Uint8Array(96));
    flash.erase(1);
    flash.erase(1);
    expect(flash.read(0, 32).every((b) => b === 0)).toBe(true);
    expect(flash.read(32, 32).every((b) => b === 0xff)).toBe(true);
    expect(flash.read(64, 32).every((b) => b === 0)).toBe(true);
    expect(Array.from(flash.eraseCounts)).toEqual([0, 2, 0]);
    expect(flash.erases).toBe(2);
  });

  it("refuses accesses outside the partition", () => {
    const flash = new NorFlash({ sectorCount: 1, sectorSize: 32 });
    expect(() => flash.read(30, 4)).toThrow(RangeError);
    expect(() => flash.write(-1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => flash.erase(1)).toThrow(RangeError);
  });

  it("tears a write at the chosen byte: a prefix written, that byte half-programmed, the rest untouched", () => {
    const torn = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const flash = new NorFlash({ sectorCount: 1, sectorSize: 32, seed });
      const data = Uint8Array.of(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
      flash.armCut(1, 3);
      flash.write(0, Uint8Array.of(0xfe));
      expect(() => flash.write(8, data)).toThrow(PowerCut);
      expect(() => flash.read(8, 6)).toThrow(PowerCut);
      flash.powerOn();
      const got = flash.read(8, 6);
      expect(Array.from(got.subarray(0, 3))).toEqual([0x00, 0x11, 0x22]);
      // The torn byte lies between erased (0xFF) and the value: every bit 0x33 keeps is still set.
      expect(got[3] & 0x33).toBe(0x33);
      torn.add(got[3]);
      expect(Array.from(got.subarray(4))).toEqual([0xff, 0xff]);
      expect(flash.read(0, 1)[0]).toBe(0xfe);
    }
    expect(torn.size).toBeGreaterThan(3);
  });

  it("half-erases a sector on a cut erase: some bytes back to 0xFF, others not", () => {
    const flash = new NorFlash({ sectorCount: 2, sectorSize: 256, seed: 3 });
    flash.write(0, new Uint8Array(512));
    flash.armCut(0, 128);
    expect(() => flash.erase(0)).toThrow(PowerCut);
    expect(flash.poweredOff).toBe(true);
    flash.powerOn();
    const sector = flash.read(0, 256);
    const erased = sector.filter((b) => b === 0xff).length;
    expect(erased).toBeGreaterThan(0);
    expect(erased).toBeLessThan(256);
    expect(flash.read(256, 256).every((b) => b === 0)).toBe(true);
    // A cut fires once: the next erase completes.
    flash.erase(0);
    expect(flash.read(0, 256).every((b) => b === 0xff)).toBe(true);
  });

  it("leaves a sector nearly intact when the erase is cut at its start", () => {
    const flash = new NorFlash({ sectorCount: 1, sectorSize: 4096, seed: 9 });
    flash.write(0, new Uint8Array(4096));
    flash.armCut(0, 0);
    expect(() => flash.erase(0)).toThrow(PowerCut);
    flash.powerOn();
    const untouched = flash.read(0, 4096).filter((b) => b === 0).length;
    expect(untouched).toBeGreaterThan(4000);
    expect(untouched).toBeLessThan(4096);
  });

  it("saves and loads contents and erase counts", () => {
    const dir = mkdtempSync(join(tmpdir(), "nor-"));
    const flash = new NorFlash({ sectorCount: 4, sectorSize: 128 });
    flash.erase(2);
    flash.write(300, Uint8Array.of(1, 2, 3));
    saveFlash(flash, join(dir, "flash.bin"));
    const back = loadFlash(join(dir, "flash.bin"));
    expect(back.sectorSize).toBe(128);
    expect(back.sectorCount).toBe(4);
    expect(Array.from(back.eraseCounts)).toEqual([0, 0, 1, 0]);
    expect(back.bytes).toEqual(flash.bytes);
    expect(() => loadFlash(join(dir, "missing.bin"))).toThrow();
  });
});
