// The XS host: runs jobs on the real XS engine through @agoric/xsnap's Node driver. It lives in a
// process of its own because @endo/init hardens this process's intrinsics, which a test worker or
// the benchmark must not suffer. Reads an XsRequest as JSON on stdin, writes the results on stdout.

import "@endo/init";
import { xsnap, type XSnap } from "@agoric/xsnap";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import type { XsRequest, XsStep, XsStepResult } from "./xs-jobs.js";

async function runStep(worker: XSnap, step: XsStep): Promise<XsStepResult> {
  if ("command" in step) {
    const { reply, meterUsage } = await worker.issueStringCommand(step.command);
    return { reply, compute: meterUsage.compute ?? undefined, heapCount: meterUsage.currentHeapCount ?? undefined };
  }
  if ("gc" in step) {
    const { meterUsage } = await worker.evaluate("gc()");
    return { heapCount: meterUsage.currentHeapCount ?? undefined };
  }
  let snapshotBytes = 0;
  for await (const chunk of worker.makeSnapshotStream()) snapshotBytes += chunk.byteLength;
  return { snapshotBytes };
}

async function runJob(bundle: string, steps: XsStep[], n: number): Promise<XsStepResult[]> {
  const worker = await xsnap({
    os: os.type(),
    spawn,
    fs: { ...fs, ...fsp },
    name: `xs-job-${n}`,
    meteringLimit: 0,
    stdout: "ignore",
    stderr: "inherit",
  });
  try {
    await worker.evaluate(bundle);
    const results: XsStepResult[] = [];
    for (const step of steps) results.push(await runStep(worker, step));
    return results;
  } finally {
    await worker.close();
  }
}

async function main(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const request = JSON.parse(input) as XsRequest;
  const results: XsStepResult[][] = [];
  for (const [n, steps] of request.jobs.entries()) results.push(await runJob(request.bundle, steps, n));
  process.stdout.write(JSON.stringify(results));
}

await main();
