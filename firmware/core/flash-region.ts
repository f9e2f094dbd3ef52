// A run of sectors of a Flash, seen as a Flash of its own: sleep mode gives the journal all but
// the partition's last sectors and keeps its state in those (state-area.ts).

import type { Flash } from "../ports.js";

export class FlashRegion implements Flash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  private readonly flash: Flash;
  private readonly base: number;
  private readonly first: number;

  /** Sectors `first` to `first + count - 1` of `flash`. */
  constructor(flash: Flash, first: number, count: number) {
    if (first < 0 || count < 1 || first + count > flash.sectorCount) throw new RangeError(`flash region: sectors ${first} to ${first + count - 1} of ${flash.sectorCount}`);
    this.flash = flash;
    this.first = first;
    this.sectorSize = flash.sectorSize;
    this.sectorCount = count;
    this.base = first * flash.sectorSize;
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    return this.flash.read(this.base + offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    this.flash.write(this.base + offset, data);
  }

  erase(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || sector >= this.sectorCount) throw new RangeError(`erase: no sector ${sector} in a region of ${this.sectorCount}`);
    this.flash.erase(this.first + sector);
  }

  private check(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.sectorCount * this.sectorSize) {
      throw new RangeError(`flash access of ${length} bytes at ${offset} is outside the ${this.sectorCount * this.sectorSize}-byte region`);
    }
  }
}
