// `npm run bench`: measures the agent and the baseline on the XS engine, judges the goals, prints
// the table and writes bench/results.json. Everything but the wall-clock virtual day is
// deterministic: the same code and engine give the same file.

import { readFileSync, writeFileSync } from "node:fs";
import { measure, DEVICE_SLOT_BYTES } from "./measure.js";
import { judge, table } from "./report.js";
import { measureVirtualDay } from "./virtual-day.js";

const RESULTS = new URL("./results.json", import.meta.url);
function xsnapVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../node_modules/@agoric/xsnap/package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

const measured = await measure();
const goals = judge(measured);
const day = await measureVirtualDay();

console.log(table(measured, goals));
console.log("\nvirtual day (wall clock):", day);

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
  goals,
  virtualDay: day,
};
writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
console.log(`\nwrote ${RESULTS.pathname}`);
