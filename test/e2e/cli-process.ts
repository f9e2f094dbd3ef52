// The command line (`npm start`) as a child process, for end-to-end tests: run it, watch what it
// prints, read its last line (the JSON summary), and give each test its own data dir.

import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { TestContext } from "vitest";
import type { RunSummary } from "../../host-sim/device/run-summary.js";
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

/** A package.json script's command line, split on spaces, e.g. ["node", "--import", "tsx", "host-sim/cli.ts"]. */
export function scriptCommand(name: string): string[] {
  const { scripts } = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
  return scripts[name].split(" ");
}

/**
 * Runs the CLI (or `command`, found on PATH with node_modules/.bin first, as npm runs scripts) in
 * its own process group; `whenStderr` (text, kill, the child's pid) lets a test act on what it
 * prints. Kill sends SIGTERM, or the signal given, to the whole group, as Ctrl-C in a terminal does.
 */
export function cli(
  args: string[],
  whenStderr?: (text: string, kill: (signal?: NodeJS.Signals) => void, pid: number) => void,
  command = [process.execPath, "--import", "tsx", "host-sim/cli.ts"],
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(process.cwd(), "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}` };
    delete env.TAGOIO_DEVICE_TOKEN;
    const child = spawn(command[0], [...command.slice(1), ...args], { env, detached: true });
    const kill = (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), signal);
    };
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      whenStderr?.(stderr, kill, child.pid as number);
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
