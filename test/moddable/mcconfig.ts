// What mcconfig reads from a build's manifests, without the SDK: the project's manifests from disk,
// the SDK's from sdk-manifests.json (read from the SDK sources), SDK typings from @moddable/typings.

import { readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SDK_TABLE = "test/moddable/sdk-manifests.json";
/** Stands in for $(MODDABLE)/typings. Real path, as TypeScript names the files it resolves. */
export const typingsDir = realpathSync(join(root, "node_modules", "@moddable", "typings"));

export type Platform = "lin" | "esp32";

/** A project manifest, as far as these checks read it. */
export interface Manifest {
  include?: string[];
  modules?: Record<string, string>;
  typescript?: { tsconfig?: { compilerOptions?: Record<string, unknown> } };
  platforms?: Record<string, Manifest>;
  /** C functions bound through XS FFI: mcconfig then generates the `mc/ffi` module and its typing. */
  ffi?: { functions: Record<string, FfiSignature> };
}

export interface FfiSignature {
  arguments?: string[];
  returns?: string;
}

interface SdkSection {
  include?: string[];
  modules?: string[];
  types?: string[];
  typings?: Record<string, string[]>;
}

interface SdkTable {
  generated: string[];
  manifests: Record<string, SdkSection & { platforms?: Partial<Record<Platform, SdkSection>> }>;
}

const sdk = JSON.parse(readFileSync(join(root, SDK_TABLE), "utf8")) as SdkTable;

export interface Build {
  platform: Platform;
  /** The project's modules: specifier -> TypeScript source. */
  modules: Map<string, string>;
  /** The JavaScript modules the included SDK manifests bring, and those mcconfig generates. */
  sdkModules: Set<string>;
  /** SDK manifests the build includes that the table does not know. */
  unknownSdk: string[];
  /** The merged `typescript.tsconfig.compilerOptions`, `types` resolved to paths. */
  compilerOptions: Record<string, unknown>;
  /** The SDK's .d.ts module map: specifier pattern -> paths under the typings. */
  typings: Record<string, string[]>;
  /** The functions the build binds through XS FFI, when it binds any. */
  ffi: Record<string, FfiSignature> | undefined;
}

/** An SDK `types` entry on the npm typings, which keep xs.d.ts at their top (the SDK keeps it with XS). */
function standIn(type: string): string {
  return join(typingsDir, type.replace("$(MODDABLE)/xs/includes/", "").replace("$(MODDABLE)/typings/", ""));
}

function mergeOptions(into: Record<string, unknown>, options: Record<string, unknown>, resolveType: (type: string) => string): void {
  for (const [name, value] of Object.entries(options)) {
    const resolved = name === "types" ? (value as string[]).map(resolveType) : value;
    // Arrays add up across manifests and the last value set wins, as in mcconfig (which also merges
    // objects: our manifests set none).
    const before = into[name];
    into[name] = Array.isArray(resolved) && Array.isArray(before) ? [...before, ...resolved] : resolved;
  }
}

/**
 * Walks a build as mcconfig does for `platform`: `manifest` (from the repository root), the platform
 * section each manifest picks, and everything they include. `edit` changes each project manifest read.
 */
export function readBuild(manifest: string, platform: Platform, edit: (m: Manifest) => Manifest = (m) => m): Build {
  const build: Build = { platform, modules: new Map(), sdkModules: new Set(sdk.generated), unknownSdk: [], compilerOptions: {}, typings: {}, ffi: undefined };
  const seen = new Set<string>();

  const readProject = (path: string): void => {
    const m = edit(JSON.parse(readFileSync(path, "utf8")) as Manifest);
    const folder = dirname(path);
    // Our manifests name platforms exactly, with "..." for the rest.
    for (const part of [m, m.platforms?.[platform] ?? m.platforms?.["..."] ?? {}]) {
      for (const [name, source] of Object.entries(part.modules ?? {})) {
        // A module the project maps from the SDK's sources (no SDK manifest brings it).
        if (source.startsWith("$(")) build.sdkModules.add(name);
        else build.modules.set(name, resolve(folder, source) + ".ts");
      }
      mergeOptions(build.compilerOptions, part.typescript?.tsconfig?.compilerOptions ?? {}, (type) => resolve(folder, type));
      for (const include of part.include ?? []) visit(include, folder);
      if (part.ffi !== undefined) {
        build.ffi = { ...build.ffi, ...part.ffi.functions };
        build.sdkModules.add("mc/ffi");
      }
    }
  };

  const readSdk = (key: string): void => {
    const m = sdk.manifests[key];
    if (m === undefined) {
      build.unknownSdk.push(key);
      return;
    }
    for (const part of [m, m.platforms?.[platform] ?? {}]) {
      for (const name of part.modules ?? []) build.sdkModules.add(name);
      if (part.types !== undefined) mergeOptions(build.compilerOptions, { types: part.types }, standIn);
      for (const [pattern, paths] of Object.entries(part.typings ?? {})) build.typings[pattern] ??= paths;
      for (const include of part.include ?? []) visit(include, "");
    }
  };

  const visit = (include: string, folder: string): void => {
    const sdkPath = include.startsWith("$(");
    // The table spells $(MODDABLE)/modules/... as $(MODULES)/...
    const key = sdkPath ? include.replace("$(MODDABLE)/modules/", "$(MODULES)/") : resolve(folder, include);
    if (seen.has(key)) return;
    seen.add(key);
    if (sdkPath) readSdk(key);
    else readProject(key);
  };

  visit(manifest, root);
  return build;
}
