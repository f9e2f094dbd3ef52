// Ctrl-C on `npm start`, run as package.json's `start` script gives it, with a data folder that
// already holds many records: the signal reaches our process (no wrapper that kills it soon after)
// and the summary counts the stored records in SQL, so the JSON summary is printed and the exit is 0.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../host-sim/endpoint/store.js";
import { loadOrCreateToken } from "../../host-sim/local-identity.js";
import { cli, scriptCommand, summaryOf, tempDir } from "./cli-process.js";
import { START } from "./harness.js";

const STORED = 100_000;

/** Fills the data folder's store with `count` records of the folder's device, as earlier runs would have. */
function fill(dataDir: string, count: number): void {
  const token = loadOrCreateToken(dataDir);
  const store = new Store(dataDir, () => START);
  try {
    store.upsertDevice({ token, name: "simulated-device" });
    const key = store.device(token)?.key as number;
    const records = Array.from({ length: count }, (_, i) => ({ variable: "temperature", value: i % 40, unit: "°C", time: START + i * 1000 }));
    store.addRecords(key, records, START);
  } finally {
    store.close();
  }
}

describe("npm start stopped by SIGINT", () => {
  it("prints the JSON summary last and exits 0 with many records stored, whichever process sees Ctrl-C first", async (test) => {
    const dataDir = await tempDir(test);
    fill(dataDir, STORED);
    // Ctrl-C signals every process of the command. The agent is the one holding the data folder's
    // lock; any other (a wrapper) is held stopped until the agent has stopped the device, as a
    // busy machine may schedule it, so it sees the signal last.
    let wrapper: number | undefined;
    let sent = false;
    const out = await cli(
      ["--data-dir", dataDir, "--sample-interval", "200ms"],
      (text, kill, pid) => {
        if (!sent && text.includes("agent: 3 variables")) {
          sent = true;
          const agent = Number(readFileSync(join(dataDir, "lock"), "utf8"));
          if (agent !== pid) {
            wrapper = pid;
            process.kill(wrapper, "SIGSTOP");
          }
          kill("SIGINT");
        }
        if (wrapper !== undefined && text.includes("] stopped |")) {
          process.kill(wrapper, "SIGCONT");
          wrapper = undefined;
        }
      },
      scriptCommand("start"),
    );
    expect(out.code).toBe(0);
    const summary = summaryOf(out);
    expect(summary.mode).toBe("real");
    expect(summary.invariantHolds).toBe(true);
    expect(summary.storedRecords).toBe(STORED + summary.delivered);
  }, 20_000);
});
