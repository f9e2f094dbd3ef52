// Command-line options to a run plan: targets, trust, clock, flash, and every problem listed at once.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makePlan, parseBytes, type CliOptions } from "../../host-sim/cli-plan.js";
import { FileFlash } from "../../host-sim/ports/flash-file.js";

const TOKEN = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e";
const base: CliOptions = { seed: "1", statusEvery: "10s", logLevel: "info" };

function plan(options: Partial<CliOptions>, env: Record<string, string> = {}) {
  const result = makePlan({ ...base, ...options }, env);
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.plan;
}

function problems(options: Partial<CliOptions>, env: Record<string, string> = {}): string[] {
  const result = makePlan({ ...base, ...options }, env);
  if (result.ok) throw new Error("expected problems");
  return result.problems;
}

describe("makePlan", () => {
  it("without a token: the local endpoint in .tago-local, the token left to it", () => {
    const p = plan({ sampleInterval: "1s", set: ["maxRequestsPerMinute=20"] });
    expect(p.target).toEqual({ kind: "local", dataDir: ".tago-local", port: 0 });
    expect(p.config).toEqual({ sampleIntervalMs: 1000, maxRequestsPerMinute: "20" });
    expect(p.time).toEqual({ mode: "real" });
  });

  it("a token (flag or environment) selects TagoIO, with a region or host", () => {
    expect(plan({ region: "eu-w1" }, { TAGOIO_DEVICE_TOKEN: TOKEN })).toMatchObject({ target: { kind: "tagoio" }, config: { token: TOKEN, region: "eu-w1" } });
    expect(plan({ token: TOKEN, host: "api.us-e1.tago.io" }).config).toMatchObject({ host: "api.us-e1.tago.io" });
  });

  it("--endpoint: scheme, host and port from the URL; http only with --insecure-plain-http", () => {
    expect(plan({ endpoint: "https://127.0.0.1:8443", token: TOKEN }).config).toMatchObject({ host: "127.0.0.1", port: 8443, https: true });
    expect(plan({ endpoint: "https://example.com", token: TOKEN }).config).toMatchObject({ port: 443 });
    expect(problems({ endpoint: "http://127.0.0.1:8080", token: TOKEN })[0]).toContain("--insecure-plain-http");
    expect(plan({ endpoint: "http://127.0.0.1:8080", token: TOKEN, insecurePlainHttp: true }).config).toMatchObject({ port: 8080, https: false });
  });

  it("virtual time needs a duration and is refused against the real TagoIO", () => {
    expect(plan({ virtual: true, duration: "90m", start: "2026-01-01T00:00:00Z" })).toMatchObject({
      durationMs: 5_400_000,
      time: { mode: "virtual", startWallMs: Date.UTC(2026, 0, 1) },
    });
    expect(problems({ virtual: true })).toEqual(["--virtual: needs --duration (how much device time to run)"]);
    expect(problems({ virtual: true, duration: "1h", token: TOKEN })[0]).toContain("TagoIO");
  });

  it("lists every problem at once and never repeats the token", () => {
    const secret = "my-secret-token-value";
    const list = problems({
      token: secret,
      ca: "/no/such/ca.pem",
      buffer: "lots",
      set: ["host=x", "nope=1", "sampleIntervalMs"],
      seed: "-1",
      logLevel: "loud",
      syncAfter: "1m",
    });
    expect(list).toHaveLength(9);
    expect(list.join("\n")).not.toContain(secret);
  });

  it("checks every variable's sensor and field against what the simulated board gives", () => {
    const variables = [
      { name: "t", sensor: "sht3x", field: "thermometer.temperature" },
      { name: "x", sensor: "sht3x", field: "thermometer.nope" },
      { name: "y", sensor: "dht22", field: "humidity" },
    ];
    expect(problems({ set: [`variables=${JSON.stringify(variables)}`] })).toEqual([
      'variables[1].field: sht3x gives no "thermometer.nope" (it gives thermometer.temperature, hygrometer.humidity)',
      'variables[2].sensor: no sensor named "dht22" on the simulated board (have: sht3x, bmp280)',
    ]);
  });

  it("refuses a --data-dir that is a file, and --flash with --no-flash", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-dir-"));
    try {
      const file = join(dir, "a-file");
      writeFileSync(file, "");
      expect(problems({ dataDir: file })).toEqual([`--data-dir: ${file} is a file, not a folder`]);
      expect(problems({ flash: false, flashAndNoFlash: true })).toEqual(["--flash/--no-flash: give one of them"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("flash: <data-dir>/flash.bin for a local real-time run, in memory for virtual runs and other targets, none with --no-flash", () => {
    const geometry = { sectorSize: 4096, sectorCount: 64 };
    const dir = mkdtempSync(join(tmpdir(), "plan-flash-"));
    try {
      expect(plan({ dataDir: dir }).flash).toEqual({ kind: "file", path: join(dir, "flash.bin"), exists: false, ...geometry });
      expect(plan({ virtual: true, duration: "1h" }).flash).toEqual({ kind: "memory", ...geometry });
      expect(plan({ token: TOKEN }).flash).toEqual({ kind: "memory", ...geometry });
      expect(plan({ virtual: true, duration: "1h", flash: join(dir, "v.bin"), flashSize: "1m", flashSector: "8k" }).flash).toEqual({
        kind: "file", path: join(dir, "v.bin"), exists: false, sectorSize: 8192, sectorCount: 128,
      });
      expect(plan({ flash: false }).flash).toEqual({ kind: "none" });
      expect(plan({ set: ["journal=false"] }).flash).toEqual({ kind: "none" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("flash: an existing file keeps its geometry; sizes that do not fit, or fit no journal, are refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-flash-"));
    try {
      const file = join(dir, "old.bin");
      FileFlash.open(file, { sectorCount: 8, sectorSize: 1024 }).close();
      // Strings short enough for a journal frame in 1024-byte sectors.
      const fits = ["maxStringLength=200"];
      expect(plan({ flash: file, set: fits }).flash).toEqual({ kind: "file", path: file, exists: true, sectorSize: 1024, sectorCount: 8 });
      expect(plan({ flash: file, flashSize: "8k", set: fits }).flash).toMatchObject({ exists: true });
      expect(problems({ flash: file, flashSize: "16k" })[0]).toContain(`${file} already holds a flash of 8k in 1024-byte sectors`);
      writeFileSync(join(dir, "junk.bin"), "not a flash");
      expect(problems({ flash: join(dir, "junk.bin") })[0]).toContain("is not a flash file");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(problems({ virtual: true, duration: "1h", flashSize: "10000" })).toEqual(["--flash-size: 10000 bytes is not a whole number of 4096-byte sectors"]);
    expect(problems({ virtual: true, duration: "1h", flashSize: "8k" })).toEqual(["--flash-size: at least 3 sectors (12288 bytes)"]);
    expect(problems({ virtual: true, duration: "1h", flashSector: "128" })).toEqual(["--flash-sector: at least 256 bytes"]);
    // The journal's own check, before any flash or endpoint exists.
    expect(problems({ virtual: true, duration: "1h", flashSector: "256", flashSize: "4k" })).toEqual([
      "maxStringLength: 256 characters may not fit one journal frame beside the variable list in a 256-byte flash sector (at most 38); lower it or set journal=false",
    ]);
    expect(problems({ virtual: true, duration: "1h", flashSize: "lots" })[0]).toContain('--flash-size: "lots" is not a size in bytes');
    expect(problems({ flash: false, flashSize: "1m" })).toEqual(["--flash-size/--flash-sector: no flash with --no-flash"]);
    expect(problems({ flash: "x.bin", set: ["journal=false"] })).toEqual(["--flash: the journal is off (journal=false)"]);
    // Sleep mode keeps its state in the partition's last 3 sectors, and its phase counts come from virtual runs.
    expect(problems({ mode: "sleep", flash: false })).toEqual(["--no-flash: sleep mode keeps its readings and state on flash"]);
    expect(problems({ mode: "sleep", virtual: true, duration: "1h", flashSize: "20k" })).toEqual(["--flash-size: sleep mode needs at least 6 sectors (the journal, and 3 for its state)"]);
    expect(problems({ mode: "doze", phases: "p.json" })).toEqual(['mode: "doze" must be "always-on" or "sleep"', "--phases: the phase counts come from a virtual run (--virtual)"]);
    expect(plan({ mode: "sleep", virtual: true, duration: "30d", phases: "p.json" })).toMatchObject({ config: { mode: "sleep" }, phasesFile: "p.json" });
    expect([parseBytes("262144"), parseBytes("256k"), parseBytes("256 KB"), parseBytes("1m"), parseBytes("2MiB"), parseBytes("1.5k")]).toEqual([
      262_144, 262_144, 262_144, 1_048_576, 2_097_152, undefined,
    ]);
  });
});
