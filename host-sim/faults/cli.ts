// `npm run faults -- --runs N --seed S [--hours H]`: the fault campaign from the command line.
// Prints a line per run, a summary, and as the last line one JSON object with the figures. Exits 1
// when a requirement fails (anything lost, anything stored twice, a lost acknowledgement's readings
// posted again before a landing check, garbage, a wrong or pre-2024 time, the token in a log, the
// heap over its bound), 2 on bad options.

import { Command, CommanderError, InvalidArgumentError } from "commander";
import { runCampaign } from "./campaign.js";

function whole(min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min) throw new InvalidArgumentError(`must be a whole number of at least ${min}.`);
    return n;
  };
}

function hours(text: string): number {
  const n = Number(text);
  if (!(n > 0 && n <= 48)) throw new InvalidArgumentError("must be a number of hours above 0, at most 48.");
  return n;
}

const program = new Command("faults")
  .description("Seeded fault campaign: a device with a flash journal against the local endpoint through injected faults and power cuts.")
  .option("--runs <n>", "runs", whole(1), 20)
  .option("--seed <n>", "seed of the first run", whole(0), 1)
  .option("--hours <h>", "virtual hours of faults per run", hours, 4)
  .option("--max-heap <mb>", "bound on the heap after a run, MB", whole(16), 512)
  .option("--quiet", "no line per run")
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

let options: { runs: number; seed: number; hours: number; maxHeap: number; quiet?: boolean };
try {
  options = program.parse(process.argv).opts();
} catch (e) {
  process.exit(e instanceof CommanderError && e.exitCode === 0 ? 0 : 2);
}

const result = await runCampaign({
  runs: options.runs,
  seed: options.seed,
  hours: options.hours,
  maxHeapMB: options.maxHeap,
  progress: options.quiet ? undefined : (line) => console.log(line),
});

const l = result.landing;
const landing =
  `${l.checks ?? 0} GETs (${l.checkFailures ?? 0} failed), batches found stored ${l.found ?? 0}, in part ${l.partial ?? 0}, ` +
  `missing ${l.missing ?? 0}, resent unchecked after checkDeadlineMs ${l.resentAnyway ?? 0}, uncheckable ${l.unchecked ?? 0}`;
const dropped = Object.entries(result.dropped).map(([k, n]) => `${k} ${n}`).join(", ") || "none";
const faults = Object.entries(result.faults)
  .sort((a, b) => b[1] - a[1])
  .map(([k, n]) => `${k} ${n}`)
  .join(", ");
console.log(
  [
    `${result.runs} runs of ${result.hours} h (seed ${result.seed}, ${result.sleepRuns} in sleep mode), ${result.boots} boots, ${result.requests} requests, ${Math.round(result.wallMs / 1000)} s`,
    `faults: ${faults}`,
    `sampled ${result.sampled}, delivered ${result.delivered}, dropped: ${dropped}, still buffered ${result.bufferedAtEnd}`,
    `duplicated ${result.duplicated} (unexplained ${result.unexplainedDuplicates}), lost ${result.lost}, unknown ${result.unknown}, bad times ${result.badTime}, earliest stored ${result.earliestStored}`,
    `lost acknowledgements ${result.ackLost}, posted again before a check ${result.ackLostResent}; landing checks: ${landing}`,
    `heap after a run at most ${result.maxHeapUsedMB} MB; token in logs ${result.tokenLeaks}`,
    result.ok ? "all requirements hold" : `FAILED: ${result.failures.join("; ")}`,
  ].join("\n"),
);
console.log(JSON.stringify(result));
process.exitCode = result.ok ? 0 : 1;
