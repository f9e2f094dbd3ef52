// A conformance scenario with a flash journal: the real agent core on the portable NOR-flash
// emulator (firmware/fakes/nor-flash.ts), through one or more boots on the same flash bytes. Each
// boot is a new virtual clock (uptime from 0), a new scripted transport and a new agent; "world"
// time runs on across boots and the power-off time between them. A boot ends when its time is up
// ("stop": the agent is stopped, as a reboot would), or where an armed power cut strikes ("cut":
// the flash throws and nothing of that boot runs any more). Portable, like scenario.ts: the same
// code runs on XS and on Node, and everything it records is plain data.

import { Agent, type Snapshot } from "../../firmware/core/agent.js";
import type { HttpRequest, Sensor } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { NorFlash, PowerCut } from "../../firmware/fakes/nor-flash.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { bodyText, ScriptedHttp, type Answer } from "../../firmware/fakes/scripted-http.js";
import { TURNS } from "../../tools/xs/drive.js";
import type { Exchange } from "./scenario.js";
import { checkAnswer } from "./results-portable.js";

export interface BootSpec {
  /** How long the boot runs (uptime), unless a power cut ends it first. */
  durationMs: number;
  /** SNTP answers this long after boot (the RTC reads 1970 until then); trusted from boot when absent. */
  syncAfterMs?: number;
  /**
   * A power cut: once world time reaches `atMs`, the flash operation `afterOps` operations later
   * (0: the next one) is cut at byte `atByte`.
   */
  cut?: { atMs: number; afterOps: number; atByte: number };
  /** Bit rot before the boot: each flash byte at `offset` XORed with `bits`. */
  damage?: Array<{ offset: number; bits: number }>;
  /** This boot's variable list, when it is not the configuration's. */
  variables?: unknown[];
}

export interface JournalScenarioSpec {
  /** Raw agent configuration; the flash journal is on by default. */
  config: Record<string, unknown>;
  flash: { sectorCount: number; sectorSize: number; seed: number };
  /** Wall clock at world time 0, when the first boot starts. */
  wallStartMs: number;
  /** In order, each on the flash the one before left. */
  boots: BootSpec[];
  /** The power is off this long between two boots. */
  offMs: number;
  /** Snapshots at these world times (taken before anything due later runs). */
  probesMs?: number[];
  /** The scripted server; `worldMs` is the world time the request was made, `index` counts across boots. */
  answer(request: HttpRequest, index: number, worldMs: number): Answer;
}

/** A request; its `atMs` is world time (not uptime). */
export interface JournalExchange extends Exchange {
  /** The boot that made it, from 0. */
  boot: number;
}

/** One sample of one sensor, as the agent got it. */
export interface LedgerEntry {
  boot: number;
  /** World time of the sample. */
  atMs: number;
  /** The device's clock was trusted when it was taken. */
  trusted: boolean;
  sensor: string;
  sample: unknown;
  /** Taken in the step a power cut ended: it may not have reached the journal. */
  atCut: boolean;
}

export interface BootResult {
  /** World time the boot started. */
  atMs: number;
  /** The agent's snapshot right after it was built (journal recovered), before it started. */
  first: Snapshot;
  /** Its snapshot when the boot ended. */
  last: Snapshot;
  endedBy: "stop" | "cut";
  /** The PowerCut's message when a cut ended the boot. */
  cut?: string;
}

export interface FlashImage {
  /** Every byte of the partition, as lower-case hex. */
  hex: string;
  eraseCounts: number[];
  operations: number;
  bytesWritten: number;
  erases: number;
}

export interface JournalScenarioResult {
  boots: BootResult[];
  /** World time and snapshot of each probe. */
  probes: Array<{ atMs: number; snapshot: Snapshot }>;
  /** Every request, in the world time (`atMs`) it was made. */
  exchanges: JournalExchange[];
  ledger: LedgerEntry[];
  /** "boot uptime level message" */
  logs: string[];
  flash: FlashImage;
}

const SENSOR_SEED = 42;
const RANDOM_SEED = 7;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? "0" : "") + i.toString(16));

function image(flash: NorFlash): FlashImage {
  const parts: string[] = [];
  const bytes = flash.bytes;
  for (let at = 0; at < bytes.length; at += flash.sectorSize) {
    let text = "";
    for (let i = at; i < at + flash.sectorSize; i++) text += HEX[bytes[i]];
    parts.push(text);
  }
  return {
    hex: parts.join(""),
    eraseCounts: Array.from(flash.eraseCounts),
    operations: flash.operations,
    bytesWritten: flash.bytesWritten,
    erases: flash.erases,
  };
}

export async function runJournalScenario(spec: JournalScenarioSpec): Promise<JournalScenarioResult> {
  const flash = new NorFlash(spec.flash);
  const boots: BootResult[] = [];
  const probed: JournalScenarioResult["probes"] = [];
  const exchanges: JournalExchange[] = [];
  const ledger: LedgerEntry[] = [];
  const logs: string[] = [];
  const probes = spec.probesMs ?? [];
  let probe = 0;
  let index = 0;
  let bootAt = 0;

  for (const [boot, bootSpec] of spec.boots.entries()) {
    flash.powerOn();
    for (const { offset, bits } of bootSpec.damage ?? []) flash.bytes[offset] ^= bits;
    const wallAtBoot = spec.wallStartMs + bootAt;
    const sync = bootSpec.syncAfterMs;
    const clock = new VirtualClock({ wallStartMs: sync === undefined ? wallAtBoot : 0, trusted: sync === undefined });
    if (sync !== undefined) clock.set(() => clock.sync(wallAtBoot + sync), sync);
    const worldOf = (uptimeMs: number): number => bootAt + uptimeMs;
    const http = new ScriptedHttp(clock, (request) => {
      const atMs = worldOf(clock.monotonicMs());
      exchanges.push({ boot, atMs, headers: request.headers.map(([n, v]): [string, string] => [n, v]), body: bodyText(request), outcome: "pending" });
      return spec.answer(request, index++, atMs);
    });
    const firstExchange = exchanges.length;
    const recorded = (sensor: Sensor): Sensor => ({
      name: sensor.name,
      sample: () => {
        const sample = sensor.sample();
        ledger.push({ boot, atMs: worldOf(clock.monotonicMs()), trusted: clock.wallTrusted(), sensor: sensor.name, sample, atCut: false });
        return sample;
      },
    });
    const agent = Agent.create(
      bootSpec.variables === undefined ? { ...spec.config } : { ...spec.config, variables: bootSpec.variables },
      {
        clock,
        timers: clock,
        http,
        sensors: simulatedSensors({ clock, seed: SENSOR_SEED + boot }).map(recorded),
        network: { online: () => true },
        logger: { log: (level, message) => logs.push(`${boot} ${clock.monotonicMs()} ${level} ${message}`) },
        random: new SeededRandom(RANDOM_SEED + boot),
        flash,
      },
    );
    const first = agent.snapshot();
    agent.start();

    const cut = bootSpec.cut;
    let armed = false;
    let cutMessage: string | undefined;
    for (;;) {
      const due = clock.nextDue();
      if (due === undefined || due > bootSpec.durationMs) break;
      while (probe < probes.length && worldOf(due) > probes[probe]) {
        probed.push({ atMs: probes[probe], snapshot: agent.snapshot() });
        probe++;
      }
      if (cut !== undefined && !armed && worldOf(due) >= cut.atMs) {
        flash.armCut(cut.afterOps, cut.atByte);
        armed = true;
      }
      const before = ledger.length;
      try {
        clock.runNext(bootSpec.durationMs);
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
        for (let i = before; i < ledger.length; i++) ledger[i].atCut = true;
        cutMessage = e.message;
        break;
      }
      for (let i = 0; i < TURNS; i++) await undefined;
      if (flash.poweredOff) {
        // The cut struck in a promise reaction (an answer being handled): the agent reported it.
        cutMessage = "power cut while an answer was handled";
        break;
      }
    }
    if (cutMessage === undefined) clock.advanceTo(bootSpec.durationMs);
    const last = agent.snapshot();
    if (cutMessage === undefined) agent.stop();
    for (let i = firstExchange; i < exchanges.length; i++) {
      const { request, result } = http.log[i - firstExchange];
      exchanges[i].outcome = result === undefined ? "pending" : result.ok ? result.response.status : result.error;
      Object.assign(exchanges[i], checkAnswer(request, result));
    }
    boots.push({ atMs: bootAt, first, last, endedBy: cutMessage === undefined ? "stop" : "cut", cut: cutMessage });
    bootAt = worldOf(clock.monotonicMs()) + spec.offMs;
  }
  return { boots, probes: probed, exchanges, ledger, logs, flash: image(flash) };
}
