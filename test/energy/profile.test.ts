// A user's power profile: what it gives replaces the default, what it leaves out keeps it, and
// every problem is named by its field.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILE, parseProfile, STEADY_STATES, TIMED_PHASES } from "../../tools/energy/profile.js";

describe("parseProfile", () => {
  it("keeps the defaults for what a profile leaves out, and says which", () => {
    const checked = parseProfile({ name: "my board", deepSleep: { ma: 0.15 }, boot: { ma: 35, ms: 120 } });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.profile.name).toBe("my board");
    expect(checked.profile.deepSleep).toEqual({ ma: 0.15 });
    expect(checked.profile.boot).toEqual({ ma: 35, ms: 120 });
    expect(checked.profile.wifiJoin).toEqual(DEFAULT_PROFILE.wifiJoin);
    expect(checked.fromDefaults).toContain("wifiJoin");
    expect(checked.fromDefaults).not.toContain("boot");
  });

  it("lists every problem, each naming its field", () => {
    const checked = parseProfile({ boot: { ma: -1, ms: "fast" }, wifiJoin: 3, idle: { ma: 30, ms: 5 }, deepSleap: { ma: 0.01 }, name: "" });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems).toEqual([
      expect.stringMatching(/^deepSleap: not a phase or state of the profile \(known: boot, .*deepSleep\)$/),
      "name: must be a non-empty string",
      "boot.ma: must be a number at least 0 (got -1)",
      'boot.ms: must be a number at least 0 (got "fast")',
      "wifiJoin: must be an object {ma, ms}",
      "idle.ms: not a field (has ma)",
    ]);
  });

  it("refuses what is not an object", () => {
    expect(parseProfile([1, 2])).toEqual({ ok: false, problems: ["the profile must be a JSON object"] });
  });

  it("accepts the defaults as a file would give them, unchanged", () => {
    const checked = parseProfile(JSON.parse(JSON.stringify(DEFAULT_PROFILE)));
    expect(checked).toEqual({ ok: true, profile: DEFAULT_PROFILE, fromDefaults: [] });
  });
});

describe("the default profile", () => {
  it("is the README's table, figure for figure", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const row = (name: string): string[] => {
      const line = readme.split("\n").find((l) => l.startsWith(`| \`${name}\``));
      expect(line, name).toBeDefined();
      return (line ?? "").split("|").slice(2, 4).map((cell) => cell.trim().replace(/,/g, ""));
    };
    for (const name of TIMED_PHASES) {
      expect(row(name), name).toEqual([String(DEFAULT_PROFILE[name].ma), String(DEFAULT_PROFILE[name].ms)]);
    }
    for (const name of STEADY_STATES) {
      expect(row(name), name).toEqual([String(DEFAULT_PROFILE[name].ma), ""]);
    }
  });
});
