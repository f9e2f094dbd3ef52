// `npm run bench`: measures the agent and the baseline on the XS engine, judges the goals, counts
// a realistic day with and without the reporting filters, times a virtual day against the local
// endpoint, measures the flash journal's wear and recovery, prints
// it all and writes bench/results.json, keeping the agent's figures of the run it replaces as
// previousAgent. Everything but the wall-clock figures (the virtual day,
// recoveryMs) is deterministic: the same code and engine give the same numbers.

import { readFileSync, writeFileSync } from "node:fs";
import { measure, DEVICE_SLOT_BYTES } from "./measure.js";
import { judge, judgeReporting, table } from "./report.js";
import { measureReportingDay } from "./reporting-day.js";
import { measureFlash } from "./flash.js";
import { measureVirtualDay } from "./virtual-day.js";

const RESULTS = new URL("./results.json", import.meta.url);
function xsnapVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../node_modules/@agoric/xsnap/package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** The agent's figures in the results this run replaces, kept beside the new ones. */
function previousAgent(): unknown {
  try {
    return (JSON.parse(readFileSync(RESULTS, "utf8")) as { agent?: unknown }).agent;
  } catch {
    return undefined;
  }
}

const previous = previousAgent();
const measured = await measure();
const reporting = await measureReportingDay();
const goals = [...judge(measured), ...judgeReporting(reporting)];
const day = await measureVirtualDay();
const flash = await measureFlash();

console.log(table(measured, goals));
console.log("\nreporting filters, a realistic day at 1 Hz:", JSON.stringify(reporting));
console.log("\nvirtual day (wall clock):", day);
console.log("\nflash journal (1 Hz, 3 variables, 64 x 4 KB sectors):", flash);

const results = {
  command: "npm run bench",
  engine: `XS via @agoric/xsnap ${xsnapVersion()}, metered (computrons), heap after gc()`,
  device: "1 sample/s of temperature (°C), humidity (%) and pressure (Pa), simulated SHT3x + BMP280; agent defaults (upload every 60 s, 1024-record ring); always-ACK transport",
  method: {
    computrons: "slope between 10-min and 60-min online runs, less the fixture (virtual clock, driver turns, simulated sensors) both devices pay",
    ram: `slope between 1,200 and 4,800 readings buffered offline, after gc(): slots * ${DEVICE_SLOT_BYTES} B (32-bit ESP32 slot) + chunk bytes (heap-snapshot bytes less slots * ${measured.xsnapSlotBytes} B, 64-bit xsnap)`,
    wire: "one online hour; request line, Connection, Content-Type, Device-Token, Content-Length, Host, blank line, UTF-8 body; before TLS",
    baseline: "bench/baseline.ts: an object per reading, JSON.stringify per request, one reading per request, JSON.parse of the answer, as the Moddable SDK's http POST examples",
  },
  ...measured,
  previousAgent: previous,
  goals,
  reporting,
  virtualDay: day,
  flashJournal: flash,
};
writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
console.log(`\nwrote ${RESULTS.pathname}`);
