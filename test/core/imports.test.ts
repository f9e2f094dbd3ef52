// The core must run unchanged on XS and Node: it may import only from firmware/core and
// firmware/ports.ts. This reads the import graph from the sources and fails on anything else.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const core = join(root, "firmware/core");
const ports = join(root, "firmware/ports.ts");

const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[\s;(])import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|[\s;])import\s*["']([^"']+)["']/gm;

function specifiersOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(SPECIFIER)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function coreFiles(): string[] {
  return readdirSync(core, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => join(core, f));
}

function offenders(): string[] {
  const bad: string[] = [];
  for (const file of coreFiles()) {
    for (const spec of specifiersOf(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) {
        bad.push(`${relative(root, file)} imports "${spec}" (not a relative path)`);
        continue;
      }
      const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
      const inside = target === ports || (target.startsWith(core + "/") && !relative(core, target).startsWith(".."));
      if (!inside) bad.push(`${relative(root, file)} imports "${spec}" (outside the core)`);
    }
  }
  return bad;
}

describe("the core's import graph", () => {
  it("reads the imports it is meant to police", () => {
    const found = specifiersOf(readFileSync(join(core, "agent.ts"), "utf8"));
    expect(found).toContain("../ports.js");
    expect(found).toContain("./backlog.js");
    expect(specifiersOf('import fs from "node:fs";\nexport { x } from "../../host-sim/a.js";\nconst m = import("timer");'))
      .toEqual(["node:fs", "../../host-sim/a.js", "timer"]);
  });

  it("imports nothing outside firmware/core and firmware/ports.ts", () => {
    expect(coreFiles().length).toBeGreaterThan(5);
    expect(offenders()).toEqual([]);
  });
});
