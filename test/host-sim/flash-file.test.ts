// The flash kept in a file, write-through: what a write or an erase did (a power-cut one as far as
// it got) is in the file before it returns, without close, so a process killed at any moment
// leaves the file as a power cut would leave the chip.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { PowerCut } from "../../firmware/fakes/nor-flash.js";
import { FileFlash, flashFileGeometry, loadFlash } from "../../host-sim/ports/flash-file.js";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "flash-file-"));
  dirs.push(dir);
  return join(dir, "sub", "flash.bin");
}

it("creates an erased flash file (and its folder), and writes every write and erase through at once", () => {
  const path = tempFile();
  expect(flashFileGeometry(path)).toBeUndefined();
  const flash = FileFlash.open(path, { sectorCount: 4, sectorSize: 256 });
  expect(flashFileGeometry(path)).toEqual({ sectorCount: 4, sectorSize: 256 });
  expect(loadFlash(path).bytes.every((b) => b === 0xff)).toBe(true);

  flash.write(300, Uint8Array.of(0x12, 0x34, 0x56));
  flash.erase(2);
  flash.write(512, Uint8Array.of(0xa5));
  // Not closed: the file already holds it all, as a process killed now would leave it.
  const seen = loadFlash(path);
  expect(Array.from(seen.bytes.subarray(300, 303))).toEqual([0x12, 0x34, 0x56]);
  expect(seen.bytes[512]).toBe(0xa5);
  expect(Array.from(seen.eraseCounts)).toEqual([0, 0, 1, 0]);
  flash.close();

  // Opened again: the file's contents and geometry, whatever geometry is asked for a new one.
  const again = FileFlash.open(path, { sectorCount: 99, sectorSize: 4096 });
  expect([again.sectorCount, again.sectorSize]).toEqual([4, 256]);
  expect(Array.from(again.read(300, 3))).toEqual([0x12, 0x34, 0x56]);
  expect(again.eraseCounts[2]).toBe(1);
  again.close();
});

it("keeps in the file what a power-cut write got to", () => {
  const path = tempFile();
  const flash = FileFlash.open(path, { sectorCount: 4, sectorSize: 256, seed: 3 });
  flash.armCut(0, 2);
  expect(() => flash.write(10, Uint8Array.of(0, 0, 0, 0))).toThrow(PowerCut);
  const seen = loadFlash(path);
  expect(Array.from(seen.bytes.subarray(10, 12))).toEqual([0, 0]);
  expect(seen.bytes[13]).toBe(0xff);
  expect(Array.from(seen.bytes.subarray(10, 14))).toEqual(Array.from(flash.bytes.subarray(10, 14)));
  flash.close();
});

it("refuses a file that is not a whole flash", () => {
  const path = tempFile();
  FileFlash.open(path, { sectorCount: 3, sectorSize: 256 }).close();
  const whole = readFileSync(path);
  expect(flashFileGeometry(path)).toEqual({ sectorCount: 3, sectorSize: 256 });
  const cut = join(dirs[0], "cut.bin");
  writeFileSync(cut, whole.subarray(0, whole.length - 1));
  expect(() => flashFileGeometry(cut)).toThrow("truncated");
  writeFileSync(cut, "hello");
  expect(() => flashFileGeometry(cut)).toThrow("not a flash file");
});
