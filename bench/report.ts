// The benchmark's goals, judged against the measurement, and the table `npm run bench` prints.
// A goal missed is shown as missed: the figures are never adjusted to meet one.

import type { ReportingFigures } from "./reporting-day.js";
import type { DeviceFigures, Measurement } from "./measure.js";

export interface GoalResult {
  goal: string;
  target: string;
  actual: string;
  pass: boolean;
}

/** The reporting filters' goal: 10x fewer records a day than every sample, none further from a raw reading than its delta. */
export function judgeReporting(r: ReportingFigures): GoalResult[] {
  const fewer = r.everySample.registersPerDay / r.filtered.registersPerDay;
  const within = Object.entries(r.filtered.maxAbsError).every(([name, error]) => error < r.filtered.filters[name].delta);
  return [
    {
      goal: "records a day, filtered vs every sample",
      target: ">= 10x fewer",
      actual: `${fewer.toFixed(0)}x fewer`,
      pass: fewer >= 10,
    },
    {
      goal: "error of what is stored vs raw",
      target: "< each delta",
      actual: Object.entries(r.filtered.maxAbsError)
        .map(([name, error]) => `${name} ${error}`)
        .join(", "),
      pass: within,
    },
  ];
}

export function judge(m: Measurement): GoalResult[] {
  const { agent, baseline } = m;
  const fewerComputrons = baseline.computronsPerReading / agent.computronsPerReading;
  const requestShare = agent.requestsPer1000Readings / baseline.requestsPer1000Readings;
  const wireRatio = agent.wireBytesPerReading / m.minimalJsonBytesPerReading;
  return [
    {
      goal: "RAM per buffered reading",
      target: "<= 16 B",
      actual: `${agent.bytesPerBufferedReading} B`,
      pass: agent.bytesPerBufferedReading <= 16,
    },
    {
      goal: "computrons per reading vs baseline",
      target: ">= 5x fewer",
      actual: fewerComputrons >= 1 ? `${fewerComputrons.toFixed(2)}x fewer` : `${(1 / fewerComputrons).toFixed(2)}x more`,
      pass: fewerComputrons >= 5,
    },
    {
      goal: "computrons per reading, whole path (issue 11)",
      target: `<= baseline (${baseline.computronsPerReading})`,
      actual: String(agent.computronsPerReading),
      pass: agent.computronsPerReading <= baseline.computronsPerReading,
    },
    {
      goal: "computrons per reading, sampling and buffering (issue 11)",
      target: "<= 250",
      actual: String(agent.samplingComputronsPerReading),
      pass: agent.samplingComputronsPerReading <= 250,
    },
    {
      goal: "HTTPS requests vs baseline",
      target: "<= 1/100",
      actual: `1/${Math.round(1 / requestShare)}`,
      pass: requestShare <= 1 / 100,
    },
    {
      goal: "wire bytes vs minimal TagoIO JSON",
      target: "<= 1.25x",
      actual: `${wireRatio.toFixed(3)}x`,
      pass: wireRatio <= 1.25,
    },
  ];
}

function rows(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("   ")).join("\n");
}

const FIGURES: ReadonlyArray<[string, keyof DeviceFigures]> = [
  ["XS computrons per reading", "computronsPerReading"],
  ["  sampling and buffering", "samplingComputronsPerReading"],
  ["  uploading (encode, request, acknowledge)", "uploadComputronsPerReading"],
  ["RAM bytes per buffered reading", "bytesPerBufferedReading"],
  ["  XS slots", "slotsPerBufferedReading"],
  ["  chunk bytes", "chunkBytesPerBufferedReading"],
  ["wire bytes per reading", "wireBytesPerReading"],
  ["HTTPS requests per 1,000 readings", "requestsPer1000Readings"],
];

export function table(m: Measurement, goals: readonly GoalResult[]): string {
  const figures = rows([
    ["", "agent", "baseline"],
    ...FIGURES.map(([label, key]) => [label, String(m.agent[key]), String(m.baseline[key])]),
    ["minimal TagoIO JSON bytes per reading", String(m.minimalJsonBytesPerReading), ""],
  ]);
  const judged = rows([["goal", "target", "actual", "pass"], ...goals.map((g) => [g.goal, g.target, g.actual, g.pass ? "yes" : "NO"])]);
  return `${figures}\n\n${judged}`;
}
