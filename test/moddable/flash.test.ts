import { describe, expect, it } from "vitest";
import { ModdableFlash } from "../../firmware/moddable/flash.js";
import { FakeNorFlash } from "./fakes.js";

describe("ModdableFlash on NOR flash", () => {
  it("reports the partition as 4 KB sectors", () => {
    const flash = new ModdableFlash(new FakeNorFlash("journal"));
    expect(flash.sectorSize).toBe(4096);
    expect(flash.sectorCount).toBe(16);
  });

  it("reads back what it wrote, writes only clear bits, erase sets a sector to 0xFF", () => {
    const chip = new FakeNorFlash("journal");
    const flash = new ModdableFlash(chip);
    expect(Array.from(flash.read(4096, 4))).toEqual([0xff, 0xff, 0xff, 0xff]);
    flash.write(4096, Uint8Array.of(0x0f, 0xf0, 0x55, 0xaa));
    expect(Array.from(flash.read(4096, 4))).toEqual([0x0f, 0xf0, 0x55, 0xaa]);
    flash.write(4096, Uint8Array.of(0xff, 0x0f, 0xff, 0xff));
    expect(Array.from(flash.read(4096, 4))).toEqual([0x0f, 0x00, 0x55, 0xaa]);
    flash.erase(1);
    expect(Array.from(flash.read(4096, 4))).toEqual([0xff, 0xff, 0xff, 0xff]);
  });

  it("hands the module exactly the bytes of a view into a larger buffer", () => {
    const chip = new FakeNorFlash("journal");
    const flash = new ModdableFlash(chip);
    const big = Uint8Array.from({ length: 64 }, (_, i) => i);
    flash.write(100, big.subarray(10, 14));
    expect(chip.writes).toEqual([{ offset: 100, byteLength: 4, bufferLength: 4 }]);
    expect(Array.from(flash.read(100, 4))).toEqual([10, 11, 12, 13]);
    expect(flash.read(100, 4)).toBeInstanceOf(Uint8Array);
  });

  it("refuses offsets and sectors outside the partition before touching the chip", () => {
    const chip = new FakeNorFlash("journal");
    const flash = new ModdableFlash(chip);
    expect(() => flash.read(16 * 4096 - 2, 4)).toThrow(RangeError);
    expect(() => flash.write(-1, Uint8Array.of(0))).toThrow(RangeError);
    expect(() => flash.erase(16)).toThrow(RangeError);
    expect(chip.writes).toHaveLength(0);
  });
});
