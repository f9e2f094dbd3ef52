// Measures the agent and the baseline on the real XS engine (xsnap, metered). Every figure is the
// difference of two runs divided by the difference in readings (a slope), so fixed costs such as
// validating the configuration or building the device cancel out.
// - computrons: online runs of 10 and 60 minutes at 1 Hz, less the fixture (virtual clock, driver
//   turns, simulated sensors), which both devices pay alike and no device runs;
// - RAM: offline runs buffering 1,200 and 4,800 readings, then gc(): live slots from the metering,
//   live bytes from the size of a heap snapshot (live slots plus live chunks, 64-bit layout);
//   chunk bytes = snapshot bytes - slots * the slot size measured here; device bytes = slots * 16
//   (a slot on the 32-bit ESP32) + chunk bytes (as measured on 64-bit: an upper bound);
// - wire: one online hour with every request's bytes counted.

import { bundle } from "../tools/xs/bundle.js";
import { command, replyValue } from "../tools/xs/command-host.js";
import { runOnXs } from "../tools/xs/engines.js";
import type { XsStep, XsStepResult } from "../tools/xs/xs-jobs.js";
import type { Device, RunFigures, RunOptions } from "./workloads.js";

const SHORT_S = 600;
const LONG_S = 3_600;
const FILL_SMALL = 1_200;
const FILL_LARGE = 4_800;
const SLOT_PROBE = 20_000;
const READINGS_PER_SAMPLE = 3;
/** Bytes of an XS slot on a 32-bit ESP32: next pointer, id/flag/kind, 8-byte value. */
export const DEVICE_SLOT_BYTES = 16;

export interface DeviceFigures {
  /** The device's own computrons per reading: sampling, buffering, encoding, acknowledging. */
  computronsPerReading: number;
  /** The part spent sampling and buffering (measured offline). */
  samplingComputronsPerReading: number;
  /** The part spent uploading: encoding, the request, classifying the answer, releasing. */
  uploadComputronsPerReading: number;
  /** Device RAM per buffered reading: slots * 16 + chunk bytes. */
  bytesPerBufferedReading: number;
  slotsPerBufferedReading: number;
  chunkBytesPerBufferedReading: number;
  wireBytesPerReading: number;
  requestsPer1000Readings: number;
}

export interface Measurement {
  agent: DeviceFigures;
  baseline: DeviceFigures;
  minimalJsonBytesPerReading: number;
  /** Computrons per reading of the fixture, taken out of both devices' figures. */
  fixtureComputronsPerReading: number;
  /** Bytes of a slot on the 64-bit xsnap, measured. */
  xsnapSlotBytes: number;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`benchmark run went wrong: ${message}`);
}

const run = (options: RunOptions): XsStep => ({ command: command("run", options) });
const timed = (device: Device, seconds: number): XsStep[] => [run({ device, seconds, measureBytes: false, online: true })];
const wire = (device: Device): XsStep[] => [run({ device, seconds: LONG_S, measureBytes: true, online: true })];
const fill = (device: Device, readings: number): XsStep[] => [
  run({ device, seconds: readings / READINGS_PER_SAMPLE, measureBytes: false, online: false, bufferCapacity: readings }),
  { gc: true },
  { snapshot: true },
];

interface Plan {
  short: number;
  long: number;
  wire: number;
  fillSmall: number;
  fillLarge: number;
}

function figures(result: XsStepResult[]): RunFigures {
  return replyValue<RunFigures>(result[0].reply ?? "");
}

function computeOf(result: XsStepResult[]): number {
  return result[0].compute ?? NaN;
}

export async function measure(): Promise<Measurement> {
  const code = await bundle("bench/xs-entry.ts");
  const jobs: XsStep[][] = [];
  const add = (steps: XsStep[]): number => jobs.push(steps) - 1;
  const plans = {} as Record<Device, Plan>;
  for (const device of ["agent", "baseline"] as const) {
    plans[device] = {
      short: add(timed(device, SHORT_S)),
      long: add(timed(device, LONG_S)),
      wire: add(wire(device)),
      fillSmall: add(fill(device, FILL_SMALL)),
      fillLarge: add(fill(device, FILL_LARGE)),
    };
  }
  const fixtureShort = add([{ command: command("fixture", SHORT_S) }]);
  const fixtureLong = add([{ command: command("fixture", LONG_S) }]);
  const probe = add([{ gc: true }, { snapshot: true }, { command: command("slots", SLOT_PROBE) }, { gc: true }, { snapshot: true }]);

  const results = await runOnXs(code, jobs);

  const [p0, s0, , p1, s1] = results[probe];
  const xsnapSlotBytes = ((s1.snapshotBytes ?? 0) - (s0.snapshotBytes ?? 0)) / ((p1.heapCount ?? 0) - (p0.heapCount ?? 0));
  const fixtureReadings = (LONG_S - SHORT_S) * READINGS_PER_SAMPLE;
  const fixture = (computeOf(results[fixtureLong]) - computeOf(results[fixtureShort])) / fixtureReadings;

  const device = (name: Device): DeviceFigures & { minimal: number } => {
    const plan = plans[name];
    const short = figures(results[plan.short]);
    const long = figures(results[plan.long]);
    const online = (computeOf(results[plan.long]) - computeOf(results[plan.short])) / (long.sampled - short.sampled);
    const small = results[plan.fillSmall];
    const large = results[plan.fillLarge];
    check(figures(small).buffered === FILL_SMALL && figures(large).buffered === FILL_LARGE, `${name} did not buffer every reading offline`);
    const offline = (computeOf(large) - computeOf(small)) / (FILL_LARGE - FILL_SMALL);
    const slots = ((large[1].heapCount ?? 0) - (small[1].heapCount ?? 0)) / (FILL_LARGE - FILL_SMALL);
    const bytes64 = ((large[2].snapshotBytes ?? 0) - (small[2].snapshotBytes ?? 0)) / (FILL_LARGE - FILL_SMALL);
    const chunk = bytes64 - slots * xsnapSlotBytes;
    const w = figures(results[plan.wire]);
    check(w.sampled - w.delivered <= 3 * 60 && w.requests > 0, `${name} did not keep up online`);
    return {
      computronsPerReading: round(online - fixture, 1),
      samplingComputronsPerReading: round(offline - fixture, 1),
      uploadComputronsPerReading: round(online - offline, 1),
      bytesPerBufferedReading: round(slots * DEVICE_SLOT_BYTES + chunk),
      slotsPerBufferedReading: round(slots),
      chunkBytesPerBufferedReading: round(chunk),
      wireBytesPerReading: round(w.wireBytes / w.delivered),
      requestsPer1000Readings: round((w.requests / w.delivered) * 1000),
      minimal: w.minimalJsonBytes / w.delivered,
    };
  };
  const { minimal, ...agent } = device("agent");
  const { minimal: baselineMinimal, ...baseline } = device("baseline");
  check(Math.abs(minimal - baselineMinimal) < 0.05, "the agent and the baseline did not deliver the same readings");
  return {
    agent,
    baseline,
    minimalJsonBytesPerReading: round(minimal),
    fixtureComputronsPerReading: round(fixture, 1),
    xsnapSlotBytes: round(xsnapSlotBytes),
  };
}
