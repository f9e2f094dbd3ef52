// What preloading does on a device: mcconfig runs every module of the core and of the Moddable
// ports at build time, before firmware/main.ts has installed TextEncoder and TextDecoder as
// globals (the SDK's XS has neither). Module-level code that reaches for them aborts the boot
// ("exception: throw!", seen on the simulator). This loads the same modules in a context that
// has only the language's own globals.

import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { bundle } from "../../tools/xs/bundle.js";

it("loads the core and the Moddable ports with no TextEncoder, TextDecoder or host globals", async () => {
  const code = await bundle("firmware/moddable/boot.ts");
  const context: Record<string, unknown> = {};
  expect(() => runInNewContext(code, context)).not.toThrow();
  expect(runInNewContext("typeof TextEncoder", context)).toBe("undefined");
});
