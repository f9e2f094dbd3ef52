// One run of the fault campaign: a device with a flash journal (on the NOR emulator) lives its
// plan's hours in virtual time against the local endpoint, through the faulty transport. Power
// cuts strike at flash operations and reboot it (a new agent on the same flash, after some time
// off, sometimes with SNTP late), the wall clock jumps, 401 periods come and go. Then the link
// heals, the device drains its backlog, and the ledger is held against the endpoint's store.
// Device time stands still while an exchange is on the wire, as in host-sim/device.ts.

import { Agent, DROP_REASONS, type Snapshot } from "../../firmware/core/agent.js";
import type { Logger } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import type { Endpoint } from "../endpoint/server.js";
import { SwitchableNetwork } from "../network.js";
import { NodeHttpClient } from "../node-http.js";
import { NorFlash, PowerCut } from "../nor-flash.js";
import { TrackingHttp } from "../tracking-http.js";
import { VirtualClock } from "../virtual-clock.js";
import { FaultyHttp } from "./faulty-http.js";
import type { HostileServer } from "./hostile-server.js";
import { assess, CAMPAIGN_VARIABLES, Ledger, type Assessment } from "./ledger.js";
import type { RunPlan, Weather } from "./plan.js";

const MINUTE = 60_000;
/** Timer callbacks between two turns of the event loop when nothing is on the wire. */
const TIMERS_PER_YIELD = 2_000;
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
  boots: number;
  /** Faults met, by kind: transport faults injected, weather periods, power cuts, clock trouble. */
  faults: Record<string, number>;
  /** Readings dropped, by reason: the device's counters over all boots, and those cut while being journaled. */
  dropped: Record<string, number>;
  requests: number;
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
  const network = new SwitchableNetwork();
  const faults: Record<string, number> = {};
  const dropped: Record<string, number> = {};
  const clockError = new Map<number, number>();
  let tokenLeaks = 0;
  const logger: Logger = {
    log: (_level, message) => {
      if (message.includes(token)) tokenLeaks++;
    },
  };
  const client = new NodeHttpClient({ logger, ca: env.endpoint.caPem, caName: "the local endpoint's CA" });
  const faulty = new FaultyHttp(client, env.hostile, env.refusedPort, new SeededRandom(plan.seed + 7), plan.sporadic);
  const http = new TrackingHttp(faulty);
  const config = {
    token,
    host: "127.0.0.1",
    port: env.endpoint.port,
    sampleIntervalMs: plan.sampleIntervalMs,
    bufferCapacity: plan.bufferCapacity,
    variables: CAMPAIGN_VARIABLES,
  };

  let bootWall = Date.UTC(2026, 0, 1) + (plan.seed % 1000) * 86_400_000;
  let clock!: VirtualClock;
  let agent!: Agent;
  let boots = 0;
  let requests = 0;
  let droppingAtCuts = 0;
  const world = (): number => bootWall + clock.monotonicMs();
  const sensors = ledger.sensors(() => ({ at: world(), boot: boots, untrusted: !clock.wallTrusted() }));

  const boot = (): void => {
    for (;;) {
      boots++;
      const late = random.next() < 0.35;
      clock = new VirtualClock({ wallStartMs: late ? 0 : bootWall, trusted: !late });
      if (late) {
        bump(faults, "lateSntp");
        const c = clock;
        const wall = bootWall;
        c.set(() => c.sync(wall + c.monotonicMs()), (1 + random.below(120)) * MINUTE);
      }
      faulty.boot = boots;
      clockError.set(boots, 0);
      try {
        agent = Agent.create(config, { clock, timers: clock, http, sensors, network, logger, random: new SeededRandom(plan.seed * 31 + boots), flash });
        agent.start();
        return;
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
        bump(faults, "powerCut");
        bump(faults, "powerCutInRecovery");
        flash.powerOn();
      }
    }
  };

  const endBoot = (): Snapshot => {
    const s = agent.snapshot();
    for (const reason of DROP_REASONS) if (s.dropped[reason] > 0) bump(dropped, reason, s.dropped[reason]);
    droppingAtCuts += s.journal?.dropping ?? 0;
    requests += s.requests;
    agent.stop();
    return s;
  };

  const powerCut = (inSettle: boolean): void => {
    bump(faults, "powerCut");
    if (inSettle) {
      // The answer being handled acknowledged a batch the device may not have released.
      bump(faults, "powerCutWhileSettling");
      const last = faulty.batches[faulty.batches.length - 1];
      if (last?.outcome === "acknowledged") last.outcome = "ack-lost";
    }
    endBoot();
    flash.powerOn();
    bootWall = world() + (5 + random.below(20 * 60)) * 1000;
    boot();
  };

  /** Runs device time until true time `target` (at once if the device is off till later). */
  const advanceTo = async (target: number): Promise<void> => {
    let sinceYield = 0;
    for (;;) {
      if (http.inFlight > 0 || sinceYield >= TIMERS_PER_YIELD) {
        await http.settled();
        await new Promise<void>((resolve) => setImmediate(resolve));
        sinceYield = 0;
        if (flash.poweredOff) powerCut(true);
        continue;
      }
      const limit = target - bootWall;
      const before = ledger.entries.length;
      let ran: boolean;
      try {
        ran = clock.runNext(limit);
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
        ledger.markCut(before);
        powerCut(false);
        continue;
      }
      if (!ran) {
        clock.advanceTo(limit);
        return;
      }
      sinceYield++;
    }
  };

  const weather = (w: Weather): void => {
    bump(faults, `period:${w}`);
    faulty.weather = w;
    network.set(w !== "offline");
    env.endpoint.setDeviceActive(token, w !== "auth");
  };

  env.world.now = () => world();
  const start = bootWall;
  try {
    boot();
    const events: Array<{ at: number; apply: () => void }> = [
      ...plan.periods.map((p) => ({ at: p.at, apply: () => weather(p.weather) })),
      ...plan.cuts.map((c) => ({ at: c.at, apply: () => flash.armCut(c.afterOps, c.atByte) })),
      ...plan.jumps.map((j) => ({
        at: j.at,
        apply: () => {
          if (!clock.wallTrusted()) return;
          bump(faults, "clockJump");
          clock.jumpWall(j.deltaMs);
          clockError.set(boots, (clockError.get(boots) ?? 0) + Math.abs(j.deltaMs));
        },
      })),
    ].sort((a, b) => a.at - b.at);
    for (const event of events) {
      await advanceTo(start + event.at);
      event.apply();
    }
    await advanceTo(start + plan.durationMs);

    // The link heals: no more faults, SNTP answers, the sensors go quiet, the backlog drains.
    weather("good");
    faulty.sporadic = 0;
    flash.disarm();
    if (!clock.wallTrusted()) clock.sync(world());
    ledger.quiet = true;
    for (let waited = 0; waited < MAX_DRAIN_MS && agent.snapshot().buffered > 0; waited += MINUTE) {
      await advanceTo(world() + MINUTE);
    }
    const last = endBoot();
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
    return { seed: plan.seed, boots, faults, dropped, requests, bufferedAtEnd: last.buffered, tokenLeaks, assessment };
  } finally {
    client.close();
  }
}
