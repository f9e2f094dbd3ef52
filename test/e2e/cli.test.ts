// The command line as a child process: a virtual hour against its own local endpoint, six hours of
// sleep-mode wakes with their phase counts, help, bad
// options and configuration (exit 2, every problem, never the token), a TLS failure that says what
// to give, and a clean stop on SIGTERM.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startEndpoint } from "../../host-sim/endpoint/server.js";
import { cli, summaryOf, tempDir, type Outcome } from "./cli-process.js";
import { TOKEN } from "./harness.js";

describe.concurrent("npm start (host-sim/cli.ts)", () => {
  it("--virtual --duration 1h runs against its local endpoint and ends with a JSON summary", async (test) => {
    const dataDir = await tempDir(test);
    const out = await cli(["--virtual", "--duration", "1h", "--sample-interval", "1s", "--data-dir", dataDir, "--seed", "3", "--set", "telemetryIntervalMs=0"]);
    // The dashboard's address on the second line, at the endpoint's address.
    expect(out.stderr).toMatch(/^Local TagoIO endpoint: (https:\/\/127\.0\.0\.1:\d+) .*\nDashboard: \1\/ \(this machine only/);
    expect(out.stderr).toMatch(/curl -s --cacert \S+ca\.pem -H @\S+curl-headers\.txt/);
    expect(out.code).toBe(0);
    const summary = summaryOf(out);
    expect(summary.sampled).toBe((3600 + 1) * 3);
    expect(summary.sampled).toBe(summary.delivered + summary.dropped + summary.buffered);
    expect(summary.dropped).toBe(0);
    expect(summary.storedRecords).toBe(summary.delivered);
    expect(summary.requests).toBeGreaterThan(50);
    expect(summary.invariantHolds).toBe(true);
    expect(typeof summary.wallMs).toBe("number");

    // A second run in the same data dir is the same device: its data accumulates; --print-data prints this run's.
    const second = await cli(["--virtual", "--duration", "10m", "--data-dir", dataDir, "--print-data"]);
    const again = summaryOf(second);
    expect(again.storedRecords).toBe(summary.delivered + again.delivered);
    expect(second.stdout.trim().split("\n")).toHaveLength(again.delivered + 1);
  });

  it("--mode sleep --virtual: a boot a wake, the per-wake figures in the summary and the phase counts in --phases", async (test) => {
    const dataDir = await tempDir(test);
    const phasesFile = join(dataDir, "phases.json");
    const out = await cli(["--mode", "sleep", "--virtual", "--duration", "6h", "--sample-interval", "60s", "--data-dir", dataDir, "--phases", phasesFile, "--set", "uploadEvery=60"]);
    expect(out.code).toBe(0);
    const summary = summaryOf(out);
    expect(summary).toMatchObject({ deviceMs: 6 * 3_600_000, buffered: 0, dropped: 0, invariantHolds: true });
    expect(summary.storedRecords).toBe(summary.delivered);
    expect(summary.sleep).toMatchObject({ wakes: 360, radioWakes: 7 });
    expect(summary.sleep?.flashReadPerWake.max).toBeLessThan(10_000);
    const phases = JSON.parse(readFileSync(phasesFile, "utf8"));
    expect(phases).toMatchObject({ mode: "sleep", boots: 361, wakes: 360, samples: 361, wifiJoins: 7, tlsHandshakes: 7, requests: summary.requests, sleepMs: 6 * 3_600_000 });
    expect(phases.awakeMs).toHaveLength(361);
    expect(phases.flashBytesRead).toHaveLength(361);
  });

  it("--help explains every option and exits 0", async () => {
    const out = await cli(["--help"]);
    expect(out.code).toBe(0);
    for (const option of ["--token", "--region", "--endpoint", "--ca", "--insecure-plain-http", "--virtual", "--duration", "--set", "--sample-interval", "--print-data", "--flash", "--no-flash", "--flash-size", "--flash-sector", "--mode", "--phases"]) {
      expect(out.stdout).toContain(option);
    }
    expect(out.stdout).toContain("maxRequestsPerMinute");
  });

  it("refuses an unknown option with exit code 2", async () => {
    const out = await cli(["--no-such-option"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("unknown option '--no-such-option'");
  });

  it("refuses --flash with --no-flash (in either order) and a --data-dir that is a file, with exit code 2", async (test) => {
    const dataDir = await tempDir(test);
    const flash = join(dataDir, "x.bin");
    for (const args of [["--flash", flash, "--no-flash"], ["--no-flash", `--flash=${flash}`]]) {
      const out = await cli([...args, "--virtual", "--duration", "1m", "--data-dir", dataDir]);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain("--flash/--no-flash: give one of them");
    }
    const file = join(dataDir, "device-token");
    writeFileSync(file, "");
    const notADir = await cli(["--data-dir", file, "--virtual", "--duration", "1m"]);
    expect(notADir.code).toBe(2);
    expect(notADir.stderr).toContain(`--data-dir: ${file} is a file, not a folder`);
  });

  it("lists every configuration problem at once, with exit code 2, never printing the token", async () => {
    const badToken = "secret-not-a-uuid-0123456789";
    const out = await cli([
      "--endpoint", "http://127.0.0.1:9", "--token", badToken,
      "--sample-interval", "5ms", "--set", "maxBatchRecords=0", "--set", "bogus=1", "--duration", "soon",
    ]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("--insecure-plain-http");
    expect(out.stderr).toContain("token: not a TagoIO device token");
    expect(out.stderr).toContain("sampleIntervalMs: 5 is out of range");
    expect(out.stderr).toContain("maxBatchRecords: 0 is out of range");
    expect(out.stderr).toContain("--set bogus: unknown setting");
    expect(out.stderr).toContain('--duration: "soon" is not a duration');
    expect(out.stderr + out.stdout).not.toContain(badToken);
  });

  it("refuses a variable the board cannot read before anything starts: no endpoint, data folder or flash file (exit 2)", async (test) => {
    const dataDir = join(await tempDir(test), "never");
    const variables = [{ name: "x", sensor: "sht3x", field: "thermometer.nope" }, { name: "y", sensor: "dht22", field: "h" }];
    const out = await cli(["--data-dir", dataDir, "--set", `variables=${JSON.stringify(variables)}`]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('variables[0].field: sht3x gives no "thermometer.nope"');
    expect(out.stderr).toContain('variables[1].sensor: no sensor named "dht22"');
    expect(out.stderr).not.toContain("Local TagoIO endpoint");
    expect(existsSync(dataDir)).toBe(false);
  });

  it("says which trust anchor is missing when --endpoint's CA is not given", async (test) => {
    const dataDir = await tempDir(test);
    const endpoint = await startEndpoint({ dataDir, devices: [{ token: TOKEN }] });
    try {
      const out = await cli(["--endpoint", endpoint.url, "--token", TOKEN, "--virtual", "--duration", "5m"]);
      expect(out.code).toBe(3);
      expect(out.stderr).toMatch(/tls: .*: give --ca <file> \(the server's root CA, PEM\) \(127\.0\.0\.1:\d+, trusting the system roots\)/);
      expect(out.stderr).not.toContain(TOKEN);
      const summary = summaryOf(out);
      expect(summary.delivered).toBe(0);
      expect(summary.failures.tls).toBeGreaterThan(0);
      expect(summary.state).toBe("backing-off");
      expect(summary.lastError).toMatch(/^tls: /);
      expect(out.stderr).toContain(`error: nothing delivered, ${summary.buffered} readings waiting: backing off after tls: `);

      const trusted = await cli(["--endpoint", endpoint.url, "--token", TOKEN, "--ca", endpoint.caPemPath, "--virtual", "--duration", "5m"]);
      expect(trusted.code).toBe(0);
      expect(summaryOf(trusted).delivered).toBeGreaterThan(0);
    } finally {
      await endpoint.close();
    }
  });

  it("refuses a second run on a data folder in use, naming the folder and the holder's pid (exit 2)", async (test) => {
    const dataDir = await tempDir(test);
    let second: Promise<Outcome> | undefined;
    let holder = 0;
    const first = await cli(["--data-dir", dataDir], (text, kill, pid) => {
      if (second === undefined && text.includes("agent: 3 variables")) {
        holder = pid;
        second = cli(["--data-dir", dataDir, "--virtual", "--duration", "1m"]).finally(kill);
      }
    });
    const refused = await (second as Promise<Outcome>);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error: data folder ${dataDir} is in use by another run (pid ${holder})`);
    expect(refused.stderr).not.toContain("Local TagoIO endpoint");
    expect(first.code).toBe(0);
    expect(existsSync(join(dataDir, "lock"))).toBe(false);
  });

  it("takes over a lock left by a process that died, and refuses a flash file another run holds", async (test) => {
    const dataDir = await tempDir(test);
    const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
    writeFileSync(join(dataDir, "lock"), `${dead}\n`);
    const flash = join(dataDir, "f.bin");
    // This test's own process stands for a live run holding the flash file.
    writeFileSync(`${flash}.lock`, `${process.pid}\n`);
    const out = await cli(["--data-dir", dataDir, "--flash", flash, "--virtual", "--duration", "1m"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`error: flash file ${flash} is in use by another run (pid ${process.pid})`);
    expect(existsSync(flash)).toBe(false);
    // The dead run's lock on the data folder did not block: taken over, then released at exit.
    expect(out.stderr).not.toContain("data folder");
    expect(existsSync(join(dataDir, "lock"))).toBe(false);
    expect(existsSync(`${flash}.lock`)).toBe(true);
  });

  it("says why a run with a clock before 2024 delivered nothing, and exits 3", async (test) => {
    const dataDir = await tempDir(test);
    const out = await cli(["--data-dir", dataDir, "--virtual", "--duration", "3m", "--start", "1990-01-01T00:00:00Z"]);
    expect(out.code).toBe(3);
    const summary = summaryOf(out);
    expect(summary).toMatchObject({ delivered: 0, state: "waiting-for-clock", lastError: null, sensorErrors: 0, invariantHolds: true });
    expect(summary.undelivered).toContain("waiting for a trusted clock");
    expect(out.stderr).toContain(`error: ${summary.undelivered as string}`);
  });

  it("stops the device and the endpoint cleanly on SIGTERM (real time), exit 0", async (test) => {
    const dataDir = await tempDir(test);
    let sent = false;
    // Killed once a status line shows a reading taken, not after a fixed delay.
    const out = await cli(["--data-dir", dataDir, "--sample-interval", "200ms", "--status-every", "100ms"], (text, kill) => {
      if (!sent && /\| sampled [1-9]/.test(text)) {
        sent = true;
        kill();
      }
    });
    expect(out.code).toBe(0);
    const summary = summaryOf(out);
    expect(summary.mode).toBe("real");
    // The state the run ended in: no upload was due yet.
    expect(summary.state).toBe("idle");
    expect(summary.sampled).toBeGreaterThan(0);
    expect(summary.invariantHolds).toBe(true);
    const token = readFileSync(join(dataDir, "device-token"), "utf8").trim();
    expect(out.stderr + out.stdout).not.toContain(token);
  });
});
