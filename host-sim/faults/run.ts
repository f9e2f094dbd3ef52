// One run of the fault campaign: a simulated device (host-sim/device/device.ts, its virtual-time
// driver) with a flash journal on the NOR emulator lives its plan's hours against the local endpoint,
// through the faulty transport. Power cuts strike at flash operations and reboot it (the device
// makes a new agent on the same flash, after some time off, sometimes with SNTP late), the wall
// clock jumps, bits flip on the flash, deactivated periods (400) come and go. Then the link heals, the device
// drains its backlog, and the ledger is held against the endpoint's store. In sleep mode every wake
// is a boot too, and the agent's counts run across boots (carried in its state), so a run's books
// take its last snapshot rather than one per boot.

import { DROP_REASONS, type Snapshot } from "../../firmware/core/agent.js";
import type { Logger } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { SimulatedDevice, type BootOptions, type PowerCutEvent } from "../device/device.js";
import type { Endpoint } from "../endpoint/server.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";
import { FaultyHttp } from "./faulty-http.js";
import type { HostileServer } from "./hostile-server.js";
import { assess, CAMPAIGN_VARIABLES, Ledger, type Assessment } from "./ledger.js";
import type { RunPlan, Weather } from "./plan.js";

const MINUTE = 60_000;
/** The longest the healed device gets to drain its backlog. */
const MAX_DRAIN_MS = 12 * 60 * MINUTE;

export interface RunEnvironment {
  endpoint: Endpoint;
  hostile: HostileServer;
  /** A port nothing listens on. */
  refusedPort: number;
  /** Where the run publishes true time, for the endpoint's clock. */
  world: { now: () => number };
}

export interface RunResult {
  seed: number;
  mode: RunPlan["mode"];
  boots: number;
  /** Faults met, by kind: transport faults injected, weather periods, power cuts, clock trouble. */
  faults: Record<string, number>;
  /** Readings dropped, by reason: the device's counters over all boots, and those cut while being journaled. */
  dropped: Record<string, number>;
  requests: number;
  /** The landing checks' counters over all boots (the snapshot's `landing`). */
  landing: Record<string, number>;
  /** Lost acknowledgements of stored batches, and how many the device posted again without a check first. */
  ackLost: number;
  ackLostResent: number;
  bufferedAtEnd: number;
  /** Token characters seen in a log line. */
  tokenLeaks: number;
  assessment: Assessment;
}

function bump(counts: Record<string, number>, kind: string, n = 1): void {
  counts[kind] = (counts[kind] ?? 0) + n;
}

export async function runOnce(plan: RunPlan, token: string, env: RunEnvironment): Promise<RunResult> {
  const random = new SeededRandom(plan.seed + 0x5bd1);
  const flash = new NorFlash({ sectorCount: plan.sectors, seed: plan.seed });
  const ledger = new Ledger();
  const faults: Record<string, number> = {};
  const dropped: Record<string, number> = {};
  const clockError = new Map<number, number>();
  let tokenLeaks = 0;
  const logger: Logger = {
    log: (_level, message) => {
      if (message.includes(token)) tokenLeaks++;
    },
  };
  let requests = 0;
  const landing: Record<string, number> = {};
  let droppingAtCuts = 0;

  /** A boot's end: its drops and requests into the run's books (sleep mode: the last boot's carry every one's). */
  const endBoot = (s: Snapshot, last = false): void => {
    if (plan.mode === "sleep" && !last) return;
    for (const reason of DROP_REASONS) if (s.dropped[reason] > 0) bump(dropped, reason, s.dropped[reason]);
    droppingAtCuts += s.journal?.dropping ?? 0;
    requests += s.requests;
    for (const [k, n] of Object.entries(s.landing)) bump(landing, k, n);
  };

  /** How the device comes back: sometimes with SNTP late (an untrusted clock for up to two hours). */
  const bootOptions = (offMs: number): BootOptions => {
    if (random.next() >= 0.35) return { offMs };
    bump(faults, "lateSntp");
    return { offMs, syncAfterMs: (1 + random.below(120)) * MINUTE };
  };

  const onPowerCut = (cut: PowerCutEvent): BootOptions => {
    bump(faults, "powerCut");
    if (cut.during === "recovery") {
      // Cut again while recovering: the power comes back at once.
      bump(faults, "powerCutInRecovery");
      return bootOptions(0);
    }
    if (cut.during === "answer") {
      // The answer being handled acknowledged a batch the device may not have released.
      bump(faults, "powerCutWhileSettling");
      const last = faulty.batches[faulty.batches.length - 1];
      if (last !== undefined) faulty.lostAck(last);
    } else {
      // The sample being journaled at that instant may or may not be on flash.
      ledger.markSampleCut(cut.wallMs, cut.boot);
    }
    if (cut.snapshot !== undefined) endBoot(cut.snapshot);
    return bootOptions((5 + random.below(20 * 60)) * 1000);
  };

  const bootWall = Date.UTC(2026, 0, 1) + (plan.seed % 1000) * 86_400_000;
  const first = bootOptions(0);
  let faulty!: FaultyHttp;
  const device: SimulatedDevice = new SimulatedDevice({
    config: {
      token,
      host: "127.0.0.1",
      port: env.endpoint.port,
      sampleIntervalMs: plan.sampleIntervalMs,
      bufferCapacity: plan.bufferCapacity,
      mode: plan.mode,
      uploadEvery: plan.uploadEvery,
      variables: CAMPAIGN_VARIABLES,
      // The ledger checks stored records against sensor readings only.
      telemetryIntervalMs: 0,
    },
    time: { mode: "virtual", startWallMs: bootWall, syncAfterMs: first.syncAfterMs },
    logger,
    tls: { ca: env.endpoint.caPem, caName: "the local endpoint's CA" },
    flash,
    sensors: () =>
      ledger.sensors(() => ({ at: device.trueWallMs(), boot: device.boots, untrusted: !device.clock.wallTrusted() })),
    http: (client) =>
      (faulty = new FaultyHttp(client, env.hostile, env.refusedPort, new SeededRandom(plan.seed + 7), plan.sporadic, () => device.boots)),
    random: (boot) => new SeededRandom(plan.seed * 31 + boot),
    onPowerCut,
  });

  const weather = (w: Weather): void => {
    bump(faults, `period:${w}`);
    faulty.weather = w;
    device.network.set(w !== "offline");
    env.endpoint.setDeviceActive(token, w !== "deactivated");
  };

  env.world.now = () => device.trueWallMs();
  const start = bootWall;
  try {
    device.start();
    const events: Array<{ at: number; apply: () => void }> = [
      ...plan.periods.map((p) => ({ at: p.at, apply: () => weather(p.weather) })),
      ...plan.cuts.map((c) => ({ at: c.at, apply: () => flash.armCut(c.afterOps, c.atByte) })),
      ...plan.rot.map((r) => ({
        at: r.at,
        apply: () => {
          bump(faults, r.header ? "headerRot" : "bitRot");
          flash.bytes[r.offset] ^= 1 << r.bit;
        },
      })),
      ...plan.jumps.map((j) => ({
        at: j.at,
        apply: () => {
          const clock = device.virtualClock;
          if (clock === undefined || !clock.wallTrusted()) return;
          bump(faults, "clockJump");
          clock.jumpWall(j.deltaMs);
          clockError.set(device.boots, (clockError.get(device.boots) ?? 0) + Math.abs(j.deltaMs));
        },
      })),
    ].sort((a, b) => a.at - b.at);
    for (const event of events) {
      await device.runUntil(start + event.at);
      event.apply();
    }
    await device.runUntil(start + plan.durationMs);

    // The link heals: no more faults, SNTP answers, the sensors go quiet, the backlog drains.
    weather("good");
    faulty.sporadic = 0;
    flash.disarm();
    const clock = device.virtualClock;
    if (clock !== undefined && !clock.wallTrusted()) clock.sync(device.trueWallMs());
    ledger.quiet = true;
    for (let waited = 0; waited < MAX_DRAIN_MS && device.agent.snapshot().buffered > 0; waited += MINUTE) {
      await device.runFor(MINUTE);
    }
    device.stop();
    const last = device.agent.snapshot();
    endBoot(last, true);
    for (const [kind, n] of Object.entries(faulty.injected)) bump(faults, kind, n);
    const assessment = assess({
      ledger,
      stored: env.endpoint.records(token),
      batches: faulty.batches,
      dropped: Object.values(dropped).reduce((a, b) => a + b, 0),
      droppingAtCuts,
      clockError,
    });
    if (assessment.cutLost > 0) bump(dropped, "powerCut", assessment.cutLost);
    if (droppingAtCuts > 0) bump(dropped, "bufferFull", droppingAtCuts);
    const { ackLost, ackLostResent } = faulty;
    return { seed: plan.seed, mode: plan.mode, boots: device.boots, faults, dropped, requests, landing, ackLost, ackLostResent, bufferedAtEnd: last.buffered, tokenLeaks, assessment };
  } finally {
    device.stop();
  }
}
