// The ESP-IDF options the agent's ESP32 build adds (manifests/device/sdkconfig/sdkconfig.defaults),
// read as mcconfig reads them, and checked against the sdkconfig.mc mcconfig merges them into.
// mcconfig skips lines starting with "#" and keeps what follows the first "=", so an option is
// turned off with "=n" (a "# CONFIG_X is not set" line would be dropped without a word); "=n"
// over an option the SDK turns on is written as an empty value, which ESP-IDF ignores, leaving
// the option's default (off). A board whose target manifest names its own SDKCONFIGPATH replaces
// the fragment: `notApplied` is how a build finds that out.
// Policy when failing: every line mcconfig would misread is listed, each with its number.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./sdk.js";

export const FRAGMENT = join(REPO, "manifests", "device", "sdkconfig", "sdkconfig.defaults");

const OPTION = /^(CONFIG_[A-Z0-9_]+)=([^=]*)$/;
const NOT_SET = /^#\s*(CONFIG_[A-Z0-9_]+) is not set\s*$/;

/** The options of an sdkconfig file, name to value, in file order. */
export type Options = Map<string, string>;

/** The options `text` sets; comments and blank lines aside, a line mcconfig would misread throws. */
export function parseFragment(text: string): Options {
  const options: Options = new Map();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const notSet = NOT_SET.exec(line);
    if (notSet !== null) problems.push(`line ${index + 1}: mcconfig skips comments, so "${line}" turns nothing off: write ${notSet[1]}=n`);
    if (line === "" || line.startsWith("#")) return;
    const option = OPTION.exec(line);
    if (option === null) problems.push(`line ${index + 1}: "${line}" is not CONFIG_NAME=value (one "=", as mcconfig splits it)`);
    else if (options.has(option[1])) problems.push(`line ${index + 1}: ${option[1]} is set twice`);
    else options.set(option[1], option[2]);
  });
  if (problems.length > 0) throw new Error(`sdkconfig fragment: ${problems.join("; ")}`);
  return options;
}

/** The options of mcconfig's merged sdkconfig.mc (its own "is not set" comments are the SDK's). */
export function parseMerged(text: string): Options {
  const options: Options = new Map();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf("=");
    if (line.startsWith("CONFIG_") && at > 0) options.set(line.slice(0, at), line.slice(at + 1));
  }
  return options;
}

/** The fragment's options the merged file does not carry as mcconfig would have written them. */
export function notApplied(fragment: Options, merged: Options): string[] {
  return [...fragment].filter(([name, value]) => {
    const got = merged.get(name);
    // mcconfig writes every option it merges: "n" as "n" when the SDK's defaults lack the
    // option, else as "".
    return value === "n" ? got !== "n" && got !== "" : got !== value;
  }).map(([name, value]) => `${name}=${value}`);
}

export function readFragment(path: string = FRAGMENT): Options {
  return parseFragment(readFileSync(path, "utf8"));
}
