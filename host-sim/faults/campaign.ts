// The fault campaign: seeded runs of a device with a flash journal against the local endpoint
// (over real TLS) through injected faults, each held against its ledger. The requirements it
// judges: nothing lost, nothing stored twice, no lost acknowledgement's readings posted again
// before a landing check asked, no garbage stored, no time before 2024 and none wrong, the token
// in no log line, memory bounded. One endpoint and one
// hostile server serve every run; each run has its own device token.

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EARLIEST_TRUSTED_MS } from "../../firmware/core/timebase.js";
import { loadOrCreateIdentity } from "../endpoint/certs.js";
import { startEndpoint } from "../endpoint/server.js";
import { HostileServer } from "./hostile-server.js";
import { planRun } from "./plan.js";
import { runOnce, type RunEnvironment, type RunResult } from "./run.js";

export interface CampaignOptions {
  runs: number;
  seed: number;
  /** Virtual hours of faults per run (the drain after them comes on top). */
  hours: number;
  /** Bound on the process heap after a run, in MB. */
  maxHeapMB?: number;
  /** Called with a line per run. */
  progress?: (line: string) => void;
}

export interface CampaignResult {
  runs: number;
  seed: number;
  hours: number;
  /** Runs in sleep mode (a boot per wake), among `runs`. */
  sleepRuns: number;
  boots: number;
  requests: number;
  /** The landing checks' counters summed over every boot: `checks` is the GETs they sent. */
  landing: Record<string, number>;
  /** Lost acknowledgements of stored batches, and those whose readings went again before a check asked. */
  ackLost: number;
  ackLostResent: number;
  faults: Record<string, number>;
  sampled: number;
  delivered: number;
  dropped: Record<string, number>;
  duplicated: number;
  unexplainedDuplicates: number;
  lost: number;
  unknown: number;
  badTime: number;
  earliestStored: string | null;
  bufferedAtEnd: number;
  tokenLeaks: number;
  maxHeapUsedMB: number;
  wallMs: number;
  /** The requirements that failed, each with the runs (seeds) that broke it. */
  failures: string[];
  ok: boolean;
}

const DEFAULT_MAX_HEAP_MB = 512;

function tokenFor(seed: number): string {
  const hex = (seed >>> 0).toString(16).padStart(12, "0").slice(-12);
  return `00000000-0000-4000-8000-${hex}`;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** The requirements a run broke, each with how badly. */
function broken(r: RunResult, heapMB: number, maxHeapMB: number): Array<[requirement: string, figure: number]> {
  const a = r.assessment;
  const checks: Array<[string, number]> = [
    ["readings lost", a.lost],
    ["readings stored twice", a.duplicated],
    ["lost acknowledgements posted again before a landing check", r.ackLostResent],
    ["records matching no sampled reading", a.unknown],
    ["times wrong, pre-2024 or missing", a.badTime],
    ["stored times before 2024", a.earliestStoredMs < EARLIEST_TRUSTED_MS ? 1 : 0],
    ["log lines with the token", r.tokenLeaks],
    ["readings still buffered after the drain", r.bufferedAtEnd],
    [`heap MB over ${maxHeapMB}`, heapMB > maxHeapMB ? heapMB : 0],
  ];
  return checks.filter(([, n]) => n > 0);
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const started = performance.now();
  const maxHeapMB = options.maxHeapMB ?? DEFAULT_MAX_HEAP_MB;
  const dataDir = mkdtempSync(join(tmpdir(), "faults-"));
  const seeds = Array.from({ length: options.runs }, (_, i) => options.seed * 10_007 + i);
  const world = { now: () => Date.now() };
  const endpoint = await startEndpoint({ dataDir, devices: seeds.map((s) => ({ token: tokenFor(s) })), now: () => world.now() });
  const hostile = await HostileServer.start(await loadOrCreateIdentity(dataDir), options.seed);
  const env: RunEnvironment = { endpoint, hostile, refusedPort: await closedPort(), world };
  const result: CampaignResult = {
    runs: 0,
    seed: options.seed,
    hours: options.hours,
    sleepRuns: 0,
    boots: 0,
    requests: 0,
    landing: {},
    ackLost: 0,
    ackLostResent: 0,
    faults: {},
    sampled: 0,
    delivered: 0,
    dropped: {},
    duplicated: 0,
    unexplainedDuplicates: 0,
    lost: 0,
    unknown: 0,
    badTime: 0,
    earliestStored: null,
    bufferedAtEnd: 0,
    tokenLeaks: 0,
    maxHeapUsedMB: 0,
    wallMs: 0,
    failures: [],
    ok: true,
  };
  const failed = new Map<string, number[]>();
  let earliest = Infinity;
  try {
    for (const seed of seeds) {
      const r = await runOnce(planRun(seed, options.hours), tokenFor(seed), env);
      const a = r.assessment;
      const heapMB = Math.round(process.memoryUsage().heapUsed / 1_048_576);
      result.runs++;
      if (r.mode === "sleep") result.sleepRuns++;
      result.boots += r.boots;
      result.requests += r.requests;
      add(result.landing, r.landing);
      result.ackLost += r.ackLost;
      result.ackLostResent += r.ackLostResent;
      add(result.faults, r.faults);
      add(result.dropped, r.dropped);
      result.sampled += a.sampled;
      result.delivered += a.delivered;
      result.duplicated += a.duplicated;
      result.unexplainedDuplicates += a.unexplainedDuplicates;
      result.lost += a.lost;
      result.unknown += a.unknown;
      result.badTime += a.badTime;
      result.bufferedAtEnd += r.bufferedAtEnd;
      result.tokenLeaks += r.tokenLeaks;
      result.maxHeapUsedMB = Math.max(result.maxHeapUsedMB, heapMB);
      earliest = Math.min(earliest, a.earliestStoredMs);
      const problems = broken(r, heapMB, maxHeapMB);
      for (const [requirement] of problems) failed.set(requirement, [...(failed.get(requirement) ?? []), seed]);
      const verdict = problems.map(([requirement, n]) => `${requirement}: ${n}`).join("; ");
      options.progress?.(
        `run ${result.runs}/${options.runs} seed ${seed} (${r.mode}): ${r.boots} boots, sampled ${a.sampled}, delivered ${a.delivered}, ` +
          `duplicated ${a.duplicated}, lost ${a.lost}${verdict === "" ? "" : ` FAILED: ${verdict}`}`,
      );
    }
  } finally {
    await hostile.close();
    await endpoint.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  result.earliestStored = Number.isFinite(earliest) ? new Date(earliest).toISOString() : null;
  result.failures = [...failed].map(([what, runs]) => `${what} (seeds ${runs.join(", ")})`);
  result.ok = result.failures.length === 0;
  result.wallMs = Math.round(performance.now() - started);
  return result;
}
