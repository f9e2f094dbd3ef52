// `npm run firmware:sim`: the firmware on the real Moddable SDK, headless. Builds
// manifests/simulator-local with mcconfig (the SDK MODDABLE points at), starts a local endpoint of
// its own (a fresh store, a new device token, the CA of .tago-local that the build bundles), runs
// the app in mcsim under Xvfb for --duration, then stops it right after a status line with nothing
// on the wire and checks every reading: sampled = delivered + dropped + buffered on the device,
// every delivered reading stored exactly once. The device's trace goes to stderr as it comes; the
// last line on stdout is one JSON object with the counts, exceptions and XS memory figures.
// With --flash the journal lives in a file standing in for the partition; the firmware's emulated
// deep sleep then ends a run of mcsim, which this command starts again after the sleep, on the same
// file; the verdict counts across those boots (--sleep-after makes the firmware sleep).
// Exit codes: 0 all accounted for; 1 a reading lost or doubled, an XS exception, nothing
// delivered, or the build or the simulator failed; 2 bad options, or no SDK or Xvfb here.

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { redactTokens } from "../../firmware/core/config.js";
import { formatDuration } from "../../firmware/core/status.js";
import { parseDuration } from "../duration.js";
import { buildDir, findSdk, onPath, REPO, run, tail } from "./sdk.js";
import { acrossBoots, emulatedSleepMs, Instruments, isException, MemoryLog, parseStatus, verdict, type DeviceStatus } from "./sim-output.js";

/** Status lines every 10 s: the run ends at the first one after --duration with nothing on the wire. */
const STATUS_INTERVAL_MS = 10_000;
/** How long to wait past --duration for that line: a status interval plus the agent's request timeout. */
const CLOSING_LIMIT_MS = STATUS_INTERVAL_MS + 30_000 + 10_000;
/** Settings this command gives the build itself. */
const OWN_KEYS = ["token", "host", "port", "customCa", "statusIntervalMs", "flashPartition", "sleepAfterMs"];
/** The flash file's size with --flash: 64 sectors of 4 KB, as a small partition. */
const FLASH_BYTES = 64 * 4096;

function duration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 30_000) throw new InvalidArgumentError("must be a duration of at least 30s, like 90s, 10m or 2h.");
  return ms;
}

/** Checked after parsing: commander would quote a refused value, and a token must not be printed. */
function settingProblem(text: string): string | undefined {
  const at = text.indexOf("=");
  if (at < 1) return `--set ${text}: must look like key=value`;
  const key = text.slice(0, at);
  if (OWN_KEYS.includes(key)) return `--set ${key}=...: ${key} is set by this command (it runs its own endpoint)`;
  return undefined;
}

const program = new Command("firmware:sim")
  .description(
    "Build the firmware for the Moddable Linux simulator (manifests/simulator-local) with the SDK that MODDABLE " +
      "points at, run it headless (Xvfb) against a local endpoint of its own, and check that every reading " +
      "is delivered exactly once or still accounted for.",
  )
  .addOption(new Option("--duration <time>", "how long the simulator runs, e.g. 10m or 30m").argParser(duration).default(600_000, "10m"))
  .addOption(
    new Option("--set <key=value>", "a firmware setting for mcconfig (README: Configuration), e.g. sampleIntervalMs=1000; repeatable")
      .argParser((text: string, previous: string[]) => [...previous, text])
      .default([], "none"),
  )
  .option("--flash", "journal to a flash partition kept in a file (64 x 4 KB), across the emulated deep sleeps")
  .addOption(
    new Option("--sleep-after <time>", "the firmware deep-sleeps a sample interval after this much uptime (emulated: mcsim is started again); implies --flash").argParser(
      (text: string) => {
        const ms = parseDuration(text);
        if (ms === undefined || ms < 1000) throw new InvalidArgumentError("must be a duration of at least 1s, like 30s.");
        return ms;
      },
    ),
  )
  .option("-q, --quiet", "do not echo the device's trace")
  // Commander quotes a refused argument: a token given with --set must not be printed whole.
  .configureOutput({ writeErr: (text) => process.stderr.write(redactTokens(text)) })
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2));

program.parse();
const options = program.opts<{ duration: number; set: string[]; flash?: boolean; sleepAfter?: number; quiet?: boolean }>();
const refused = options.set.map(settingProblem).filter((p) => p !== undefined);
if (refused.length > 0) program.error(`error: ${refused.join("; ")}`);

const lookup = findSdk();
if (!lookup.ok) {
  console.error(`firmware:sim: ${lookup.problem}`);
  process.exit(2);
}
const sdk = lookup.sdk;
const xvfb = onPath("Xvfb");
const stdbuf = onPath("stdbuf");
if (xvfb === undefined || stdbuf === undefined) {
  console.error("firmware:sim: needs Xvfb (mcsim opens a window) and stdbuf (coreutils): on Debian, apt-get install xvfb");
  process.exit(2);
}

const say = (text: string): void => void console.error(`firmware:sim: ${text}`);
const token = randomUUID();

const { startEndpoint } = await import("../endpoint/server.js");
const dataDir = mkdtempSync(join(tmpdir(), "firmware-sim-store-"));
const endpoint = await startEndpoint({ dataDir, identityDir: join(REPO, ".tago-local"), devices: [{ token }], port: 0 });
if (endpoint.caNotice !== undefined) say(`WARNING: ${endpoint.caNotice}`);
const children: ChildProcess[] = [];
// The partition's file, erased (0xFF) as a new chip's: it outlives each run of mcsim.
const flashDir = options.flash === true || options.sleepAfter !== undefined ? mkdtempSync(join(tmpdir(), "firmware-sim-flash-")) : undefined;
const flashFile = flashDir === undefined ? undefined : join(flashDir, "journal.flash");
if (flashFile !== undefined) writeFileSync(flashFile, new Uint8Array(FLASH_BYTES).fill(0xff));

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill("SIGKILL");
  await endpoint.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (flashDir !== undefined) rmSync(flashDir, { recursive: true, force: true });
}

async function fail(reason: string, output?: string): Promise<never> {
  if (output !== undefined) console.error(redactTokens(tail(output)));
  say(reason);
  await cleanUp();
  process.exit(1);
}

// ---- build ----
const out = buildDir("sim");
mkdirSync(out, { recursive: true });
const settings = [`token=${token}`, `port=${endpoint.port}`, `statusIntervalMs=${STATUS_INTERVAL_MS}`, ...options.set];
if (flashFile !== undefined) settings.push(`flashPartition=${flashFile}`);
if (options.sleepAfter !== undefined) settings.push(`sleepAfterMs=${options.sleepAfter}`);
say(`building manifests/simulator-local with ${join(sdk.bin, "mcconfig")} (a first build takes a few minutes)`);
const built = Date.now();
const build = await run("mcconfig", ["-d", "-m", "-p", "lin", "-t", "build", "-o", out, ...settings], {
  cwd: join(REPO, "manifests", "simulator-local"),
  env: sdk.env,
});
if (build.code !== 0) await fail(`mcconfig failed (exit ${build.code})`, build.output);
const app = join(out, "bin", "lin", "mc", "debug", "simulator-local", "mc.so");
say(`built in ${formatDuration(Date.now() - built)}: ${app}`);

// ---- run ----
/** A port nothing listens on: the debug build then finds no xsbug and prints to stdout. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

function startXvfb(): Promise<string> {
  return new Promise((resolve, reject) => {
    const x = spawn(xvfb as string, ["-displayfd", "3", "-screen", "0", "800x600x24", "-nolisten", "tcp"], {
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    });
    children.push(x);
    let number = "";
    const fd = x.stdio[3] as NodeJS.ReadableStream;
    fd.on("data", (chunk: Buffer) => {
      number += chunk.toString();
      if (number.includes("\n")) resolve(`:${number.trim()}`);
    });
    x.on("exit", (code) => reject(new Error(`Xvfb exited (code ${code}) before opening a display`)));
  });
}

const display = await startXvfb().catch((e: Error) => fail(e.message));
const xsbugPort = String(await closedPort());
const started = Date.now();
say(`running for ${formatDuration(options.duration)} on mcsim (display ${display}) against ${endpoint.url}`);

const instruments = new Instruments();
const memory = new MemoryLog(options.duration);
const exceptions: string[] = [];
/** The last status of each boot that ended in a deep sleep. */
const slept: DeviceStatus[] = [];
let last: DeviceStatus | undefined;
let closingSince: number | undefined;
let finished = false;
let sim: ChildProcess | undefined = startSim();

/** A boot: mcsim on the app, its trace read line by line. */
function startSim(): ChildProcess {
  const child = spawn(stdbuf as string, ["-oL", "-eL", join(sdk.bin, "mcsim"), app], {
    env: { ...sdk.env, DISPLAY: display, XSBUG_HOST: "127.0.0.1", XSBUG_PORT: xsbugPort },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream as NodeJS.ReadableStream }).on("line", onLine);
  child.on("exit", (code, signal) => {
    if (child === sim) void finish(`mcsim exited (${signal ?? `code ${code}`}) before the run ended`);
  });
  return child;
}

/** The firmware went to (emulated) deep sleep: this boot is over; the next starts after the sleep. */
function sleepThenWake(ms: number): void {
  if (last === undefined) return void finish("the firmware slept without tracing its status first");
  slept.push(last);
  last = undefined;
  const asleep = sim;
  sim = undefined;
  asleep?.kill("SIGKILL");
  if (closingSince !== undefined) return void finish();
  setTimeout(() => {
    if (!finished) sim = startSim();
  }, ms);
}

const closing = setTimeout(() => (closingSince = Date.now()), options.duration);
const limit = setInterval(() => {
  if (closingSince !== undefined && Date.now() - closingSince > CLOSING_LIMIT_MS) void finish("no status line with nothing on the wire after the run");
}, 1000);

function onLine(line: string): void {
  const elapsed = Date.now() - started;
  const sample = instruments.read(line);
  if (sample !== undefined) {
    memory.add(sample, elapsed);
    return;
  }
  if (line.startsWith("instruments key: ")) return;
  if (!options.quiet) console.error(`[${formatDuration(elapsed)}] ${redactTokens(line)}`);
  if (isException(line)) exceptions.push(line);
  if (line.includes("agent: not started")) void finish("the firmware refused its settings (see the error: config: lines)");
  const sleepMs = emulatedSleepMs(line);
  if (sleepMs !== undefined) return sleepThenWake(sleepMs);
  const status = parseStatus(line);
  if (status === undefined) return;
  last = status;
  if (closingSince !== undefined && status.state !== "uploading" && status.onTheWire === 0) void finish();
}

process.on("SIGINT", () => (closingSince === undefined ? (closingSince = Date.now()) : void finish("interrupted")));

async function finish(problem?: string): Promise<void> {
  if (finished) return;
  finished = true;
  sim?.kill("SIGKILL");
  clearTimeout(closing);
  clearInterval(limit);
  const elapsed = Date.now() - started;
  memory.finish(elapsed);
  const records = endpoint.records(token);
  const counts = endpoint.counts();
  await cleanUp();

  const problems = problem === undefined ? [] : [problem];
  const summary: Record<string, unknown> = { durationMs: elapsed, settings: options.set };
  const boots = last === undefined ? slept : [...slept, last];
  if (boots.length === 0) problems.push("the device traced no status line");
  else {
    // The agent's sleep mode carries the totals of the boots before into its snapshot: its last status is the run's.
    const carried = options.set.includes("mode=sleep");
    const v = verdict(carried ? boots[boots.length - 1] : acrossBoots(boots), records);
    Object.assign(summary, v);
    if (v.lost > 0) problems.push(`${v.lost} readings lost`);
    if (v.doubled > 0) problems.push(`${v.doubled} readings stored twice`);
    if (v.delivered === 0) problems.push("nothing was delivered");
  }
  if (exceptions.length > 0) problems.push(`${exceptions.length} XS exceptions`);
  // Records stored per variable: the sensors' and the agent's health telemetry (agent_*).
  const variables: Record<string, number> = {};
  for (const r of records) variables[r.variable] = (variables[r.variable] ?? 0) + 1;
  Object.assign(summary, { boots: boots.length, sleeps: slept.length, exceptions: exceptions.length, requests: counts.requests, byStatus: counts.byStatus, variables, memory: memory.figures });
  summary.ok = problems.length === 0;
  if (problems.length > 0) say(`FAILED: ${problems.join("; ")}`);
  console.log(JSON.stringify(summary));
  process.exit(problems.length === 0 ? 0 : 1);
}
