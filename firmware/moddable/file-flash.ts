// A flash partition kept in a file, for the Linux simulator, which has no flash module: the
// `flash` module's interface (FlashPartition) over the SDK's `file` module, with NOR semantics
// (a write only clears bits, an erase sets a 4 KB sector to 0xFF). The file is opened and closed
// at every operation, so what a write wrote is in the file when it returns: a run ended by a kill
// (the emulated deep sleep, a crash) loses no completed write, as a chip would not.
// Policy when failing: a missing file or a size that is not whole sectors throws at open, naming
// the file (the boot then runs without flash and says so); the file module's errors are thrown.

import type { FlashModule, FlashPartition } from "./flash.js";

/** An open file of the SDK's `file` module, as this port uses it (modules/files/file/lin). */
export interface FileHandle {
  readonly length: number;
  position: number;
  /** Up to `count` bytes from `position`, which moves past them. */
  read(type: typeof ArrayBuffer, count: number): ArrayBuffer;
  /** Writes bytes (or a string's UTF-8) at `position`, which moves past them. */
  write(data: ArrayBuffer | string): void;
  close(): void;
}

export interface FileModule {
  /** `write` true opens for reading and writing (the SDK creates the file when missing). */
  new (path: string, write?: boolean): FileHandle;
  exists(path: string): boolean;
  delete(path: string): boolean;
}

export const FILE_SECTOR_BYTES = 4096;

export class FileFlash implements FlashPartition {
  readonly blockSize = FILE_SECTOR_BYTES;
  readonly byteLength: number;
  private readonly File: FileModule;
  private readonly path: string;

  constructor(File: FileModule, path: string) {
    if (!path.startsWith("/")) throw new Error(`the simulator keeps a partition in a file: give its absolute path (flashPartition=${path})`);
    if (!File.exists(path)) throw new Error(`no file ${path}`);
    this.File = File;
    this.path = path;
    this.byteLength = this.use(false, (file) => file.length);
    if (this.byteLength === 0 || this.byteLength % FILE_SECTOR_BYTES !== 0) {
      throw new Error(`${path} holds ${this.byteLength} bytes, not a whole number of ${FILE_SECTOR_BYTES}-byte sectors`);
    }
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    return this.use(false, (file) => {
      file.position = offset;
      const bytes = file.read(ArrayBuffer, byteLength);
      if (bytes.byteLength !== byteLength) throw new Error(`read failed: ${bytes.byteLength} of ${byteLength} bytes at ${offset} in ${this.path}`);
      return bytes;
    });
  }

  /** NOR: the bytes stored become the old ones AND the new ones. */
  write(offset: number, byteLength: number, buffer: ArrayBuffer): void {
    const merged = new Uint8Array(this.read(offset, byteLength));
    const given = new Uint8Array(buffer, 0, byteLength);
    for (let i = 0; i < byteLength; i++) merged[i] &= given[i];
    this.use(true, (file) => {
      file.position = offset;
      file.write(merged.buffer);
    });
  }

  erase(sector: number): void {
    const erased = new Uint8Array(FILE_SECTOR_BYTES).fill(0xff);
    this.use(true, (file) => {
      file.position = sector * FILE_SECTOR_BYTES;
      file.write(erased.buffer);
    });
  }

  private use<T>(write: boolean, work: (file: FileHandle) => T): T {
    const file = new this.File(this.path, write);
    try {
      return work(file);
    } finally {
      file.close();
    }
  }
}

/** The `flash` module's shape over files: `new Flash(partition)` opens the file the partition names. */
export function fileFlashModule(File: FileModule): FlashModule & Required<Pick<FlashModule, "has">> {
  return class extends FileFlash {
    constructor(partition: string) {
      super(File, partition);
    }

    static has(partition: string): boolean {
      return partition.startsWith("/") && File.exists(partition);
    }
  };
}
