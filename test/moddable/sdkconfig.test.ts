// The ESP-IDF options of the ESP32 build (manifests/device/sdkconfig), read from the files: the
// fragment sets exactly the documented options, in the form mcconfig merges, the device manifest
// points at it, and a build's merged sdkconfig.mc is checked the way mcconfig writes it (as seen
// in a real `npm run firmware:esp32` build, for esp32/nodemcu and for a board with its own folder).
// ESP-IDF itself is not installed here: the names were checked against ESP-IDF v6.0's Kconfig
// files (components/bootloader/Kconfig.projbuild), the version Moddable SDK 8.x builds with.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { FRAGMENT, notApplied, parseFragment, parseMerged, readFragment } from "../../host-sim/firmware/sdkconfig.js";
import { root } from "./mcconfig.js";

/** The options the README's ESP32 section documents, and nothing else. */
const DOCUMENTED = new Map([
  ["CONFIG_BOOTLOADER_SKIP_VALIDATE_IN_DEEP_SLEEP", "y"],
  ["CONFIG_BOOTLOADER_SKIP_VALIDATE_ALWAYS", "n"],
]);

describe("the ESP32 build's ESP-IDF options", () => {
  it("are the documented set, each explained by a comment above it", () => {
    expect(readFragment()).toEqual(DOCUMENTED);
    const lines = readFileSync(FRAGMENT, "utf8").split("\n");
    for (const name of DOCUMENTED.keys()) {
      const at = lines.findIndex((line) => line.startsWith(`${name}=`));
      expect(lines[at - 1], name).toMatch(/^# /);
    }
  });

  it("are the folder the device manifest names as SDKCONFIGPATH", () => {
    const manifest = JSON.parse(readFileSync(join(root, "manifests", "device", "manifest.json"), "utf8")) as { build?: Record<string, string> };
    const folder = manifest.build?.SDKCONFIGPATH;
    expect(folder).toBe("./sdkconfig");
    expect(join(root, "manifests", "device", folder ?? "")).toBe(dirname(FRAGMENT));
    expect(existsSync(FRAGMENT)).toBe(true);
  });

  it("refuse the lines mcconfig would misread, naming each", () => {
    const text = "# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_B=n\nCONFIG_C=\"a=b\"\nBOOT_FAST=y\n";
    expect(() => parseFragment(text)).toThrow(
      'sdkconfig fragment: line 1: mcconfig skips comments, so "# CONFIG_A is not set" turns nothing off: write CONFIG_A=n; ' +
        "line 3: CONFIG_B is set twice; " +
        'line 4: "CONFIG_C="a=b"" is not CONFIG_NAME=value (one "=", as mcconfig splits it); ' +
        'line 5: "BOOT_FAST=y" is not CONFIG_NAME=value (one "=", as mcconfig splits it)',
    );
  });

  it("count as applied when mcconfig merged them: =n over the SDK's =y written as an empty value", () => {
    // What mcconfig wrote for esp32/nodemcu: the SDK's line emptied, the new option appended.
    const nodemcu = "CONFIG_BOOTLOADER_LOG_LEVEL_NONE=y\nCONFIG_BOOTLOADER_SKIP_VALIDATE_ALWAYS=\n# CONFIG_PARTITION_TABLE_MD5 is not set\n\nCONFIG_BOOTLOADER_SKIP_VALIDATE_IN_DEEP_SLEEP=y\n";
    expect(notApplied(readFragment(), parseMerged(nodemcu))).toEqual([]);
    // An option the SDK's defaults lack is appended as written.
    expect(notApplied(new Map([["CONFIG_X", "n"]]), parseMerged("CONFIG_X=n\n"))).toEqual([]);
  });

  it("count as not applied when a board's own SDKCONFIGPATH replaced them", () => {
    // What mcconfig wrote for esp32/m5paper, whose target manifest names its own folder.
    const m5paper = "CONFIG_BOOTLOADER_LOG_LEVEL_NONE=y\nCONFIG_BOOTLOADER_SKIP_VALIDATE_ALWAYS=y\n";
    expect(notApplied(readFragment(), parseMerged(m5paper))).toEqual([
      "CONFIG_BOOTLOADER_SKIP_VALIDATE_IN_DEEP_SLEEP=y",
      "CONFIG_BOOTLOADER_SKIP_VALIDATE_ALWAYS=n",
    ]);
  });
});
