import { describe, expect, it } from "vitest";
import { DEFAULTS, redactToken, validateConfig } from "../../firmware/core/config.js";
import { BOARD_VARIABLES, TOKEN } from "../support/fixtures.js";

const base = { token: TOKEN, variables: BOARD_VARIABLES };

function problems(raw: unknown): string[] {
  const r = validateConfig(raw);
  return r.ok ? [] : r.problems;
}

describe("validateConfig", () => {
  it("fills every default from one place", () => {
    const r = validateConfig(base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toEqual({ ...DEFAULTS, ...base });
    expect(r.warnings).toEqual([]);
  });

  it("parses numbers and booleans given as strings, as mcconfig and the command line give them", () => {
    const r = validateConfig({ ...base, port: "8443", sampleIntervalMs: "1000", https: "true", verifyTls: "false", uploadWithoutTime: "1" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.port).toBe(8443);
    expect(r.config.sampleIntervalMs).toBe(1000);
    expect(r.config.verifyTls).toBe(false);
    expect(r.config.uploadWithoutTime).toBe(true);
    expect(r.warnings.join()).toMatch(/verifyTls/);
  });

  it("accepts variables as a JSON string", () => {
    const r = validateConfig({ token: TOKEN, variables: JSON.stringify(BOARD_VARIABLES) });
    expect(r.ok && r.config.variables).toEqual(BOARD_VARIABLES);
  });

  it("maps regions to their hosts and rejects unknown ones", () => {
    const eu = validateConfig({ ...base, region: "eu-w1" });
    expect(eu.ok && eu.config.host).toBe("api.eu-w1.tago.io");
    expect(problems({ ...base, region: "mars-1" })).toEqual([expect.stringMatching(/^region: "mars-1" is not a TagoIO region/)]);
    expect(problems({ ...base, region: "eu-w1", host: "api.tago.io" })).toEqual([expect.stringMatching(/^region: .*disagree/)]);
  });

  it("accepts custom hosts and IPv4 addresses but not URLs", () => {
    const custom = validateConfig({ ...base, host: "Tago.Example.COM" });
    expect(custom.ok && custom.config.host).toBe("tago.example.com");
    expect(validateConfig({ ...base, host: "127.0.0.1" }).ok).toBe(true);
    expect(problems({ ...base, host: "https://api.tago.io" })).toEqual([expect.stringMatching(/^host: /)]);
    expect(problems({ ...base, host: "api.tago.io:443" })).toEqual([expect.stringMatching(/^host: /)]);
  });

  it("returns every problem at once, each naming its field", () => {
    const found = problems({
      token: "not-a-token",
      port: 70000,
      sampleIntervalMs: "fast",
      bufferCapacity: 1.5,
      maxBatchBytes: 300_000,
      whenFull: "explode",
      https: "maybe",
      backoffBaseMs: 5000,
      backoffCapMs: 2000,
      variables: [
        { name: "Temperature", sensor: "sht3x", field: "thermometer.temperature" },
        { name: "ok_name", unit: "x".repeat(26), sensor: "", field: "a..b" },
        { name: "dup", sensor: "s", field: "a" },
        { name: "dup", sensor: "s", field: "b" },
        "nope",
      ],
    });
    const fields = found.map((p) => p.split(":")[0]);
    expect(fields).toEqual([
      "token",
      "port",
      "sampleIntervalMs",
      "bufferCapacity",
      "maxBatchBytes",
      "https",
      "whenFull",
      "variables[0].name",
      "variables[1].unit",
      "variables[1].sensor",
      "variables[1].field",
      "variables[3].name",
      "variables[4]",
      "backoffCapMs",
    ]);
  });

  it("never repeats the token in a problem, however it is malformed", () => {
    for (const token of [TOKEN + "x", TOKEN.toUpperCase().replace(/-/g, "_"), "secret-token-value-1234567890abcdef", 42]) {
      const text = problems({ ...base, token }).join("\n");
      expect(text).toMatch(/^token: /);
      if (typeof token === "string") expect(text).not.toContain(token);
    }
    expect(problems({ ...base, token: undefined })).toEqual([expect.stringMatching(/^token: missing/)]);
  });

  it("says a token of the right length is not a UUID, rather than counting its characters", () => {
    expect(problems({ ...base, token: "x".repeat(36) })).toEqual([
      "token: not a TagoIO device token (36 characters, but not a UUID: 8-4-4-4-12 hex digits)",
    ]);
    expect(problems({ ...base, token: "abc" })).toEqual([
      "token: not a TagoIO device token (expected a 36-character UUID, 8-4-4-4-12 hex digits; got 3 characters)",
    ]);
  });

  it("refuses a configuration that is not an object, and empty or missing variables", () => {
    expect(problems(null)).toEqual(["configuration: must be an object"]);
    expect(problems({ token: TOKEN })).toEqual([expect.stringMatching(/^variables: /)]);
    expect(problems({ token: TOKEN, variables: "[oops" })).toEqual(["variables: not valid JSON"]);
  });

  it("warns about unknown settings and plain HTTP rather than ignoring them silently", () => {
    const r = validateConfig({ ...base, https: false, sampleInterval: 5 });
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([expect.stringMatching(/^sampleInterval: unknown/), expect.stringMatching(/^https: false: plain HTTP/)]);
  });

  it("warns about a variable's unknown keys (a misspelt filter would otherwise send every sample)", () => {
    const r = validateConfig({ ...base, variables: [{ name: "t", sensor: "sht3x", field: "t", delta: 0.1, heartbeat: 600000 }] });
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual(["variables[0].heartbeat: unknown setting, ignored"]);
  });

  it("bounds how rarely a refused device is retried, in the words of every number setting", () => {
    expect(problems({ ...base, refusedRetryMs: "5000" })).toEqual(["refusedRetryMs: 5000 is out of range (10000 to 86400000)"]);
    expect(problems({ ...base, refusedRetryMs: "soon" })).toEqual(['refusedRetryMs: "soon" is not a whole number']);
    const r = validateConfig({ ...base, refusedRetryMs: "60000" });
    expect(r.ok && r.config.refusedRetryMs).toBe(60_000);
  });

  it("keeps string values small enough that one reading always fits a batch", () => {
    expect(problems({ ...base, maxBatchBytes: 2048, maxStringLength: 1000 })).toEqual([expect.stringMatching(/^maxStringLength: /)]);
  });

  it("redacts tokens to their last four characters", () => {
    expect(redactToken(TOKEN)).toBe("****5e6f");
    expect(redactToken("abc")).toBe("****");
  });
});
