// Bundles a portable entry (core, ports, scenario or benchmark code) into one classic script:
// xsnap evaluates scripts, not modules, so the output is an IIFE. Target ES2022 syntax, which
// XS 13.3 parses; output is ASCII (esbuild escapes the rest), so no encoding can differ.

import { build } from "esbuild";

export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    target: "es2022",
    platform: "neutral",
    charset: "ascii",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}
