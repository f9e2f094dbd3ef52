// A NOR flash kept in a file, write-through: every write and erase (a power-cut one as far as it
// got) is in the file before it returns, so a process killed at any moment (Ctrl-C, kill -9, a
// crash) leaves the file as a power cut at that moment would leave the chip, and the next start
// recovers the journal from it. No fsync: an OS crash may still lose the last writes. The file is
// a header (magic, sector size, sector count), the erase counts, then the contents, as saveFlash
// writes it; a new one is written whole to a temporary file and renamed, so a kill never leaves
// half a flash.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { NorFlash, type NorFlashOptions } from "../../firmware/fakes/nor-flash.js";

/** A flash's shape. */
export interface FlashGeometry {
  sectorCount: number;
  sectorSize: number;
}

const HEADER_BYTES = 12;
const MAGIC = 0x46524f4e; // "NORF"

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

/** Writes `flash`'s contents and erase counts to `path`. */
export function saveFlash(flash: NorFlash, path: string): void {
  const header = new DataView(new ArrayBuffer(HEADER_BYTES));
  header.setUint32(0, MAGIC, true);
  header.setUint32(4, flash.sectorSize, true);
  header.setUint32(8, flash.sectorCount, true);
  const counts = new Uint8Array(flash.eraseCounts.buffer, flash.eraseCounts.byteOffset, flash.eraseCounts.byteLength);
  writeFileSync(path, Buffer.concat([new Uint8Array(header.buffer), counts, flash.bytes]));
}

/** Fills `flash` (of the file's geometry) with the erase counts and contents of the file at `path`. */
function fill(flash: NorFlash, path: string): void {
  const file = readFileSync(path);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  for (let s = 0; s < flash.sectorCount; s++) flash.eraseCounts[s] = view.getUint32(HEADER_BYTES + s * 4, true);
  flash.bytes.set(file.subarray(HEADER_BYTES + flash.eraseCounts.byteLength));
}

/** A flash as saveFlash (or a FileFlash) left it; throws when `path` is missing or not a whole flash file. */
export function loadFlash(path: string, seed?: number): NorFlash {
  const geometry = flashFileGeometry(path);
  if (geometry === undefined) throw new Error(`${path}: no flash file`);
  const flash = new NorFlash({ ...geometry, seed });
  fill(flash, path);
  return flash;
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
      flash = new FileFlash(path, { ...existing, seed: options.seed });
      fill(flash, path);
    } else {
      flash = new FileFlash(path, options);
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      saveFlash(flash, temporary);
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
