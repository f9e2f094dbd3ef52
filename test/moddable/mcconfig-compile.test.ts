// Compiles each firmware module on its own, as mcconfig does (one `tsc -p` per module, over a base
// tsconfig built from the manifests), so a global that reaches a module only through another
// module's `/// <reference>` fails here as it fails the SDK build. firmware/tsconfig.json compiles
// everything together with its own options, so it cannot see that. @moddable/typings stands in
// for the SDK's typings.

import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { readBuild, root, typingsDir, type Build, type Manifest } from "./mcconfig.js";

/** The `paths` mcconfig writes: every .d.ts the typings map has, then the project's modules. */
function paths(build: Build): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const [pattern, targets] of Object.entries(build.typings)) {
    for (const target of targets) {
      if (!pattern.endsWith("*")) {
        if (existsSync(join(typingsDir, `${target}.d.ts`))) paths[pattern] ??= [join(typingsDir, target)];
        continue;
      }
      // The npm typings are older than the SDK's and lack some folders.
      const folder = join(typingsDir, target.slice(0, -1));
      if (!existsSync(folder)) continue;
      for (const file of readdirSync(folder).filter((f) => f.endsWith(".d.ts"))) {
        paths[pattern.slice(0, -1) + file.slice(0, -5)] ??= [join(folder, file.slice(0, -5))];
      }
    }
  }
  for (const [name, source] of build.modules) paths[name] = [source.slice(0, -3)];
  // mcconfig generates mc/ffi's typing from the manifest's ffi section; a build without one sees
  // the SDK's untyped fallback (the simulator's does: main.ts names moddable/hardware.ts by its path).
  paths["mc/ffi"] = [build.ffi === undefined ? join(root, "test", "moddable", "ffi-fallback.d.ts") : join(root, "firmware", "ffi.d.ts")];
  return paths;
}

// Parsed once for every program: the lib and typings files dominate the time.
const sourceFiles = new Map<string, ts.SourceFile>();

const formatHost: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };

/** Returns a function that type-checks one module on its own and returns its diagnostics, formatted. */
function compiler(build: Build): (source: string) => string[] {
  const json = {
    forceConsistentCasingInFileNames: true,
    module: "preserve",
    resolveJsonModule: true,
    paths: paths(build),
    lib: ["es2025"],
    sourceMap: true,
    target: "es2025",
    ...build.compilerOptions,
  };
  const converted = ts.convertCompilerOptionsFromJson(json, root);
  // The per-module rootDir and outDir only place the output.
  const options = { ...converted.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile;
  host.getSourceFile = (file, ...rest) => {
    let source = sourceFiles.get(file);
    if (source === undefined) {
      source = read.call(host, file, ...rest);
      if (source !== undefined) sourceFiles.set(file, source);
    }
    return source;
  };
  return (source) => {
    const program = ts.createProgram({ rootNames: [source], options, host });
    // The npm typings' own errors say nothing about the SDK's (5.6.0 lacks return types the SDK's have).
    const checked = program.getSourceFiles().filter((f) => !program.isSourceFileDefaultLibrary(f) && !f.fileName.startsWith(typingsDir));
    const diagnostics = [
      ...converted.errors,
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...checked.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
    ];
    return diagnostics.map((d) => ts.formatDiagnostic(d, formatHost).trim());
  };
}

const builds = [readBuild("manifests/simulator/manifest.json", "lin"), readBuild("manifests/device/manifest.json", "esp32")];

describe.each(builds)("mcconfig's TypeScript build for $platform", (build) => {
  const compile = compiler(build);

  const modules = [...build.modules].map(([name, source]) => [name, relative(root, source)]);
  it.each(modules)("compiles %s (%s) on its own", (_name, source) => {
    expect(compile(join(root, source))).toEqual([]);
  });
});

describe("compiling one module on its own", () => {
  it("fails core/classify, which uses TextDecoder, when the manifests' TypeScript types are left out", () => {
    const withoutTypes = (m: Manifest): Manifest => ({
      ...m,
      typescript: { tsconfig: { compilerOptions: { ...m.typescript?.tsconfig?.compilerOptions, types: [] } } },
    });
    const compile = compiler(readBuild("manifests/simulator/manifest.json", "lin", withoutTypes));
    const messages = compile(join(root, "firmware/core/classify.ts"));
    expect(messages).toContainEqual(expect.stringMatching(/^firmware\/core\/classify\.ts\(\d+,\d+\): error TS2304: Cannot find name 'TextDecoder'\.$/));
  });
});
