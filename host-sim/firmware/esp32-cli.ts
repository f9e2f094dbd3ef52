// `npm run firmware:esp32`: the JavaScript stages of an ESP32 build on the real Moddable SDK, with
// no ESP-IDF: mcconfig (without -m) writes the build's makefile, then make runs only its module
// compile (tsc and xsc for every module) and the xsl link (which also runs every preloaded
// module's body, as the device would at build time). What it proves: the manifests resolve, every
// module compiles strict, preloading succeeds for the board, and mcconfig merged the build's
// ESP-IDF options (a warning when the board's own replace them). What it cannot: the C parts, the
// ESP-IDF configuration and partition table, and anything at run time on the chip.
// Exit codes: 0 compiled and linked; 1 a stage failed (its output's end is shown); 2 bad options or no SDK.

import { Command, CommanderError, Option } from "commander";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatDuration } from "../../firmware/core/status.js";
import { buildDir, findSdk, REPO, run, tail } from "./sdk.js";
import { notApplied, parseMerged, readFragment } from "./sdkconfig.js";

const program = new Command("firmware:esp32")
  .description("Compile and link the JavaScript stages of the ESP32 firmware (manifests/device) with the SDK MODDABLE points at; no ESP-IDF needed.")
  .addOption(new Option("-p, --board <target>", "the mcconfig platform").default("esp32/nodemcu"))
  .option("--release", "a release build (default: a debug build, as `mcconfig -d`)")
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2));

program.parse();
const options = program.opts<{ board: string; release?: boolean }>();
if (!/^esp32(\/[\w-]+)?$/.test(options.board)) {
  console.error(`firmware:esp32: --board ${options.board}: expected esp32 or esp32/<board>, e.g. esp32/nodemcu`);
  process.exit(2);
}

const lookup = findSdk();
if (!lookup.ok) {
  console.error(`firmware:esp32: ${lookup.problem}`);
  process.exit(2);
}
const sdk = lookup.sdk;
const say = (text: string): void => void console.error(`firmware:esp32: ${text}`);

const out = buildDir("esp32");
mkdirSync(out, { recursive: true });
const started = Date.now();
const debug = options.release === true ? [] : ["-d"];
const generated = await run("mcconfig", [...debug, "-p", options.board, "-o", out], { cwd: join(REPO, "manifests", "device"), env: sdk.env });
if (generated.code !== 0) {
  console.error(tail(generated.output));
  say(`mcconfig failed (exit ${generated.code})`);
  process.exit(1);
}

const [platform, board = ""] = options.board.split("/");
const tmp = join(out, "tmp", platform, board, options.release === true ? "release" : "debug", "device");
if (!existsSync(join(tmp, "makefile"))) {
  say(`mcconfig wrote no makefile in ${tmp}`);
  process.exit(1);
}
// mcconfig merged the build's ESP-IDF options (manifests/device/sdkconfig) into sdkconfig.mc for
// the ESP-IDF stage, unless the board's target manifest names its own SDKCONFIGPATH.
const sdkconfig = join(tmp, "xsProj-esp32", "sdkconfig.mc");
if (!existsSync(sdkconfig)) {
  say(`mcconfig wrote no ${sdkconfig}`);
  process.exit(1);
}
const missing = notApplied(readFragment(), parseMerged(readFileSync(sdkconfig, "utf8")));
if (missing.length > 0) {
  say(`warning: ${options.board} brings its own ESP-IDF options, which replace manifests/device/sdkconfig: ${missing.join(", ")} not applied`);
}
// The makefile refuses to load without an ESP-IDF; the two targets run here need none of it, so
// its checks are satisfied with placeholders and the IDF's sdkconfig.h is dropped as a prerequisite.
const linked = await run("make", ["-f", "makefile", "IDF_PATH=/nonexistent", "IDF_VERSION=none", "SDKCONFIG_H=", join(tmp, "mc.xs.c")], {
  cwd: tmp,
  env: sdk.env,
});
if (linked.code !== 0) {
  console.error(tail(linked.output));
  say(`module compile or xsl link failed (exit ${linked.code})`);
  process.exit(1);
}
console.error(tail(linked.output, 4));
say(`${options.board}: every module compiled and linked with preloads in ${formatDuration(Date.now() - started)} (${join(tmp, "mc.xs.c")})`);
