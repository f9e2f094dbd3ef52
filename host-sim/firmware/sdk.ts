// The Moddable SDK as the firmware commands use it: only the SDK that MODDABLE points at, built by
// its own Getting Started guide (this repository never builds, fetches or ships it). mcconfig
// compiles the TypeScript modules with this repository's tsc (node_modules/.bin first on PATH).
// Policy when failing: a missing SDK or tool is a clear sentence saying what to install; a tool
// that fails hands back its output so the caller can show the end of it.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Where mcconfig builds `target` for this checkout: one folder per checkout, kept between runs
 * (builds are incremental), so two checkouts building at once never mix their outputs.
 */
export function buildDir(target: "sim" | "esp32"): string {
  const checkout = createHash("sha256").update(REPO).digest("hex").slice(0, 8);
  return join(tmpdir(), `tagoio-agent-firmware-${target}-${checkout}`);
}

export interface Sdk {
  /** $MODDABLE. */
  root: string;
  /** The Linux tools: mcconfig, mcsim, xsc, xsl. */
  bin: string;
  /** What every SDK tool runs with: MODDABLE, and PATH with this repository's tsc and the SDK's tools. */
  env: NodeJS.ProcessEnv;
}

export type SdkLookup = { ok: true; sdk: Sdk } | { ok: false; problem: string };

const GUIDE =
  "install the Moddable SDK as its Getting Started guide says for Linux (cd $MODDABLE/build/makefiles/lin && make), " +
  "then export MODDABLE=<the SDK's folder>";

/** The SDK MODDABLE names, with its Linux tools built; or what is missing. */
export function findSdk(env: NodeJS.ProcessEnv = process.env): SdkLookup {
  const root = env.MODDABLE;
  if (root === undefined || root === "") return { ok: false, problem: `no Moddable SDK: MODDABLE is not set; ${GUIDE}` };
  if (!existsSync(join(root, "tools", "mcconfig"))) {
    return { ok: false, problem: `no Moddable SDK at MODDABLE=${root} (no tools/mcconfig there); ${GUIDE}` };
  }
  const bin = join(root, "build", "bin", "lin", "release");
  for (const tool of ["mcconfig", "mcsim", "xsc", "xsl"]) {
    if (!existsSync(join(bin, tool))) {
      return { ok: false, problem: `the Moddable SDK at ${root} has no ${tool} in build/bin/lin/release: build its Linux tools (cd $MODDABLE/build/makefiles/lin && make)` };
    }
  }
  const path = [join(REPO, "node_modules", ".bin"), bin, env.PATH ?? ""].join(delimiter);
  return { ok: true, sdk: { root, bin, env: { ...env, MODDABLE: root, PATH: path } } };
}

/** Where `name` is found on PATH, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export interface ToolRun {
  code: number | null;
  /** stdout and stderr together, in order. */
  output: string;
}

/** Runs an SDK tool to its end, capturing what it prints. */
export function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ToolRun> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error) => done({ code: null, output: output + String(error) }));
    child.on("close", (code) => done({ code, output }));
  });
}

/** The last `lines` lines of a tool's output, for an error message. */
export function tail(output: string, lines = 25): string {
  return output.trimEnd().split("\n").slice(-lines).join("\n");
}
