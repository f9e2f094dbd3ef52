// The human-facing output: durations, log lines (levels, stamps, redaction), the status line and
// the run summary (with the journal's figures when there is one).

import { describe, expect, it } from "vitest";
import type { Snapshot } from "../../firmware/core/agent.js";
import { ConsoleLogger } from "../../host-sim/ports/console-logger.js";
import { formatBytes, formatDuration, formatStatus } from "../../firmware/core/status.js";
import { parseDuration } from "../../host-sim/duration.js";
import { summarize } from "../../host-sim/device/run-summary.js";
import { StatusLine } from "../../host-sim/status-line.js";

describe("durations", () => {
  it("parses what people type and formats compactly", () => {
    expect([parseDuration("24h"), parseDuration("90m"), parseDuration("3600s"), parseDuration("500ms"), parseDuration("250")]).toEqual([
      86_400_000, 5_400_000, 3_600_000, 500, 250,
    ]);
    expect(parseDuration("1.5s")).toBe(1500);
    expect([parseDuration("soon"), parseDuration("-1s"), parseDuration("")]).toEqual([undefined, undefined, undefined]);
    expect([formatDuration(59_000), formatDuration(725_000), formatDuration(11_220_000), formatDuration(187_200_000)]).toEqual([
      "59s", "12m05s", "3h07m", "2d04h",
    ]);
  });
});

describe("ConsoleLogger", () => {
  it("stamps, filters by level and redacts every token-shaped string", () => {
    const lines: string[] = [];
    const logger = new ConsoleLogger({ level: "info", now: () => Date.UTC(2026, 0, 1), write: (l) => lines.push(l) });
    logger.log("debug", "hidden");
    logger.log("warn", "token 3F2B9C1E-5D4A-4E8B-9C7D-1A2B3C4D5E6F refused");
    expect(lines).toEqual(["2026-01-01T00:00:00.000Z WARN  token ****5E6F refused"]);
  });

});

const snapshot: Snapshot = {
  state: "backing-off",
  clockTrusted: true,
  sampled: 30,
  delivered: 20,
  dropped: { bufferFull: 1, corrupt: 0, nonFinite: 0, stringTooLong: 0, stringBudget: 0, invalid: 0, tooLarge: 0, outsideRetention: 0 },
  droppedTotal: 1,
  buffered: 9,
  filtered: 0,
  inFlight: 0,
  requests: 3,
  acknowledged: 2,
  failures: { timeout: 1, network: 0, tls: 0, server: 0, "rate-limited": 0, "too-large": 0, invalid: 0, refused: 0, retention: 0, auth: 0, "not-acknowledged": 0, unexpected: 0 },
  landing: { checks: 0, checkFailures: 0, found: 0, partial: 0, missing: 0, resentAnyway: 0, unchecked: 0 },
  sensorErrors: 0,
  lastError: "timeout: no answer",
  lastUploadMs: 50_000,
  nextAttemptInMs: 4_000,
};

describe("status line", () => {
  it("shows state, counters, the last upload and the next try", () => {
    expect(formatStatus(snapshot, 65_000)).toBe(
      "[1m05s] backing-off | sampled 30 | buffered 9 | delivered 20 | dropped 1 | last upload 15s ago | next try in 4s | last error timeout: no answer",
    );
  });

  it("shows the readings on the wire while an upload is out", () => {
    expect(formatStatus({ ...snapshot, state: "uploading", inFlight: 7, nextAttemptInMs: null }, 65_000)).toBe(
      "[1m05s] uploading | sampled 30 | buffered 9 | delivered 20 | dropped 1 | on the wire 7 | last upload 15s ago",
    );
  });

  it("shows the flash journal's figures when there is one", () => {
    const journal = { sectors: 64, held: 9, recovered: 540, corruptSkipped: 1, corruptLost: 0, damagedHeaders: 0, foreign: 0, dropping: 0, bytesWritten: 12_600, erases: 3, resumed: false };
    expect(formatStatus({ ...snapshot, journal }, 65_000)).toBe(
      "[1m05s] backing-off | sampled 30 | buffered 9 | delivered 20 | dropped 1 | last upload 15s ago | next try in 4s" +
        " | journal held 9, recovered 540, corrupt 1, written 12.3 KB, erased 3 | last error timeout: no answer",
    );
    expect(formatStatus({ ...snapshot, journal: { ...journal, foreign: 6 } }, 65_000)).toContain("recovered 540 (6 of other variable lists), corrupt 1, written");
    expect([formatBytes(512), formatBytes(12_600), formatBytes(5_000_000)]).toEqual(["512 B", "12.3 KB", "4.8 MB"]);
  });

  it("redraws in place on a TTY, keeping log lines above it", () => {
    let out = "";
    const line = new StatusLine({ isTTY: true, columns: 80, write: (t) => (out += t) }, () => "status", 10_000);
    line.start();
    line.print("a log line");
    line.stop();
    expect(out).toBe("\r\x1b[2Kstatus\r\x1b[2Ka log line\nstatus\r\x1b[2Kstatus\n");
  });

  it("prints plain lines when not a TTY", () => {
    let out = "";
    const line = new StatusLine({ write: (t) => (out += t) }, () => "status", 10_000);
    line.start();
    line.print("a log line");
    line.stop();
    expect(out).toBe("a log line\nstatus\n");
  });
});

describe("run summary", () => {
  const run = { mode: "virtual" as const, deviceMs: 60_000, wallMs: 12.4 };

  it("carries the journal's figures and where the flash lives, only with a journal", () => {
    const journal = { sectors: 64, held: 9, recovered: 540, corruptSkipped: 1, corruptLost: 6, damagedHeaders: 2, foreign: 0, dropping: 0, bytesWritten: 12_600, erases: 3, resumed: false };
    expect(summarize({ ...snapshot, journal }, { ...run, flash: { file: "f.bin", bytes: 262_144 } }).journal).toEqual({
      file: "f.bin", flashBytes: 262_144, sectors: 64, recovered: 540, corruptSkipped: 1, corruptLost: 6, damagedHeaders: 2, foreign: 0, held: 9, bytesWritten: 12_600, erases: 3,
    });
    const plain = summarize(snapshot, run);
    expect("journal" in plain).toBe(false);
    expect(plain).toMatchObject({ sampled: 30, delivered: 20, dropped: 1, buffered: 9, wallMs: 12, invariantHolds: true });
  });

  it("says why nothing went out while readings waited, with the state, the last error and the sensor errors", () => {
    const nothing = { ...snapshot, sampled: 9, delivered: 0, dropped: { ...snapshot.dropped, bufferFull: 0 }, droppedTotal: 0, buffered: 9 };
    const s = summarize({ ...nothing, state: "backing-off", lastError: "tls: unable to verify", sensorErrors: 2 }, run);
    expect(s).toMatchObject({ state: "backing-off", lastError: "tls: unable to verify", sensorErrors: 2 });
    expect(s.undelivered).toBe("nothing delivered, 9 readings waiting: backing off after tls: unable to verify");
    expect(summarize({ ...nothing, state: "waiting-for-clock", lastError: null }, run).undelivered).toBe(
      "nothing delivered, 9 readings waiting: waiting for a trusted clock (none before 2024 is ever sent; check --start)",
    );
    expect(summarize({ ...nothing, state: "idle", lastError: null, requests: 0 }, run).undelivered).toBe(
      "nothing delivered, 9 readings waiting: idle, no upload was due yet (see --upload-interval)",
    );
    const refused = summarize({ ...nothing, state: "refused", lastError: "refused: Device is deactivated" }, run);
    expect(refused).toMatchObject({ state: "refused", lastError: "refused: Device is deactivated", dropped: 0 });
    expect(refused.undelivered).toBe(
      "nothing delivered, 9 readings waiting: the server refused the device (nothing dropped; it retries every refusedRetryMs) after refused: Device is deactivated",
    );
    expect("undelivered" in summarize(snapshot, run)).toBe(false);
  });
});
