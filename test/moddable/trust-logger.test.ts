import { describe, expect, it } from "vitest";
import { TraceLogger } from "../../firmware/moddable/logger.js";
import { TLS_1_2, trustSettings } from "../../firmware/moddable/trust.js";
import { OTHER_TOKEN, TOKEN } from "../support/fixtures.js";
import { resourceClass } from "./fakes.js";

describe("trust anchors (CA selection)", () => {
  it("verifies against the bundled anchors by default, TLS 1.2 at least, no extra certificate", () => {
    const result = trustSettings(true, undefined, resourceClass([]));
    expect(result).toEqual({ ok: true, secure: { verify: true, protocolVersion: TLS_1_2 } });
  });

  it("adds the custom CA resource named by configuration", () => {
    const result = trustSettings(true, "ca.der", resourceClass(["ca.der"]));
    if (!result.ok) throw new Error(result.problem);
    expect(result.secure.verify).toBe(true);
    expect(result.secure.certificate).toEqual({ path: "ca.der" });
  });

  it("is a configuration problem when the custom CA is not in the build", () => {
    const result = trustSettings(true, "ca.der", resourceClass(["ca109.der"]));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain('customCa: no resource named "ca.der"');
  });

  it("turns verification off only when asked", () => {
    const result = trustSettings(false, undefined, resourceClass([]));
    expect(result.ok && result.secure.verify).toBe(false);
  });
});

describe("TraceLogger", () => {
  function capture(level: "debug" | "info" | "warn" | "error", token?: string) {
    const lines: string[] = [];
    return { lines, logger: new TraceLogger((t) => lines.push(t), level, token) };
  }

  it("never writes the configured token whole, even when the caller forgot to redact it", () => {
    const { lines, logger } = capture("debug", TOKEN);
    logger.log("error", `refused Device-Token ${TOKEN} (again: ${TOKEN})`);
    expect(lines.join("")).not.toContain(TOKEN);
    expect(lines[0]).toBe(`error: refused Device-Token ****${TOKEN.slice(-4)} (again: ****${TOKEN.slice(-4)})\n`);
  });

  it("redacts any token-shaped value, such as one set later, and a configured token that is not a UUID", () => {
    const odd = "not-a-uuid-but-secret";
    const { lines, logger } = capture("debug", odd);
    logger.log("info", `new token ${OTHER_TOKEN.toUpperCase()} and ${odd}`);
    expect(lines[0]).not.toContain(OTHER_TOKEN.toUpperCase());
    expect(lines[0]).not.toContain(odd);
    expect(lines[0]).toContain(`****${OTHER_TOKEN.toUpperCase().slice(-4)}`);
  });

  it("drops lines below its level", () => {
    const { lines, logger } = capture("warn");
    logger.log("debug", "a");
    logger.log("info", "b");
    logger.log("warn", "c");
    logger.log("error", "d");
    expect(lines).toEqual(["warn: c\n", "error: d\n"]);
  });

  it("does not throw when the console write fails", () => {
    const logger = new TraceLogger(() => {
      throw new Error("serial gone");
    }, "info");
    expect(() => logger.log("error", "x")).not.toThrow();
  });
});
