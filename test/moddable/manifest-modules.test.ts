// Every module the firmware imports at run time is in the build: one of the project's modules or a
// JavaScript module that an SDK manifest the build includes brings (sdk-manifests.json, read from
// the SDK). A missing one links fine when no preloaded module imports it (main is not preloaded)
// and aborts at boot with `ReferenceError: module "..." not found`.

import { readFileSync } from "node:fs";
import { posix } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { readBuild, SDK_TABLE, type Build, type Manifest, type Platform } from "./mcconfig.js";

/** The specifiers a module imports at run time: all but `import type` and `export type`. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly !== true) {
      specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined && !statement.isTypeOnly) {
      specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return specifiers;
}

/** Every `importer imports "module"` of the project's modules that the build does not have. */
function unresolved(build: Build): string[] {
  const missing: string[] = [];
  for (const [importer, source] of build.modules) {
    for (const specifier of runtimeImports(source)) {
      // XS resolves a relative specifier against the importer's own specifier.
      const name = specifier.startsWith(".") ? posix.join(posix.dirname(importer), specifier).replace(/\.js$/, "") : specifier;
      if (!build.modules.has(name) && !build.sdkModules.has(name)) missing.push(`${importer} imports "${name}"`);
    }
  }
  return missing;
}

const INSTRUMENTATION = "$(MODULES)/base/instrumentation/manifest.json";

const builds: Array<[string, Platform]> = [
  ["manifests/simulator/manifest.json", "lin"],
  ["manifests/device/manifest.json", "esp32"],
];

describe.each(builds)("%s for %s", (manifest, platform) => {
  const build = readBuild(manifest, platform);

  it("includes only SDK manifests the table knows", () => {
    expect(build.unknownSdk, `unknown SDK manifests: add each to ${SDK_TABLE} from the SDK (what it maps and includes, for lin and esp32)`).toEqual([]);
  });

  it("brings every module the firmware imports", () => {
    expect(unresolved(build), `add the SDK manifest that brings each to the build (and to ${SDK_TABLE})`).toEqual([]);
  });

  it(`reports instrumentation missing without ${INSTRUMENTATION}`, () => {
    const without = (m: Manifest): Manifest => ({ ...m, include: m.include?.filter((include) => include !== INSTRUMENTATION) });
    expect(unresolved(readBuild(manifest, platform, without))).toContain('main imports "instrumentation"');
  });
});
