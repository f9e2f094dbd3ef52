// The Flash port on the Moddable `flash` module, over the data partition the device manifest
// creates (manifests/device/partitions.csv, named by the `flashPartition` setting). NOR
// semantics are the chip's own: a write can only clear bits, erase(sector) sets 4 KB to 0xFF.
// Policy when failing: out-of-range offsets throw a RangeError before touching the chip, and
// the module's own errors ("read failed", "write failed", "erase failed") are thrown as they
// come: flash failures cannot be hidden from the journal that owns the data.

import type { Flash } from "../ports.js";
import { ownBuffer } from "./bytes.js";

/** An open partition of the `flash` module (typings/flash.d.ts). */
export interface FlashPartition {
  readonly byteLength: number;
  readonly blockSize: number;
  /** An ArrayBuffer (a host buffer only when asked for one, which this port never does). */
  read(offset: number, byteLength: number): unknown;
  write(offset: number, byteLength: number, buffer: ArrayBuffer): void;
  erase(sector: number): void;
}

export interface FlashModule {
  new (partition: string): FlashPartition;
  /** Whether the partition exists, where the module can tell without throwing (the simulator's files). */
  has?(partition: string): boolean;
}

export class ModdableFlash implements Flash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  private readonly partition: FlashPartition;

  constructor(partition: FlashPartition) {
    this.partition = partition;
    this.sectorSize = partition.blockSize;
    this.sectorCount = Math.floor(partition.byteLength / partition.blockSize);
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    const bytes = this.partition.read(offset, length);
    if (!(bytes instanceof ArrayBuffer)) throw new TypeError("flash: read returned no ArrayBuffer");
    return new Uint8Array(bytes);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.byteLength);
    this.partition.write(offset, data.byteLength, ownBuffer(data));
  }

  erase(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || sector >= this.sectorCount) {
      throw new RangeError(`flash: sector ${sector} outside 0..${this.sectorCount - 1}`);
    }
    this.partition.erase(sector);
  }

  private check(offset: number, length: number): void {
    const size = this.sectorCount * this.sectorSize;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      throw new RangeError(`flash: ${length} bytes at ${offset} outside the ${size}-byte partition`);
    }
  }
}
