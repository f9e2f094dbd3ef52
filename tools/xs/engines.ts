// Runs a bundle on each engine. XS: in a child process (the XS host) that drives xsnap workers.
// Node: in a fresh V8 context of this process, given only the TextEncoder/TextDecoder the device's
// host provides as well, so the bundle sees no Node globals.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as vm from "node:vm";
import { command, replyValue, type CommandGlobals } from "./command-host.js";
import type { XsRequest, XsStep, XsStepResult } from "./xs-jobs.js";

const HOST = fileURLToPath(new URL("./xsnap-host.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs each job in its own xsnap worker; one result per step. */
export function runOnXs(bundle: string, jobs: XsStep[][]): Promise<XsStepResult[][]> {
  const child = spawn(process.execPath, ["--import", "tsx", HOST], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const request: XsRequest = { bundle, jobs };
  child.stdin.end(JSON.stringify(request));
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text: string) => (output += text));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(JSON.parse(output) as XsStepResult[][]);
      else reject(new Error(`XS host exited with code ${code}`));
    });
  });
}

/** Runs the commands in order in one fresh context; one reply each. */
export async function runOnNode(bundle: string, commands: readonly string[]): Promise<string[]> {
  const context = vm.createContext({ TextEncoder, TextDecoder });
  vm.runInContext(bundle, context);
  const globals = context as unknown as CommandGlobals;
  const replies: string[] = [];
  for (const text of commands) replies.push(await globals.runCommand(text));
  return replies;
}

/** The named cases of one command, in order on XS (one worker) and on Node: each case's two values. */
export async function runCasesOnBoth<T>(bundle: string, name: string, cases: readonly string[]): Promise<Record<string, { xs: T; node: T }>> {
  const commands = cases.map((c) => command(name, c));
  const [xs, node] = await Promise.all([runOnXs(bundle, [commands.map((c) => ({ command: c }))]), runOnNode(bundle, commands)]);
  const out: Record<string, { xs: T; node: T }> = {};
  cases.forEach((c, i) => {
    out[c] = { xs: replyValue(xs[0][i].reply ?? ""), node: replyValue(node[i]) };
  });
  return out;
}
