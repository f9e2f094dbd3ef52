// The command line (`npm start`) as a child process, for end-to-end tests: run it, watch what it
// prints, read its last line (the JSON summary), and give each test its own data dir.

import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import type { TestContext } from "vitest";
import type { RunSummary } from "../../host-sim/run-summary.js";
import { tempDataDir } from "./harness.js";

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A data dir removed when the test ends (tests run concurrently, each child in its own dir). */
export async function tempDir(test: TestContext): Promise<string> {
  const dir = await tempDataDir();
  test.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the CLI; `whenStderr` (text, kill, the child's pid) lets a test act on what it prints. */
export function cli(args: string[], whenStderr?: (text: string, kill: () => void, pid: number) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.TAGOIO_DEVICE_TOKEN;
    const child = spawn(process.execPath, ["--import", "tsx", "host-sim/cli.ts", ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      whenStderr?.(stderr, () => child.kill("SIGTERM"), child.pid as number);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The run's summary: the JSON object on the last line of stdout. */
export function summaryOf(out: Outcome): RunSummary {
  const lines = out.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as RunSummary;
}
