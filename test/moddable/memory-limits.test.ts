// The XS machine's memory limits, read from the manifests as mcconfig merges them (a manifest's
// includes first, then the manifest itself, later values winning): the device build and the Linux
// simulator's build must create the machine alike, with fixed heaps, so that `firmware:sim` runs
// out of memory where a board would. The SDK's own manifests (`$(...)` paths) are left out: ours
// come after them in every include list, so ours win.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../firmware/core/config.js";
import { BOARD_VARIABLES } from "../../firmware/simulated/board.js";

const TOKEN = "3f2b8c1d-4e5a-4b6c-8d7e-9f0a1b2c3d4e";
const manifests = resolve(dirname(fileURLToPath(import.meta.url)), "../../manifests");

interface Manifest {
  include?: string | string[];
  modules?: Record<string, string>;
  preload?: string[];
  creation?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

interface Merged {
  creation: Record<string, unknown>;
  config: Record<string, unknown>;
  /** The repository's manifests that state any `creation`, in merge order. */
  creators: string[];
}

/** One level deep, as mcconfig's mergeProperties: an object property replaces the whole value. */
function merge(path: string, into: Merged = { creation: {}, config: {}, creators: [] }): Merged {
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  const includes = manifest.include === undefined ? [] : [manifest.include].flat();
  for (const include of includes) {
    if (!include.startsWith("$(")) merge(resolve(dirname(path), include), into);
  }
  if (manifest.creation !== undefined) into.creators.push(path.slice(manifests.length + 1));
  Object.assign(into.creation, manifest.creation);
  Object.assign(into.config, manifest.config);
  return into;
}

describe("XS memory limits", () => {
  const device = merge(join(manifests, "device/manifest.json"));
  const simulator = merge(join(manifests, "simulator/manifest.json"));
  const local = merge(join(manifests, "simulator-local/manifest.json"));

  it("are stated in one manifest, which the device and both simulator builds include", () => {
    for (const build of [device, simulator, local]) expect(build.creators).toEqual(["memory.json"]);
  });

  it("create the machine alike on the device and the simulator: same slots, chunk bytes and stack, heaps that never grow", () => {
    expect(simulator.creation).toEqual(device.creation);
    expect(local.creation).toEqual(device.creation);
    expect(device.creation).toMatchObject({ static: 0, chunk: { incremental: 0 }, heap: { incremental: 0 } });
    for (const key of ["chunk", "heap"]) expect((device.creation[key] as { initial: number }).initial).toBeGreaterThan(0);
    expect(device.creation.stack).toBeGreaterThan(0);
  });

  it("preload every module but main, each by its exact name (mcconfig's `*` patterns match JavaScript modules only, never TypeScript)", () => {
    // A module left out is loaded at run time: its functions, classes and byte code then take RAM
    // (on the simulator between uploads: 6,779 live slots without preloading, 1,016 with).
    const agent = JSON.parse(readFileSync(join(manifests, "agent.json"), "utf8")) as Manifest;
    const modules = Object.keys(agent.modules ?? {}).filter((name) => name !== "main");
    expect(agent.preload?.filter((name) => name.includes("*"))).toEqual([]);
    expect(agent.preload).toEqual(modules);
  });

  it("size the ring, an upload's buffer and a landing check's page the same on both, within the core's rules", () => {
    const sizes = { bufferCapacity: device.config.bufferCapacity, maxBatchBytes: device.config.maxBatchBytes, maxCheckPageBytes: device.config.maxCheckPageBytes };
    for (const value of Object.values(sizes)) expect(value).toBeTypeOf("number");
    for (const build of [simulator, local]) expect(build.config).toMatchObject(sizes);
    expect(validateConfig({ ...sizes, token: TOKEN, variables: BOARD_VARIABLES })).toMatchObject({ ok: true, warnings: [] });
  });
});
