// The manifests and the firmware's import graph, read from the files: every firmware module is
// mapped under a folder-preserving name (so relative imports resolve unchanged on XS), the trust
// anchors are chosen in one place, the flash partition exists, and only the files that
// mcconfig alone compiles import Moddable modules (everything else runs under Node in tests).

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HOST_DEFAULTS } from "../../firmware/moddable/settings.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const manifests = join(root, "manifests");

interface Manifest {
  include?: string[];
  modules?: Record<string, string>;
  resources?: Record<string, string[]>;
  config?: Record<string, unknown>;
  typescript?: { tsconfig?: { compilerOptions?: Record<string, unknown> } };
  build?: Record<string, string>;
}

function manifest(path: string): Manifest {
  return JSON.parse(readFileSync(join(manifests, path), "utf8")) as Manifest;
}

/** Module sources that are TypeScript modules (declaration files are not modules). */
function sources(folder: string): string[] {
  return readdirSync(join(root, "firmware", folder))
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => `${folder}/${f.slice(0, -3)}`);
}

const IMPORT = /(?:^|[\s;}])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']/gm;

describe("manifests", () => {
  const agent = manifest("agent.json");

  it("map every firmware module under its folder-preserving name, to a file that exists", () => {
    const modules = agent.modules ?? {};
    const expected = [
      "main",
      "ports",
      ...sources("core"),
      ...sources("simulated"),
      ...sources("moddable").filter((m) => !m.startsWith("moddable/hardware")),
    ];
    expect(Object.keys(modules).sort()).toEqual(expected.sort());
    for (const [name, path] of Object.entries(modules)) {
      expect(path).toBe(`../firmware/${name}`);
      expect(existsSync(join(manifests, path + ".ts"))).toBe(true);
    }
  });

  it("map moddable/hardware to the ESP32 drivers on devices and to nothing on the simulator", () => {
    expect(manifest("device/manifest.json").modules).toEqual({ "moddable/hardware": "../../firmware/moddable/hardware" });
    expect(manifest("simulator/manifest.json").modules).toEqual({ "moddable/hardware": "../../firmware/moddable/hardware-sim" });
  });

  it("compile strict TypeScript", () => {
    expect(agent.typescript?.tsconfig?.compilerOptions?.strict).toBe(true);
  });

  it("choose the trust anchors in one place, covering the roots api.tago.io may chain to", () => {
    const anchors = manifest("tls.json").resources?.["*"] ?? [];
    expect(anchors).toEqual(expect.arrayContaining(["ca106", "ca109", "ca170", "ca222"].map((ca) => `$(MODULES)/crypt/data/${ca}`)));
    expect(agent.include).toContain("./tls.json");
    for (const path of ["agent.json", "device/manifest.json", "simulator/manifest.json", "simulator-local/manifest.json"]) {
      const listed = JSON.stringify(manifest(path).resources ?? {});
      expect(listed).not.toContain("crypt/data");
    }
  });

  it("build the Linux simulator against the local endpoint's CA", () => {
    const local = manifest("simulator-local/manifest.json");
    expect(local.include).toEqual(["../simulator/manifest.json"]);
    expect(local.resources?.["*"]).toEqual(["../../.tago-local/ca"]);
    expect(local.config).toMatchObject({ customCa: "ca.der", host: "127.0.0.1" });
    expect(manifest("simulator/manifest.json").config).toMatchObject({ network: "host", clock: "host", sensors: "simulated" });
  });

  it("give the device a data partition named like the flashPartition default, inside 4 MB, sector-aligned", () => {
    const device = manifest("device/manifest.json");
    const csv = readFileSync(join(manifests, "device", device.build?.PARTITIONS_FILE ?? ""), "utf8");
    const rows = csv
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((l) => l.split(",").map((c) => c.trim()));
    const journal = rows.find((r) => r[0] === HOST_DEFAULTS.flashPartition);
    expect(journal?.[1]).toBe("data");
    expect(agent.config?.flashPartition).toBe(HOST_DEFAULTS.flashPartition);
    let end = 0x9000;
    for (const [, , , offset, size] of rows) {
      expect(Number(offset)).toBe(end);
      expect(Number(offset) % 0x1000).toBe(0);
      end = Number(offset) + Number(size);
    }
    expect(end).toBeLessThanOrEqual(0x400000);
    expect(Number(journal?.[4]) % 0x1000).toBe(0);
  });
});

describe("the firmware's imports", () => {
  const folder = join(root, "firmware", "moddable");
  const files = [...readdirSync(folder).map((f) => join(folder, f)), join(root, "firmware", "main.ts")].filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".d.ts"),
  );

  it("import Moddable modules only in main.ts and the builds' hardware modules, and nothing outside firmware/", () => {
    const moddable: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
        const spec = m[1];
        if (!spec.startsWith(".")) {
          moddable.push(relative(root, file));
          continue;
        }
        const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
        expect(relative(join(root, "firmware"), target).startsWith("..")).toBe(false);
        expect(existsSync(target)).toBe(true);
      }
    }
    expect([...new Set(moddable)].sort()).toEqual(["firmware/main.ts", "firmware/moddable/hardware-sim.ts", "firmware/moddable/hardware.ts"]);
  });
});
