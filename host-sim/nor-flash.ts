// The NOR-flash emulator of the host simulator: the portable emulator (nor-flash-core.ts: NOR
// semantics, wear counts, power cuts) plus what only Node can do, saving it to a file and loading
// it back.

import { readFileSync, writeFileSync } from "node:fs";
import { NorFlashCore } from "./nor-flash-core.js";

export { PowerCut, type NorFlashOptions } from "./nor-flash-core.js";

const FILE_MAGIC = 0x46524f4e; // "NORF"
const FILE_HEADER = 12;

export class NorFlash extends NorFlashCore {
  /** Writes the contents and erase counts to `path`. */
  save(path: string): void {
    const header = new DataView(new ArrayBuffer(FILE_HEADER));
    header.setUint32(0, FILE_MAGIC, true);
    header.setUint32(4, this.sectorSize, true);
    header.setUint32(8, this.sectorCount, true);
    const counts = new Uint8Array(this.eraseCounts.buffer, this.eraseCounts.byteOffset, this.eraseCounts.byteLength);
    writeFileSync(path, Buffer.concat([new Uint8Array(header.buffer), counts, this.bytes]));
  }

  /** A flash as `save` left it. */
  static load(path: string, seed?: number): NorFlash {
    const file = readFileSync(path);
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    if (file.length < FILE_HEADER || view.getUint32(0, true) !== FILE_MAGIC) throw new Error(`${path}: not a saved NOR flash`);
    const sectorSize = view.getUint32(4, true);
    const sectorCount = view.getUint32(8, true);
    const flash = new NorFlash({ sectorSize, sectorCount, seed });
    const countsBytes = sectorCount * 4;
    if (file.length !== FILE_HEADER + countsBytes + flash.bytes.length) throw new Error(`${path}: truncated NOR flash file`);
    for (let s = 0; s < sectorCount; s++) flash.eraseCounts[s] = view.getUint32(FILE_HEADER + s * 4, true);
    flash.bytes.set(file.subarray(FILE_HEADER + countsBytes));
    return flash;
  }
}
