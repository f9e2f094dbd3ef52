// The run lock: one live holder at a time, named by pid in the refusal; a dead holder's lock is taken over.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, LockHeld } from "../../host-sim/run-lock.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function lockFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "run-lock-"));
  dirs.push(dir);
  return join(dir, "lock");
}

describe("acquireLock", () => {
  it("refuses while a live process holds it, naming its pid; free again once released", () => {
    const file = lockFile();
    const lock = acquireLock(file, "data folder x");
    expect(readFileSync(file, "utf8").trim()).toBe(String(process.pid));
    let refusal: unknown;
    try {
      acquireLock(file, "data folder x");
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(LockHeld);
    expect((refusal as LockHeld).message).toBe(`data folder x is in use by another run (pid ${process.pid}); stop it first, or give another one`);
    lock.release();
    expect(existsSync(file)).toBe(false);
    acquireLock(file, "data folder x").release();
  });

  it("takes over a lock left by a process that died", () => {
    const file = lockFile();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
    writeFileSync(file, `${dead}\n`);
    const lock = acquireLock(file, "data folder x");
    expect(readFileSync(file, "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });
});
