// One process at a time per data folder or flash file: a lock file holding the holder's pid, put in
// place whole and exclusively (hard-linked from a written temporary file; the link fails when the
// lock exists). A second process is refused with that pid; a lock whose pid is no longer alive (its
// holder died without removing it) is taken over. The lock goes when released or at process exit.

import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";

/** Another live process holds the lock. */
export class LockHeld extends Error {
  constructor(what: string, pid: number) {
    super(`${what} is in use by another run (pid ${pid}); stop it first, or give another one`);
  }
}

export interface RunLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function holder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes `file` as the lock of `what` (named in the refusal); throws LockHeld while a live process holds it. */
export function acquireLock(file: string, what: string): RunLock {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (;;) {
      try {
        linkSync(temporary, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const pid = holder(file);
        if (pid !== undefined && alive(pid)) throw new LockHeld(what, pid);
        // Left by a process that died: take it over.
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(temporary, { force: true });
  }
  const release = (): void => {
    process.off("exit", release);
    if (holder(file) === process.pid) unlinkSync(file);
  };
  process.on("exit", release);
  return { release };
}
