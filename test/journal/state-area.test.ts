// The sleep mode's state area on the NOR-flash emulator: the newest record is found with a few
// small reads, and a power cut at any byte of a record or of a sector's erase leaves the one
// before it as the state.

import { describe, expect, it } from "vitest";
import { FlashRegion } from "../../firmware/core/flash-region.js";
import { StateArea } from "../../firmware/core/state-area.js";
import { NorFlash, PowerCut } from "../../firmware/fakes/nor-flash.js";

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));
const record = (n: number): Uint8Array => new TextEncoder().encode(JSON.stringify({ n, pad: "x".repeat(100 + (n % 7) * 40) }));

/** A state area on the last two of four 4 KB sectors. */
function setup(seed = 1): { flash: NorFlash; area: () => StateArea } {
  const flash = new NorFlash({ sectorCount: 4, seed });
  return { flash, area: () => new StateArea(new FlashRegion(flash, 2, 2)) };
}

describe("state area", () => {
  it("gives back the newest record across many sector switches, reading little of the flash", () => {
    const { flash, area } = setup();
    expect(area().read()).toBeUndefined();
    for (let n = 0; n < 300; n++) {
      const a = area();
      a.read();
      a.write(record(n));
      const before = flash.bytesRead;
      expect(JSON.parse(text(area().read()) as string).n).toBe(n);
      // A few probes and the record: never a sector.
      expect(flash.bytesRead - before).toBeLessThan(record(n).length + 200);
    }
    // Only its own sectors were touched.
    expect(Array.from(flash.eraseCounts.slice(0, 2))).toEqual([0, 0]);
    expect(flash.eraseCounts[2] + flash.eraseCounts[3]).toBeGreaterThan(20);
  });

  it("keeps the record before a write cut at any byte", () => {
    for (let at = 0; at < 260; at += 7) {
      const { flash, area } = setup(at);
      for (let n = 0; n < 5; n++) {
        const a = area();
        a.read();
        a.write(record(n));
      }
      const a = area();
      a.read();
      flash.armCut(0, at);
      expect(() => a.write(record(5))).toThrow(PowerCut);
      flash.powerOn();
      const b = area();
      expect(JSON.parse(text(b.read()) as string).n).toBe(4);
      // The next record goes after the torn one and is read back whole.
      b.write(record(6));
      expect(JSON.parse(text(area().read()) as string).n).toBe(6);
    }
  });

  it("keeps the record before an erase cut when it switches sectors", () => {
    const write = (area: () => StateArea, n: number): void => {
      const a = area();
      a.read();
      a.write(record(n));
    };
    // The record whose write first erases the second sector.
    const probe = setup();
    let switchAt = 0;
    while (probe.flash.eraseCounts[3] === 0) write(probe.area, switchAt++);
    switchAt--;
    for (let at = 0; at < 4096; at += 509) {
      const { flash, area } = setup(at);
      for (let n = 0; n < switchAt; n++) write(area, n);
      flash.armCut(0, at);
      expect(() => write(area, switchAt)).toThrow(PowerCut);
      expect(flash.eraseCounts[3]).toBe(1);
      flash.powerOn();
      expect(JSON.parse(text(area().read()) as string).n).toBe(switchAt - 1);
      write(area, 1000);
      expect(JSON.parse(text(area().read()) as string).n).toBe(1000);
    }
  });

  it("finds the newest record when rot raises the older sector's first seq", () => {
    const { flash, area } = setup();
    let n = 0;
    for (; flash.eraseCounts[3] === 0; n++) {
      const a = area();
      a.read();
      a.write(record(n));
    }
    // The first record of the older sector (region sector 0): a high bit of its seq flips.
    flash.bytes[2 * 4096 + 7] ^= 0x40;
    for (let more = 0; more < 3; more++, n++) {
      const a = area();
      expect(JSON.parse(text(a.read()) as string).n).toBe(n - 1);
      a.write(record(n));
    }
  });

  it("finds nothing in garbage, and starts afresh over it", () => {
    const { flash, area } = setup();
    for (let i = 2 * 4096; i < 4 * 4096; i++) flash.bytes[i] = (i * 7919) & 0xff;
    const a = area();
    expect(a.read()).toBeUndefined();
    a.write(record(1));
    expect(JSON.parse(text(area().read()) as string).n).toBe(1);
  });
});
