// A NOR-flash emulator implementing the Flash port, with the semantics of the real part: a write
// can only clear bits (the result is old & new), an erase sets a whole sector to 0xFF. It counts
// what wear and cost depend on (bytes written and read, erases per sector).
// Power cuts: `armCut` interrupts a later write or erase at a chosen byte. A cut write leaves the
// bytes before it written and that byte half-programmed (a random part of its bits cleared); a cut
// erase leaves the sector half-erased (bytes back to 0xFF, partly set or untouched, the more erased
// the later the byte named). Then it throws PowerCut, and every access throws until `powerOn`, so the
// simulation can "reboot": a new agent on the same flash.
// Out-of-range accesses throw RangeError: they are bugs in the caller, not flash behaviour.
// Portable (no Node imports): the XS conformance suite runs it on the XS engine as well. The host
// simulator keeps one in a file (host-sim/ports/flash-file.ts, Node only).

import type { Flash } from "../ports.js";
import { SeededRandom } from "../simulated/prng.js";

/** The program unit of the SPI NOR flash an ESP32 module carries. */
const PAGE_SIZE = 256;

export class PowerCut extends Error {
  // A class field, not an assignment in the constructor: on XS (after preload) Error.prototype is
  // frozen, and assigning over its inherited `name` would throw.
  override readonly name = "PowerCut";
}

export interface NorFlashOptions {
  sectorCount: number;
  /** Default 4096, the ESP32's erase unit. */
  sectorSize?: number;
  /** Seeds the garbling of interrupted operations. */
  seed?: number;
}

export class NorFlash implements Flash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  /** The partition's contents. */
  readonly bytes: Uint8Array;
  /** Erases per sector, since the flash was made (a flash file keeps them). */
  readonly eraseCounts: Uint32Array;
  bytesWritten = 0;
  /** Page programs the writes took: a SPI NOR chip programs at most one 256-byte page a command. */
  pagePrograms = 0;
  bytesRead = 0;
  reads = 0;
  erases = 0;
  /** Writes and erases so far: the operations a power cut can interrupt. */
  operations = 0;
  private readonly random: SeededRandom;
  private cutAt = -1;
  private cutByte = 0;
  private off = false;

  constructor(options: NorFlashOptions) {
    const sectorSize = options.sectorSize ?? 4096;
    if (!Number.isInteger(options.sectorCount) || options.sectorCount < 1) throw new RangeError("sectorCount must be a positive integer");
    if (!Number.isInteger(sectorSize) || sectorSize < 16) throw new RangeError("sectorSize must be an integer of at least 16");
    this.sectorSize = sectorSize;
    this.sectorCount = options.sectorCount;
    this.bytes = new Uint8Array(sectorSize * options.sectorCount).fill(0xff);
    this.eraseCounts = new Uint32Array(options.sectorCount);
    this.random = new SeededRandom(options.seed ?? 1);
  }

  /** The partition size in bytes. */
  get byteLength(): number {
    return this.bytes.length;
  }

  /** True from a power cut until `powerOn`. */
  get poweredOff(): boolean {
    return this.off;
  }

  /**
   * Interrupts the write or erase `afterOps` operations from now (0: the next one) at byte
   * `atByte` of it (clamped to its last byte).
   */
  armCut(afterOps: number, atByte: number): void {
    this.cutAt = this.operations + afterOps;
    this.cutByte = atByte;
  }

  disarm(): void {
    this.cutAt = -1;
  }

  /** Power is back: accesses work again (an armed cut that fired is gone). */
  powerOn(): void {
    this.off = false;
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    this.reads++;
    this.bytesRead += length;
    return this.bytes.slice(offset, offset + length);
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    const cut = this.takeCut(data.length);
    const end = cut < 0 ? data.length : cut;
    if (data.length > 0) this.pagePrograms += Math.floor((offset + data.length - 1) / PAGE_SIZE) - Math.floor(offset / PAGE_SIZE) + 1;
    for (let i = 0; i < end; i++) this.bytes[offset + i] &= data[i];
    this.bytesWritten += end;
    if (cut < 0) return;
    if (cut < data.length) {
      // The byte being programmed: some of the bits it was to clear are cleared, some not yet.
      this.bytes[offset + cut] &= data[cut] | this.random.below(256);
      this.bytesWritten++;
    }
    this.fail(`write of ${data.length} bytes at ${offset} cut at byte ${cut}`);
  }

  erase(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || sector >= this.sectorCount) {
      throw new RangeError(`erase: no sector ${sector} (0 to ${this.sectorCount - 1})`);
    }
    this.ensureOn();
    const cut = this.takeCut(this.sectorSize);
    const base = sector * this.sectorSize;
    this.eraseCounts[sector]++;
    this.erases++;
    if (cut < 0) {
      this.bytes.fill(0xff, base, base + this.sectorSize);
      return;
    }
    // Half erased: the further the erase got, the more bytes are back to 0xFF or partly set.
    const progress = (cut + 1) / this.sectorSize;
    for (let i = base; i < base + this.sectorSize; i++) {
      const r = this.random.next();
      if (r < progress) this.bytes[i] = 0xff;
      else if (r < progress * (2 - progress)) this.bytes[i] |= this.random.below(256);
    }
    this.fail(`erase of sector ${sector} cut at ${Math.round(progress * 100)}%`);
  }

  private check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new RangeError(`flash access of ${length} bytes at ${offset} is outside the ${this.bytes.length}-byte partition`);
    }
    this.ensureOn();
  }

  private ensureOn(): void {
    if (this.off) throw new PowerCut("flash accessed while the power is off");
  }

  /** Counts one operation of `length` bytes; returns the byte it is cut at, or -1. */
  private takeCut(length: number): number {
    const index = this.operations++;
    if (index !== this.cutAt) return -1;
    this.cutAt = -1;
    return Math.min(this.cutByte, Math.max(0, length - 1));
  }

  private fail(what: string): never {
    this.off = true;
    throw new PowerCut(`power cut: ${what}`);
  }
}
