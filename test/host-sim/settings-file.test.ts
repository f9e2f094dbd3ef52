// The host simulator's settings file: the SettingsStore port kept as a JSON object, within NVS's
// limits, rewritten whole through a rename, refused when damaged.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { SettingsFile } from "../../host-sim/ports/settings-file.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function file(): string {
  const dir = mkdtempSync(join(tmpdir(), "settings-file-"));
  dirs.push(dir);
  return join(dir, "board", "settings.json");
}

it("keeps values across opens, owner-only, with nothing else left in its folder", () => {
  const path = file();
  const store = new SettingsFile(path);
  expect(store.keys()).toEqual([]);
  store.set("token", "3f2b9c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f");
  store.set("ssid", "home");
  store.remove("ssid");
  store.remove("never-set");
  const again = new SettingsFile(path);
  expect(again.keys()).toEqual(["token"]);
  expect(again.get("token")).toBe("3f2b9c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f");
  expect(again.get("toString")).toBeUndefined();
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(readdirSync(join(path, ".."))).toEqual(["settings.json"]);
});

it("refuses what NVS would refuse, naming the key", () => {
  const store = new SettingsFile(file());
  expect(() => store.set("maxRequestsPerMinute", "6")).toThrow(RangeError);
  expect(() => store.set("variables", "x".repeat(4000))).toThrow(/variables: a value of 4000 bytes/);
  expect(existsSync(store.path)).toBe(false);
});

it("refuses a damaged file, naming it", () => {
  const path = file();
  new SettingsFile(path).set("a", "1");
  writeFileSync(path, '{"a": 1}');
  expect(() => new SettingsFile(path)).toThrow(`${path}: not a settings file (must be a JSON object of strings)`);
  writeFileSync(path, "{");
  expect(() => new SettingsFile(path)).toThrow(/not a settings file/);
  expect(readFileSync(path, "utf8")).toBe("{");
});
