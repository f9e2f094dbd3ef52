// Where the browser tests find Chromium: CHROMIUM_PATH, else `chromium` on PATH (Debian's package;
// CI's .ci/run installs it). A missing browser fails the test, saying how to install one; it never skips.

import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const INSTALL_HINT =
  "The browser tests need Chromium: none at CHROMIUM_PATH, or no `chromium` on PATH. Install it with " +
  "`apt-get install chromium` on Debian (CI's .ci/run does this itself), or set CHROMIUM_PATH to a Chromium or Chrome binary.";

export function chromiumPath(): string {
  const candidates = process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "chromium"));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not this one
    }
  }
  throw new Error(INSTALL_HINT);
}
