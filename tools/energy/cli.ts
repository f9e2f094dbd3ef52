// `npm run energy`: the energy model from the command line. Runs the device patterns on the
// virtual clock against a local endpoint, replays their phases against the power profile (the
// defaults, or --profile <file.json>), prints a table of the counts and where the charge goes,
// and as the last line one JSON object: `sleep`, `alwaysOn` and `baseline`, each with
// `averageMa`, `mAhPerDay` and `days` on the battery, and the goal.
// Exit codes: 0 when run; 1 when a run failed; 2 for bad options or a bad profile (every problem
// listed, each naming its field).

import { Command, CommanderError, InvalidArgumentError } from "commander";
import { readFileSync } from "node:fs";
import { errorMessage } from "../../firmware/core/text.js";
import { parseDuration } from "../../host-sim/duration.js";
import { PATTERNS, runModel, type PatternResult } from "./model.js";
import { DEFAULT_PROFILE, parseProfile, type PowerProfile } from "./profile.js";
import type { WakeFigures } from "./wake-figures.js";

function positive(text: string): number {
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError("must be a number above 0.");
  return n;
}

function duration(min: number): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < min) throw new InvalidArgumentError(`must be a duration of at least ${min / 60_000} minutes, like 6h or 1d.`);
    return ms;
  };
}

const program = new Command("energy")
  .description(
    "Battery life of the agent in sleep mode, the agent always-on and the wake-connect-send-one baseline, " +
      "from their virtual runs' phases and a power profile of an ESP32 module.",
  )
  .option("--profile <file>", "a power profile (JSON); what it leaves out keeps the default")
  .option("--battery-mah <mAh>", "usable battery charge", positive, 2500)
  .option("--duration <time>", "virtual time each pattern runs", duration(3_600_000), 86_400_000)
  .option("--sample-interval <time>", "one sample of every sensor this often", duration(1_000), 60_000)
  .option("--upload-interval <time>", "uploads this often (the baseline sends at every sample)", duration(60_000), 3_600_000)
  .option("--print-profile", "print the profile in use as JSON and stop")
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

interface Options {
  profile?: string;
  batteryMah: number;
  duration: number;
  sampleInterval: number;
  uploadInterval: number;
  printProfile?: boolean;
}

let options: Options;
try {
  options = program.parse(process.argv).opts<Options>();
} catch (e) {
  process.exit(e instanceof CommanderError && e.exitCode === 0 ? 0 : 2);
}

function loadProfile(path: string | undefined): { profile: PowerProfile; fromDefaults: string[] } {
  if (path === undefined) return { profile: DEFAULT_PROFILE, fromDefaults: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    console.error(`energy: --profile ${path}: ${errorMessage(e)}`);
    process.exit(2);
  }
  const checked = parseProfile(raw);
  if (!checked.ok) {
    for (const problem of checked.problems) console.error(`energy: --profile ${path}: ${problem}`);
    process.exit(2);
  }
  return checked;
}

const { profile, fromDefaults } = loadProfile(options.profile);
if (options.printProfile) {
  console.log(JSON.stringify(profile, undefined, 2));
  process.exit(0);
}
if (fromDefaults.length > 0) console.error(`energy: defaults kept for ${fromDefaults.join(", ")}`);

const hours = (ms: number): string => (ms / 3_600_000).toFixed(2);
const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

function row(name: string, r: PatternResult): string {
  const c = r.counts;
  const e = r.energy;
  return [
    name.padEnd(9),
    String(c.boots).padStart(6),
    String(c.samples).padStart(8),
    String(c.wifiJoins).padStart(6),
    String(c.tlsHandshakes).padStart(11),
    String(c.requests).padStart(9),
    kb(c.bytesSent).padStart(9),
    kb(c.bytesReceived).padStart(9),
    (e.awakeMs / 1000).toFixed(1).padStart(8),
    hours(c.sleepMs).padStart(8),
    hours(c.idleMs).padStart(7),
    e.averageMa.toFixed(4).padStart(9),
    e.mAhPerDay.toFixed(2).padStart(8),
    e.days.toFixed(1).padStart(8),
  ].join(" ");
}

function wakeRow(name: string, f: WakeFigures): string {
  const cell = (m: { mean: number; max: number }, width: number): string => `${m.mean} / ${m.max}`.padStart(width);
  return [
    name.padEnd(12),
    String(f.wakes).padStart(5),
    cell(f.computrons, 19),
    cell(f.flashBytesRead, 15),
    cell(f.flashBytesProgrammed, 13),
    cell(f.flashPagePrograms, 11),
    cell(f.flashSectorsErased, 10),
    cell(f.agentMs, 15),
  ].join(" ");
}

function printWakes(summary: Record<string, unknown>): void {
  const wakes = summary.wakes as { sampleOnly: WakeFigures; upload: WakeFigures } | undefined;
  const rate = summary.xsRate as { computronsPerSecond: number; daysAtHalfRate: number; daysAtDoubleRate: number } | undefined;
  if (wakes === undefined || rate === undefined) return;
  console.log("sleep mode's work per wake (the power-on left out), mean / worst wake:");
  console.log("kind         wakes    XS computrons   flash read B  programmed B       pages    erases  agent's own ms");
  console.log(wakeRow("sample-only", wakes.sampleOnly));
  console.log(wakeRow("upload", wakes.upload));
  console.log(
    `XS work charged at ${rate.computronsPerSecond} computrons a second (profile xsPerMillionComputrons); ` +
      `sleep mode at half that rate: ${rate.daysAtHalfRate} days, at double: ${rate.daysAtDoubleRate} days`,
  );
}

try {
  const { results, summary } = await runModel({
    profile,
    batteryMah: options.batteryMah,
    durationMs: options.duration,
    sampleIntervalMs: options.sampleInterval,
    uploadIntervalMs: options.uploadInterval,
  });
  console.log(
    `profile "${profile.name}", battery ${options.batteryMah} mAh; a sample every ${options.sampleInterval / 1000} s of 3 variables, ` +
      `uploads every ${options.uploadInterval / 60_000} min; each pattern ran ${hours(options.duration)} h of virtual time`,
  );
  console.log("pattern    boots  samples  joins  handshakes  requests  KB sent  KB recv  awake s  sleep h  idle h   avg mA  mAh/day     days");
  for (const pattern of PATTERNS) {
    const r = results[pattern];
    console.log(r === undefined ? `${pattern.padEnd(9)} not run` : row(pattern, r));
  }
  console.log("where the charge goes, mAh a day:");
  for (const pattern of PATTERNS) {
    const r = results[pattern];
    if (r === undefined) continue;
    const perDay = 86_400_000 / r.counts.deviceMs;
    const parts = Object.entries(r.energy.breakdown)
      .filter(([, mAh]) => mAh > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([phase, mAh]) => `${phase} ${(mAh * perDay).toFixed(2)}`);
    console.log(`  ${pattern}: ${parts.join(", ")}`);
  }
  printWakes(summary);
  console.log(JSON.stringify(summary));
} catch (e) {
  console.error(`energy: ${errorMessage(e)}`);
  process.exit(1);
}
