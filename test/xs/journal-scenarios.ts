// The conformance scenarios of the flash journal, as data plus scripted servers. Portable: bundled
// into the XS worker and run by Node from the same bundle. The constants the checks need are
// exported with them.

import { encodeList } from "../../firmware/core/reading-frame.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";
import type { Answer } from "../../firmware/fakes/scripted-http.js";
import type { JournalScenarioSpec } from "./journal-scenario.js";
import { storingServer, TOKEN, WALL_START_MS } from "./scenarios.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A RAM ring far smaller than any outage here: the journal has to hold the rest. */
export const JOURNAL_RING = 64;

const BASE = { token: TOKEN, sampleIntervalMs: 10_000, variables: BOARD_VARIABLES, bufferCapacity: JOURNAL_RING, journal: true, telemetryIntervalMs: 0 };

const REFUSED: Answer = { ok: false, error: "refused", message: "connect ECONNREFUSED", bodySent: false };

/** Refused from `fromMs` to `toMs` (world time), stored and acknowledged otherwise. */
function outage(fromMs: number, toMs: number): JournalScenarioSpec["answer"] {
  const server = storingServer();
  return (request, _index, worldMs) => (worldMs >= fromMs && worldMs < toMs ? REFUSED : server(request));
}

/** journal-outage: five hours refused, on 32 sectors of 4 KB (room for about eight hours). */
export const JOURNAL_OUTAGE = { fromMs: 1 * HOUR, toMs: 6 * HOUR, sectors: 32 };

/** journal-reboot: refused until 2.5 h; boot 1 learns the time 20 min after boot, boot 2 45 s after. */
export const REBOOT = {
  outageToMs: 2.5 * HOUR,
  firstBootMs: 90 * MINUTE,
  firstSyncMs: 20 * MINUTE,
  secondSyncMs: 45_000,
  offMs: 2 * MINUTE,
  sectors: 16,
};

/** journal-power-cut: refused from 20 min to 2 h; the cut strikes the first flash write after 50 min 5 s, at byte 12. */
export const POWER_CUT = { outageFromMs: 20 * MINUTE, outageToMs: 2 * HOUR, atMs: 50 * MINUTE + 5_000, atByte: 12, offMs: MINUTE, sectors: 16 };

/**
 * journal-damage: refused for the first hour, then a reboot on a flash with one bit flipped in the
 * second sector's header (its generation) and one in the 11th frame of the first sector.
 */
export const DAMAGE = { outageToMs: HOUR, sectors: 16, headerByte: 4096 + 13, frameByte: 30 + encodeList(BOARD_VARIABLES).length + 10 * 33 + 20 };

/**
 * journal-relist: refused for the first 2.5 hours; the second boot (after an hour) renames,
 * reorders and drops variables, the third (after two) goes back to the first list.
 */
export const RELIST = {
  outageToMs: 2.5 * HOUR,
  bootMs: HOUR,
  sectors: 16,
  variables: [
    { name: "pressure", unit: "Pa", sensor: "bmp280", field: "barometer.pressure" },
    { name: "air_temperature", unit: "K", sensor: "sht3x", field: "thermometer.temperature" },
  ],
};

/**
 * journal-windows: every variable reports through a window (temperature: mean of 6 samples, 2
 * decimals; humidity: median of 5, 1 decimal; pressure: max over 60 s); the first boot stops and
 * the second is cut with windows open, and each next boot closes them.
 */
export const WINDOWS = {
  sectors: 16,
  variables: [
    { ...BOARD_VARIABLES[0], window: { samples: 6, aggregate: "mean" }, decimals: 2 },
    { ...BOARD_VARIABLES[1], window: { samples: 5, aggregate: "median" }, decimals: 1 },
    { ...BOARD_VARIABLES[2], window: { ms: MINUTE, aggregate: "max" } },
  ],
  firstBootMs: 20 * MINUTE + 35_000,
  cutAtMs: 40 * MINUTE + 5_000,
};

export const JOURNAL_SCENARIOS: Readonly<Record<string, JournalScenarioSpec>> = {
  "journal-outage": {
    config: BASE,
    flash: { sectorCount: JOURNAL_OUTAGE.sectors, sectorSize: 4096, seed: 1 },
    wallStartMs: WALL_START_MS,
    boots: [{ durationMs: 10 * HOUR }],
    offMs: 0,
    probesMs: [JOURNAL_OUTAGE.toMs - 1],
    answer: outage(JOURNAL_OUTAGE.fromMs, JOURNAL_OUTAGE.toMs),
  },
  "journal-reboot": {
    config: BASE,
    flash: { sectorCount: REBOOT.sectors, sectorSize: 4096, seed: 2 },
    wallStartMs: WALL_START_MS,
    boots: [
      { durationMs: REBOOT.firstBootMs, syncAfterMs: REBOOT.firstSyncMs },
      { durationMs: 4 * HOUR, syncAfterMs: REBOOT.secondSyncMs },
    ],
    offMs: REBOOT.offMs,
    answer: outage(0, REBOOT.outageToMs),
  },
  "journal-power-cut": {
    config: BASE,
    flash: { sectorCount: POWER_CUT.sectors, sectorSize: 4096, seed: 3 },
    wallStartMs: WALL_START_MS,
    boots: [{ durationMs: 2 * HOUR, cut: { atMs: POWER_CUT.atMs, afterOps: 0, atByte: POWER_CUT.atByte } }, { durationMs: 3 * HOUR }],
    offMs: POWER_CUT.offMs,
    answer: outage(POWER_CUT.outageFromMs, POWER_CUT.outageToMs),
  },
  "journal-damage": {
    config: BASE,
    flash: { sectorCount: DAMAGE.sectors, sectorSize: 4096, seed: 4 },
    wallStartMs: WALL_START_MS,
    boots: [
      { durationMs: DAMAGE.outageToMs - 1 },
      { durationMs: HOUR, damage: [{ offset: DAMAGE.headerByte, bits: 0x02 }, { offset: DAMAGE.frameByte, bits: 0x10 }] },
    ],
    offMs: MINUTE,
    answer: outage(0, DAMAGE.outageToMs),
  },
  "journal-relist": {
    config: BASE,
    flash: { sectorCount: RELIST.sectors, sectorSize: 4096, seed: 5 },
    wallStartMs: WALL_START_MS,
    boots: [{ durationMs: RELIST.bootMs }, { durationMs: RELIST.bootMs, variables: RELIST.variables }, { durationMs: 2 * HOUR }],
    offMs: MINUTE,
    answer: outage(0, RELIST.outageToMs),
  },
  "journal-windows": {
    config: { ...BASE, variables: WINDOWS.variables },
    flash: { sectorCount: WINDOWS.sectors, sectorSize: 4096, seed: 6 },
    wallStartMs: WALL_START_MS,
    boots: [{ durationMs: WINDOWS.firstBootMs }, { durationMs: HOUR, cut: { atMs: WINDOWS.cutAtMs, afterOps: 0, atByte: 12 } }, { durationMs: HOUR }],
    offMs: MINUTE,
    answer: storingServer(),
  },
};
