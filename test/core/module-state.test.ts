// The core keeps no module-level state it assigns at run time. On the device the core's modules
// are preloaded: what their bodies build is built at build time and kept in flash, while a
// variable set at run time starts again empty at every boot, and every sleep-mode wake is a boot.
// The energy model's meter (tools/energy/wake-work.ts) runs many wakes in one xsnap machine,
// where such state would outlive a wake and its cost at every wake would go unseen.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const core = join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "firmware/core");

it("declares no module-level let or var in firmware/core", () => {
  const files = readdirSync(core).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  expect(files.length).toBeGreaterThan(5);
  const offenders = files.filter((f) => /^(let|var)\s/m.test(readFileSync(join(core, f), "utf8")));
  expect(offenders).toEqual([]);
});
