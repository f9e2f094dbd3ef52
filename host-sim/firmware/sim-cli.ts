// `npm run firmware:sim`: the firmware on the real Moddable SDK, headless. Builds
// manifests/simulator-local with mcconfig (the SDK MODDABLE points at), starts a local endpoint of
// its own (a fresh store, a new device token, the CA of .tago-local that the build bundles), runs
// the app in mcsim under Xvfb for --duration, then stops it right after a status line with nothing
// on the wire and checks every reading: sampled = delivered + dropped + buffered on the device,
// every delivered reading stored exactly once. The device's trace goes to stderr as it comes; the
// last line on stdout is one JSON object with the counts, exceptions and XS memory figures.
// With --param key=value the run also shows remote configuration: the parameters are set on the
// endpoint once the device runs (it polls every minute then), must be marked read by the end, and
// a second start of the simulator must find them stored on the board (`remote` in the verdict).
// The simulator keeps `preference` in /tmp/modpreferences.json: its domain of the agent's
// settings is cleared before and after, so every run starts as a fresh board.
// With --flash the journal lives in a file standing in for the partition; the firmware's emulated
// deep sleep then ends a run of mcsim, which this command starts again after the sleep, on the same
// file; the verdict counts across those boots (--sleep-after makes the firmware sleep).
// Exit codes: 0 all accounted for; 1 a reading lost or doubled, an XS exception, nothing
// delivered, or the build or the simulator failed; 2 bad options, or no SDK or Xvfb here.

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { redactTokens } from "../../firmware/core/config.js";
import { SETTINGS_DOMAIN } from "../../firmware/moddable/preference-settings.js";
import { formatDuration } from "../../firmware/core/status.js";
import { parseDuration } from "../duration.js";
import { buildDir, findSdk, onPath, REPO, run, tail } from "./sdk.js";
import { acrossBoots, emulatedSleepMs, Instruments, isException, MemoryLog, parseStatus, verdict, wakeAwakeMs, type DeviceStatus } from "./sim-output.js";
import { meanAndMax } from "../device/phases.js";

/** Status lines every 10 s: the run ends at the first one after --duration with nothing on the wire. */
const STATUS_INTERVAL_MS = 10_000;
/** How long to wait past --duration for that line: a status interval plus the agent's request timeout. */
const CLOSING_LIMIT_MS = STATUS_INTERVAL_MS + 30_000 + 10_000;
/** Settings this command gives the build itself. */
const OWN_KEYS = ["token", "host", "port", "customCa", "statusIntervalMs", "flashPartition", "sleepAfterMs"];
/** Where the SDK's `preference` keeps its values on the Linux simulator (config.file.root + its name). */
const PREFERENCES = "/tmp/modpreferences.json";
/** How often the device polls its parameters in a run with --param. */
const PARAMS_INTERVAL_MS = 60_000;
/** How long the second start may take to trace its first status line. */
const RESTART_LIMIT_MS = 60_000;
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
  .addOption(
    new Option("--param <key=value>", "a TagoIO device parameter set while the device runs, then checked read and stored across a restart; repeatable")
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
const options = program.opts<{ duration: number; set: string[]; param: string[]; flash?: boolean; sleepAfter?: number; quiet?: boolean }>();
const refused = options.set.map(settingProblem).filter((p) => p !== undefined);
const params = options.param.map((text) => ({ key: text.slice(0, Math.max(0, text.indexOf("="))), value: text.slice(text.indexOf("=") + 1) }));
for (const p of params) if (p.key === "") refused.push("--param: must look like key=value");
if (params.length > 0 && options.duration < 2 * PARAMS_INTERVAL_MS) refused.push("--param: needs a --duration of at least 2m (the device polls every minute)");
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
  clearPreferences();
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
const pollEvery = params.length > 0 && !options.set.some((s) => s.startsWith("paramsIntervalMs=")) ? [`paramsIntervalMs=${PARAMS_INTERVAL_MS}`] : [];
const settings = [`token=${token}`, `port=${endpoint.port}`, `statusIntervalMs=${STATUS_INTERVAL_MS}`, ...pollEvery, ...options.set];

/** Forgets the settings an earlier run stored on the simulated board. */
function clearPreferences(): void {
  if (!existsSync(PREFERENCES)) return;
  try {
    const all = JSON.parse(readFileSync(PREFERENCES, "utf8")) as Record<string, unknown>;
    delete all[SETTINGS_DOMAIN];
    writeFileSync(PREFERENCES, JSON.stringify(all));
  } catch {
    rmSync(PREFERENCES, { force: true });
  }
}
clearPreferences();
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
let paramsSet = false;
const applied = new Set<string>();
const started = Date.now();
say(`running for ${formatDuration(options.duration)} on mcsim (display ${display}) against ${endpoint.url}`);

const instruments = new Instruments();
const memory = new MemoryLog(options.duration);
const exceptions: string[] = [];
/** Each wake's length as the agent measured it (traced with logLevel=debug), ms at the PC's speed. */
const awakeMs: number[] = [];
/** The last status of each boot that ended in a deep sleep. */
const slept: DeviceStatus[] = [];
let last: DeviceStatus | undefined;
let closingSince: number | undefined;
let finished = false;
let sim: ChildProcess | undefined = startSim();

/** A boot: mcsim on the app, its trace read line by line (by `onEachLine`). */
function startSim(onEachLine: (line: string) => void = onLine): ChildProcess {
  const child = spawn(stdbuf as string, ["-oL", "-eL", join(sdk.bin, "mcsim"), app], {
    env: { ...sdk.env, DISPLAY: display, XSBUG_HOST: "127.0.0.1", XSBUG_PORT: xsbugPort },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream as NodeJS.ReadableStream }).on("line", onEachLine);
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
  const awake = wakeAwakeMs(line);
  if (awake !== undefined) awakeMs.push(awake);
  if (line.includes("agent: not started")) void finish("the firmware refused its settings (see the error: config: lines)");
  for (const p of params) if (line.includes(`params: ${p.key} = `) && !line.includes("rejected")) applied.add(p.key);
  const sleepMs = emulatedSleepMs(line);
  if (sleepMs !== undefined) return sleepThenWake(sleepMs);
  const status = parseStatus(line);
  if (status === undefined) return;
  last = status;
  if (!paramsSet && params.length > 0) {
    paramsSet = true;
    for (const p of params) endpoint.setParam(token, p.key, p.value);
    say(`set ${params.map((p) => p.key).join(", ")} as device parameters`);
  }
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
  const problems = problem === undefined ? [] : [problem];
  const remote = params.length > 0 && problem === undefined ? await checkRemote(problems) : undefined;
  await cleanUp();

  const summary: Record<string, unknown> = { durationMs: elapsed, settings: options.set, ...(remote === undefined ? {} : { remote }) };
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
  if (awakeMs.length > 0) summary.awakeMsPerWake = meanAndMax(awakeMs);
  Object.assign(summary, { boots: boots.length, sleeps: slept.length, exceptions: exceptions.length, requests: counts.requests, byStatus: counts.byStatus, variables, memory: memory.figures });
  summary.ok = problems.length === 0;
  if (problems.length > 0) say(`FAILED: ${problems.join("; ")}`);
  console.log(JSON.stringify(summary));
  process.exit(problems.length === 0 ? 0 : 1);
}

/**
 * The parameters after the run: each marked read and traced as taken; then a second start of the
 * simulator must trace them as stored on the board (and not take them again).
 */
async function checkRemote(problems: string[]): Promise<Record<string, unknown>> {
  const rows = endpoint.params(token);
  for (const p of params) {
    if (!rows.some((r) => r.key === p.key && r.value === p.value && r.sent)) problems.push(`parameter ${p.key} was not marked read`);
    if (!applied.has(p.key)) problems.push(`parameter ${p.key}: the device traced no "params: ${p.key} = ..."`);
  }
  say("starting the simulator again to check what the board stored");
  const lines: string[] = [];
  let again: ChildProcess | undefined;
  await new Promise<void>((resolve) => {
    const timeout = setTimeout(resolve, RESTART_LIMIT_MS);
    again = startSim((line) => {
      lines.push(line);
      if (!options.quiet) console.error(`[restart] ${redactTokens(line)}`);
      if (parseStatus(line) !== undefined || line.includes("XS abort")) {
        clearTimeout(timeout);
        resolve();
      }
    });
  });
  again?.kill("SIGKILL");
  const thrown = lines.filter(isException).length;
  if (thrown > 0) problems.push(`${thrown} XS exceptions after the restart`);
  const storedLine = lines.find((line) => line.includes("settings: stored on the board: ")) ?? "";
  const storedKeys = storedLine.slice(storedLine.indexOf("settings: stored on the board: ") + 31).split(", ").filter((k) => k !== "");
  for (const p of params) {
    if (!storedKeys.includes(p.key)) problems.push(`after a restart the board does not hold ${p.key}`);
    if (lines.some((line) => line.includes(`params: ${p.key} = `))) problems.push(`after a restart the device took ${p.key} again`);
  }
  const agentLine = lines.find((line) => line.includes("agent: ") && line.includes(" ms to ")) ?? null;
  return { params: rows.map(({ key, value, sent }) => ({ key, value, sent })), applied: [...applied], restart: { storedKeys, agentLine } };
}
