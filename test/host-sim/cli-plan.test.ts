// Command-line options to a run plan: targets, trust, clock, and every problem listed at once.

import { describe, expect, it } from "vitest";
import { makePlan, type CliOptions } from "../../host-sim/cli-plan.js";

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
    expect(plan({ endpoint: "https://127.0.0.1:8443", token: TOKEN }).config).toMatchObject({ host: "127.0.0.1", port: 8443, tls: true });
    expect(plan({ endpoint: "https://example.com", token: TOKEN }).config).toMatchObject({ port: 443 });
    expect(problems({ endpoint: "http://127.0.0.1:8080", token: TOKEN })[0]).toContain("--insecure-plain-http");
    expect(plan({ endpoint: "http://127.0.0.1:8080", token: TOKEN, insecurePlainHttp: true }).config).toMatchObject({ port: 8080, tls: false });
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
});
