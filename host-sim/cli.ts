// The command line (`npm start`): one simulated device running the agent core against a local
// TagoIO-compatible endpoint (the default), the real TagoIO (--token) or any endpoint (--endpoint),
// in real time or on a virtual clock (--virtual --duration), journaling to a flash file kept
// write-through (a local real-time run: <data-dir>/flash.bin, so a restart recovers what was not
// yet delivered), to a flash in memory (virtual runs and other targets), or to none (--no-flash).
// Human output (status line, logs, hints) goes to stderr; stdout carries only results, the last
// line being one JSON summary.
// One run at a time holds a data folder and a flash file (a lock file naming its pid).
// Exit codes: 0 done and sampled = delivered + dropped + buffered + filtered; 1 that invariant broke or the
// run failed; 2 bad options or configuration (every problem listed, never the token), or the data
// folder or flash file held by another run; 3 a --duration run that delivered nothing while
// readings waited (the summary's `undelivered` and stderr say why).

import { Command, CommanderError } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Snapshot } from "../firmware/core/agent.js";
import { redactTokens, REGIONS } from "../firmware/core/config.js";
import {
  DEFAULT_DATA_DIR,
  DEFAULT_FLASH_FILE,
  DEFAULT_SETTINGS_FILE,
  makePlan,
  SETTABLE_KEYS,
  TOKEN_ENV,
  type CliOptions,
  type FlashPlan,
  type Plan,
  type Target,
} from "./cli-plan.js";
import { ConsoleLogger, LOG_LEVELS } from "./ports/console-logger.js";
import { SimulatedDevice } from "./device/device.js";
import { DASHBOARD_NOTE, startEndpoint, type Endpoint } from "./endpoint/server.js";
import { FileFlash } from "./ports/flash-file.js";
import { ACCOUNT_TOKEN_FILE, curlCommand, loadOrCreateToken } from "./local-identity.js";
import { SettingsFile } from "./ports/settings-file.js";
import { NorFlash } from "../firmware/fakes/nor-flash.js";
import { acquireLock, LockHeld } from "./run-lock.js";
import { summarize } from "./device/run-summary.js";
import { formatStatus } from "../firmware/core/status.js";
import { StatusLine } from "./status-line.js";
import { errorMessage } from "../firmware/core/text.js";
import { runSetup } from "./setup/run.js";

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_UNDELIVERED = 3;

/** In the data folder while a run holds it. */
const DATA_DIR_LOCK = "lock";

type LocalTarget = Extract<Target, { kind: "local" }>;

function program(): Command {
  const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
  return new Command("npm start --")
    .description(
      "Run one simulated device (SHT3x + BMP280: temperature °C, humidity %, pressure Pa) with the agent core.\n" +
        "Without --token it starts a local TagoIO-compatible endpoint over TLS, with a dashboard, and posts there.",
    )
    .option("--token <uuid>", `device token for TagoIO or --endpoint (or env ${TOKEN_ENV}); selects real TagoIO`)
    .option("--host <name>", "TagoIO API host (default api.tago.io)")
    .option("--region <id>", `TagoIO region instead of --host: ${Object.keys(REGIONS).join(", ")}`)
    .option("--endpoint <url>", "any TagoIO-compatible endpoint: https://host[:port]")
    .option("--ca <file>", "trust this CA certificate (PEM) instead of the system roots")
    .option("--insecure-plain-http", "allow an http:// --endpoint (token and readings unencrypted)")
    .option("--data-dir <dir>", `local endpoint: data, CA and device token (default ${DEFAULT_DATA_DIR})`)
    .option("--port <n>", "local endpoint: port to listen on (default any free port)")
    .option("--print-data", "local endpoint: print the records this run stored (JSON lines) before the summary")
    .option("--virtual", "run on a virtual clock, as fast as it goes (needs --duration)")
    .option("--duration <time>", "device time to run, e.g. 24h, 90m, 3600s (bare numbers are ms), then exit")
    .option("--start <iso>", "virtual: wall time at boot (default now)")
    .option("--sync-after <time>", "virtual: boot with an untrusted 1970 clock that syncs after this device time")
    .option("--sample-interval <time>", "sampleIntervalMs as a duration, e.g. 1s")
    .option("--upload-interval <time>", "uploadIntervalMs as a duration, e.g. 60s")
    .option("--buffer <records>", "bufferCapacity: readings the RAM ring holds")
    .option("--mode <mode>", "always-on (default) or sleep: deep sleep between samples, uploading every uploadEvery wakes")
    .option("--phases <file>", "virtual: write the run's phase counts (boots, awake time, joins, handshakes, bytes) as JSON for npm run energy")
    .option(
      "--flash <file>",
      `journal to a flash kept in this file, written through at every write (default: <data-dir>/${DEFAULT_FLASH_FILE} ` +
        "for the local endpoint in real time, so a restart recovers what was not delivered; else a flash in memory)",
    )
    .option("--no-flash", "no flash journal: readings wait in the RAM ring only")
    .option(
      "--settings <file>",
      `the board's stored settings, which win over these options, which TagoIO parameters and --setup write (default: <data-dir>/${DEFAULT_SETTINGS_FILE} ` +
        "for the local endpoint in real time and for --setup; otherwise none, and parameters are not taken)",
    )
    .option("--flash-size <bytes>", "size of a new flash, e.g. 256k, 1m (default 256k; an existing file keeps its own)")
    .option("--flash-sector <bytes>", "erase sector of a new flash (default 4k)")
    .option(
      "--set <key=value>",
      `any agent setting, repeatable; keys: ${SETTABLE_KEYS.join(", ")}` +
        ` (variables as JSON: [{"name","unit","sensor","field"}])`,
      collect,
    )
    .option("--seed <n>", "seed of the simulated sensors and, in virtual runs, of the agent's jitter", "1")
    .option("--sensor-failure-rate <p>", "probability (0 to 1) that a sensor read fails")
    .option("--status-every <time>", "status line period when stderr is not a terminal", "10s")
    .option("--log-level <level>", `least severe log level shown: ${LOG_LEVELS.join(", ")}`, "info")
    .option("--setup", "serve the phone set-up page (Wi-Fi, Device-Token, region) on localhost instead of running the device")
    .option("--setup-port <n>", "--setup: port of the page (0: any free one)", "8080")
    .addHelpText(
      "after",
      `
Examples:
  npm start                                             local endpoint in ${DEFAULT_DATA_DIR}, real time
  npm start -- --virtual --duration 24h --sample-interval 1s
  npm start -- --virtual --duration 2h --flash run.bin  run again: delivers what run.bin holds
  npm start -- --mode sleep --virtual --duration 30d --sample-interval 60s   a month of wakes
  npm start -- --token <uuid> --region eu-w1            the real TagoIO
  npm start -- --endpoint https://127.0.0.1:8443 --token <uuid> --ca ca.pem
  npm start -- --setup                                  the phone set-up page at http://127.0.0.1:8080/

Exit codes: 0 done (sampled = delivered + dropped + buffered + filtered), 1 that invariant broke or the run
failed, 2 bad options or configuration, or the data folder or flash file in use by another run,
3 a --duration run that delivered nothing while readings waited (the summary says why).`,
    )
    .showHelpAfterError("(npm start -- --help lists every option)")
    .exitOverride();
}

/** Starts the local endpoint with the persisted device; returns it and the device's settings. */
async function startLocal(target: LocalTarget, planned: Record<string, unknown>, wallNow: () => number) {
  const { dataDir, port } = target;
  const token = loadOrCreateToken(dataDir);
  const accountToken = loadOrCreateToken(dataDir, ACCOUNT_TOKEN_FILE);
  const endpoint = await startEndpoint({ dataDir, port, devices: [{ token, name: "simulated-device" }], now: wallNow, accountToken }).catch(
    (e: unknown) => {
      throw new Error(`the local endpoint in ${dataDir} did not start: ${errorMessage(e)}`);
    },
  );
  process.stderr.write(
    `Local TagoIO endpoint: ${endpoint.url} (CA ${endpoint.caPemPath})\n` +
      `Dashboard: ${endpoint.dashboardUrl} (${DASHBOARD_NOTE})\n` +
      `Its data: ${curlCommand(dataDir, token, endpoint)}\n` +
      `Set a parameter: npm run tago-local:param -- key=value --data-dir ${dataDir}\n`,
  );
  if (endpoint.caNotice !== undefined) process.stderr.write(`WARNING: ${endpoint.caNotice}\n`);
  const config = { ...planned, token, host: new URL(endpoint.url).hostname, port: endpoint.port, https: true };
  const tls = { ca: endpoint.caPem, caName: endpoint.caPemPath };
  return { endpoint, token, config, tls };
}

function kib(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} bytes`;
}

/** The flash the plan asks for (a file is created or opened now), and a line saying what it is. */
function openFlash(plan: FlashPlan, seed: number): { flash: NorFlash | undefined; line: string } {
  if (plan.kind === "none") return { flash: undefined, line: "No flash journal: readings wait in the RAM ring only.\n" };
  const geometry = `${kib(plan.sectorSize * plan.sectorCount)}, ${plan.sectorCount} sectors of ${kib(plan.sectorSize)}`;
  if (plan.kind === "memory") {
    return { flash: new NorFlash({ ...plan, seed }), line: `Flash journal: in memory (${geometry}), gone at exit; --flash <file> keeps it.\n` };
  }
  const flash = FileFlash.open(plan.path, { ...plan, seed });
  return { flash, line: `Flash journal: ${plan.path} (${geometry}${plan.exists ? "" : ", new"}), written through at every write.\n` };
}

async function run(plan: Plan): Promise<number> {
  const started = performance.now();
  let device: SimulatedDevice | undefined;
  let status: StatusLine | undefined;
  const bootWallMs = plan.time.mode === "virtual" ? plan.time.startWallMs : undefined;
  const wallNow = () => device?.trueWallMs() ?? bootWallMs ?? Date.now();
  const logger = new ConsoleLogger({
    level: plan.logLevel,
    now: wallNow,
    write: (line) => (status !== undefined ? status.print(line) : process.stderr.write(line + "\n")),
  });

  // Held until exit: a second run on the same data folder or flash file would corrupt them.
  try {
    if (plan.target.kind === "local") {
      mkdirSync(plan.target.dataDir, { recursive: true });
      acquireLock(join(plan.target.dataDir, DATA_DIR_LOCK), `data folder ${plan.target.dataDir}`);
    }
    if (plan.flash.kind === "file") {
      mkdirSync(dirname(plan.flash.path), { recursive: true });
      acquireLock(`${plan.flash.path}.lock`, `flash file ${plan.flash.path}`);
    }
  } catch (e) {
    if (!(e instanceof LockHeld)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    return EXIT_USAGE;
  }

  let endpoint: Endpoint | undefined;
  let token: string | undefined;
  /** Where the endpoint's data ended before this run: --print-data prints what came after. */
  let runStart = 0;
  let config = plan.config;
  let tls = plan.tls;
  if (plan.target.kind === "local") {
    ({ endpoint, token, config, tls } = await startLocal(plan.target, plan.config, wallNow));
    runStart = endpoint.mark();
  } else {
    process.stderr.write(
      plan.target.kind === "tagoio"
        ? "Posting to TagoIO: see the data in the TagoIO console (Devices > this device > Data).\n"
        : `Posting to ${plan.target.url}\n`,
    );
  }
  // Errors from here on end the process, which closes the flash file: everything is in it already.
  const { flash, line } = openFlash(plan.flash, plan.seed);
  process.stderr.write(line);

  // The plan checked the configuration, the board and the journal: nothing is refused here.
  // A flash file an earlier run left holds boots this one cannot count.
  const bootsKnown = plan.flash.kind !== "file" || !plan.flash.exists;
  const settings = plan.settingsFile === undefined ? undefined : new SettingsFile(plan.settingsFile);
  if (settings !== undefined) {
    const stored = settings.keys();
    process.stderr.write(`Settings: ${settings.path} (${stored.length === 0 ? "none stored" : `stored: ${stored.join(", ")}; they win over the options`}); TagoIO parameters are taken.\n`);
  }
  device = new SimulatedDevice({ config, time: plan.time, logger, seed: plan.seed, sensorFailureRate: plan.sensorFailureRate, tls, flash, bootsKnown, settings });
  const running = device;
  // The agent as it was when the run ended: stopping it leaves the state "stopped".
  let ended: Snapshot | undefined;
  const end = () => {
    ended ??= running.agent.snapshot();
    running.stop();
  };
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(EXIT_FAILED);
    end();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  status = new StatusLine(process.stderr, () => formatStatus(running.agent.snapshot(), running.clock.monotonicMs()), plan.statusEveryMs);
  running.start();
  status.start();
  await running.runFor(plan.durationMs);
  end();
  status.stop();
  status = undefined;
  if (flash instanceof FileFlash) flash.close();

  if (endpoint !== undefined && plan.printData) {
    for (const record of endpoint.records(token, runStart)) process.stdout.write(JSON.stringify(record) + "\n");
  }
  const summary = summarize(ended as Snapshot, {
    mode: plan.time.mode,
    // The device's run only, not the printing after it.
    deviceMs: running.coveredDeviceMs as number,
    wallMs: performance.now() - started,
    storedRecords: endpoint?.count(token as string),
    flash: flash === undefined ? undefined : { file: flash instanceof FileFlash ? flash.path : null, bytes: flash.byteLength },
    sleep: running.mode === "sleep" ? running.sleepFigures() : undefined,
  });
  if (plan.phasesFile !== undefined) writeFileSync(plan.phasesFile, JSON.stringify(running.phaseCounts()) + "\n");
  await endpoint?.close();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  const w = summary.sleep;
  if (w !== undefined) {
    process.stderr.write(
      `sleep: ${w.wakes} wakes, ${w.radioWakes} with the radio up, ${summary.acknowledged} uploads acknowledged; flash read per wake ` +
        `${w.flashReadPerWake.mean} B mean, ${w.flashReadPerWake.max} B most; awake per wake ${w.awakeMsPerWake.mean} ms device time ` +
        `(${w.hostMsPerWake.mean} ms of host time); sampled = delivered + dropped + buffered + filtered: ${summary.invariantHolds ? "holds" : "BROKEN"}\n`,
    );
  }
  process.stdout.write(JSON.stringify(summary) + "\n");
  if (!summary.invariantHolds) {
    process.stderr.write("error: sampled != delivered + dropped + buffered\n");
    return EXIT_FAILED;
  }
  if (summary.undelivered === undefined) return EXIT_OK;
  // Only a run of a set length fails for it: one stopped by hand may not have reached its first upload.
  const failed = plan.durationMs !== undefined;
  process.stderr.write(`${failed ? "error" : "note"}: ${summary.undelivered}\n`);
  return failed ? EXIT_UNDELIVERED : EXIT_OK;
}

async function main(argv: string[]): Promise<number> {
  const cli = program();
  // Both set one value (the last given wins), so only the parse sees that both were given.
  const given = new Set<string>();
  cli.on("option:flash", () => given.add("flash")).on("option:no-flash", () => given.add("no-flash"));
  try {
    cli.parse(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw e;
  }
  const setup = cli.opts<{ setup?: boolean; setupPort: string; settings?: string; dataDir?: string }>();
  if (setup.setup === true) {
    const port = Number(setup.setupPort);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      process.stderr.write(`error: --setup-port: ${JSON.stringify(setup.setupPort)} is not a port number (0 to 65535)\n`);
      return EXIT_USAGE;
    }
    const file = setup.settings ?? join(setup.dataDir ?? DEFAULT_DATA_DIR, DEFAULT_SETTINGS_FILE);
    return runSetup({ store: new SettingsFile(file), storeName: file, port });
  }
  const planned = makePlan({ ...cli.opts<CliOptions>(), flashAndNoFlash: given.size === 2 }, process.env);
  if (!planned.ok) {
    process.stderr.write(`error: invalid options or configuration:\n  - ${planned.problems.join("\n  - ")}\n`);
    return EXIT_USAGE;
  }
  return run(planned.plan);
}

main(process.argv.slice(2)).then(
  // Exit once stdout has drained (pipes are asynchronous on some platforms).
  (code) => process.stdout.write("", () => process.exit(code)),
  (e: unknown) => {
    process.stderr.write(`error: ${redactTokens(errorMessage(e))}\n`);
    process.exit(EXIT_FAILED);
  },
);
