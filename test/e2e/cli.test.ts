// The command line as a child process: a virtual hour against its own local endpoint, help, bad
// options and configuration (exit 2, every problem, never the token), a TLS failure that says what
// to give, and a clean stop on SIGTERM.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startEndpoint } from "../../host-sim/endpoint/server.js";
import { cli, summaryOf, tempDir } from "./cli-process.js";
import { TOKEN } from "./harness.js";

describe.concurrent("npm start (host-sim/cli.ts)", () => {
  it("--virtual --duration 1h runs against its local endpoint and ends with a JSON summary", async (test) => {
    const dataDir = await tempDir(test);
    const out = await cli(["--virtual", "--duration", "1h", "--sample-interval", "1s", "--data-dir", dataDir, "--seed", "3"]);
    expect(out.stderr).toContain("Local TagoIO endpoint: https://127.0.0.1:");
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

    // A second run in the same data dir is the same device: its data accumulates.
    const again = summaryOf(await cli(["--virtual", "--duration", "10m", "--data-dir", dataDir]));
    expect(again.storedRecords).toBe(summary.delivered + again.delivered);
  });

  it("--help explains every option and exits 0", async () => {
    const out = await cli(["--help"]);
    expect(out.code).toBe(0);
    for (const option of ["--token", "--region", "--endpoint", "--ca", "--insecure-plain-http", "--virtual", "--duration", "--set", "--sample-interval", "--print-data", "--flash", "--no-flash", "--flash-size", "--flash-sector"]) {
      expect(out.stdout).toContain(option);
    }
    expect(out.stdout).toContain("maxRequestsPerMinute");
  });

  it("refuses an unknown option with exit code 2", async () => {
    const out = await cli(["--no-such-option"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("unknown option '--no-such-option'");
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

  it("says which trust anchor is missing when --endpoint's CA is not given", async (test) => {
    const dataDir = await tempDir(test);
    const endpoint = await startEndpoint({ dataDir, devices: [{ token: TOKEN }] });
    try {
      const out = await cli(["--endpoint", endpoint.url, "--token", TOKEN, "--virtual", "--duration", "5m"]);
      expect(out.code).toBe(0);
      expect(out.stderr).toMatch(/tls: .*: give --ca <file> \(the server's root CA, PEM\) \(127\.0\.0\.1:\d+, trusting the system roots\)/);
      expect(out.stderr).not.toContain(TOKEN);
      const summary = summaryOf(out);
      expect(summary.delivered).toBe(0);
      expect(summary.failures.tls).toBeGreaterThan(0);

      const trusted = await cli(["--endpoint", endpoint.url, "--token", TOKEN, "--ca", endpoint.caPemPath, "--virtual", "--duration", "5m"]);
      expect(trusted.code).toBe(0);
      expect(summaryOf(trusted).delivered).toBeGreaterThan(0);
    } finally {
      await endpoint.close();
    }
  });

  it("stops the device and the endpoint cleanly on SIGTERM (real time), exit 0", async (test) => {
    const dataDir = await tempDir(test);
    let sent = false;
    const out = await cli(["--data-dir", dataDir, "--sample-interval", "200ms"], (text, kill) => {
      if (!sent && text.includes("agent: 3 variables")) {
        sent = true;
        setTimeout(kill, 700);
      }
    });
    expect(out.code).toBe(0);
    const summary = summaryOf(out);
    expect(summary.mode).toBe("real");
    expect(summary.state).toBe("stopped");
    expect(summary.sampled).toBeGreaterThan(0);
    expect(summary.invariantHolds).toBe(true);
    const token = readFileSync(join(dataDir, "device-token"), "utf8").trim();
    expect(out.stderr + out.stdout).not.toContain(token);
  });
});
