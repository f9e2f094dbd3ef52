// A NOR flash kept in a file, write-through: every write and erase (a power-cut one as far as it
// got) is in the file before it returns, so a process killed at any moment (Ctrl-C, kill -9, a
// crash) leaves the file as a power cut at that moment would leave the chip, and the next start
// recovers the journal from it. No fsync: an OS crash may still lose the last writes. The file has
// the layout NorFlash.save writes (header, erase counts, contents); a new one is written whole to a
// temporary file and renamed, so a kill never leaves half a flash.

import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { NorFlash, type NorFlashOptions } from "./nor-flash.js";

/** A flash's shape. */
export interface FlashGeometry {
  sectorCount: number;
  sectorSize: number;
}

const HEADER_BYTES = 12;
const MAGIC = 0x46524f4e; // "NORF", as NorFlash.save writes it

/** The geometry of the flash file at `path`, or undefined when there is none; throws when it is not a whole flash file. */
export function flashFileGeometry(path: string): FlashGeometry | undefined {
  if (!existsSync(path)) return undefined;
  const header = new Uint8Array(HEADER_BYTES);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const view = new DataView(header.buffer);
  if (n < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) throw new Error(`${path} is not a flash file`);
  const geometry = { sectorSize: view.getUint32(4, true), sectorCount: view.getUint32(8, true) };
  if (statSync(path).size !== HEADER_BYTES + geometry.sectorCount * (4 + geometry.sectorSize)) throw new Error(`${path} is a truncated flash file`);
  return geometry;
}

export class FileFlash extends NorFlash {
  readonly path: string;
  private fd: number | undefined;
  private readonly countsAt: number;
  private readonly bytesAt: number;

  private constructor(path: string, options: NorFlashOptions) {
    super(options);
    this.path = path;
    this.countsAt = HEADER_BYTES;
    this.bytesAt = HEADER_BYTES + this.eraseCounts.byteLength;
  }

  /**
   * The flash in the file at `path`, with the file's own geometry; a missing file is created erased
   * with `options`' geometry (and its directory with it).
   */
  static open(path: string, options: NorFlashOptions): FileFlash {
    const existing = flashFileGeometry(path);
    let flash: FileFlash;
    if (existing !== undefined) {
      const loaded = NorFlash.load(path, options.seed);
      flash = new FileFlash(path, { ...existing, seed: options.seed });
      flash.bytes.set(loaded.bytes);
      flash.eraseCounts.set(loaded.eraseCounts);
    } else {
      flash = new FileFlash(path, options);
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      flash.save(temporary);
      renameSync(temporary, path);
    }
    flash.fd = openSync(path, "r+");
    return flash;
  }

  override write(offset: number, data: Uint8Array): void {
    try {
      super.write(offset, data);
    } finally {
      // After a power cut too: the bytes it got to are on the chip.
      if (this.inRange(offset, data.length)) this.through(this.bytesAt + offset, this.bytes.subarray(offset, offset + data.length));
    }
  }

  override erase(sector: number): void {
    try {
      super.erase(sector);
    } finally {
      if (Number.isInteger(sector) && sector >= 0 && sector < this.sectorCount) {
        this.through(this.countsAt + sector * 4, new Uint8Array(this.eraseCounts.buffer, this.eraseCounts.byteOffset + sector * 4, 4));
        this.through(this.bytesAt + sector * this.sectorSize, this.bytes.subarray(sector * this.sectorSize, (sector + 1) * this.sectorSize));
      }
    }
  }

  /** Stops writing through (everything is in the file already); accesses still work, in memory. */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private inRange(offset: number, length: number): boolean {
    return Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length > 0 && offset + length <= this.bytes.length;
  }

  private through(position: number, bytes: Uint8Array): void {
    if (this.fd !== undefined) writeSync(this.fd, bytes, 0, bytes.length, position);
  }
}
