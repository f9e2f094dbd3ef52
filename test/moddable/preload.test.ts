// What preloading does on a device: mcconfig runs every module of the core and of the Moddable
// ports at build time, before firmware/main.ts has installed TextEncoder and TextDecoder as
// globals (the SDK's XS has neither). Module-level code that reaches for them aborts the boot
// ("exception: throw!", seen on the simulator). This loads the same modules in a context that
// has only the language's own globals.

import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { bundle } from "../../tools/xs/bundle.js";

it("loads the core and the Moddable ports with no TextEncoder, TextDecoder or host globals", async () => {
  const code = await bundle("firmware/moddable/boot.ts");
  const context: Record<string, unknown> = {};
  expect(() => runInNewContext(code, context)).not.toThrow();
  expect(runInNewContext("typeof TextEncoder", context)).toBe("undefined");
});

// mcconfig's linker warns ("not frozen") of every object a preloaded function reaches that is not
// frozen: such an object is aliasable (a pointer of RAM each) and copied into RAM once written.
// The firmware's constants are frozen, whole, so they stay in flash. Two checks stand in for the
// linker: every object a module
// exports is frozen all the way down, and no module-level constant is an object or array literal
// left unfrozen (those a module keeps to itself). The two modules that import device-only modules
// load only on the SDK; the source check covers them.
const FIRMWARE_DIRS = ["firmware/core", "firmware/moddable", "firmware/simulated"];
const DEVICE_ONLY = ["hardware.ts", "hardware-sim.ts"];

function firmwareFiles(): string[] {
  return FIRMWARE_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => `${dir}/${f}`));
}

/** The paths below `value` to objects that are not frozen; functions are the preloader's to freeze, typed arrays cannot be. */
function unfrozen(value: unknown, path: string, seen: Set<object>): string[] {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value) || seen.has(value)) return [];
  seen.add(value);
  const own = Object.isFrozen(value) ? [] : [path];
  return own.concat(...Object.entries(value).map(([key, inner]) => unfrozen(inner, `${path}.${key}`, seen)));
}

it("freezes, all the way down, every object the firmware's modules export", async () => {
  const loose: string[] = [];
  const files = firmwareFiles().filter((file) => !DEVICE_ONLY.some((name) => file.endsWith(`/${name}`)));
  for (const file of files) {
    const exported = (await import(/* @vite-ignore */ pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) loose.push(...unfrozen(value, `${file}: ${name}`, new Set()));
  }
  expect(files.length).toBeGreaterThan(50);
  expect(loose).toEqual([]);
});

it("leaves no module-level object or array literal unfrozen in the firmware", () => {
  const literal = /^(?:export )?const (\w+)(?::[^=]+)? = [[{]/gm;
  const loose = firmwareFiles().flatMap((file) => [...readFileSync(file, "utf8").matchAll(literal)].map((m) => `${file}: ${m[1]}`));
  expect(loose).toEqual([]);
});
