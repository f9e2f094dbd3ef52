// The board's settings layers over the preference adapter and an NVS that behaves as the ESP32's
// does: precedence, validation with the core's messages, stale and unknown stored values, store
// keys within 15 characters, writes only on change, and NVS's own limits.

import { describe, expect, it } from "vitest";
import { CONFIG_KEYS } from "../../firmware/core/config.js";
import { checkCore, SettingsLayers, storeKey, STORE_KEY_MAX } from "../../firmware/core/settings-layers.js";
import { NvsPreference } from "../../firmware/fakes/nvs-preference.js";
import { PreferenceSettings, SETTINGS_DOMAIN } from "../../firmware/moddable/preference-settings.js";
import { BOARD_VARIABLES, TOKEN } from "../support/fixtures.js";

const DEFAULTS = { token: TOKEN, variables: BOARD_VARIABLES, sampleIntervalMs: "1000" };

function board(nvs = new NvsPreference()): { nvs: NvsPreference; store: PreferenceSettings } {
  return { nvs, store: new PreferenceSettings(nvs) };
}

describe("store keys", () => {
  it("keep keys that fit and shorten longer ones, the same way every time, without collisions among the settings", () => {
    expect(storeKey("token")).toBe("token");
    expect(storeKey("checkDeadlineMs")).toBe("checkDeadlineMs");
    const long = storeKey("maxRequestsPerMinute");
    expect(long).toMatch(/^maxRequest~[0-9a-z]{4}$/);
    expect(storeKey("maxRequestsPerMinute")).toBe(long);
    const keys = [...CONFIG_KEYS, "temperature.heartbeatMs", "temperature.throttleMs", "humidity.heartbeatMs"].map(storeKey);
    expect(keys.every((k) => k.length <= STORE_KEY_MAX)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("layers", () => {
  it("put stored values over the built-in ones, and the result through validateConfig", () => {
    const { store } = board();
    store.set(storeKey("sampleIntervalMs"), "5000");
    store.set("temperature.d~x", "ignored"); // no setting's store key
    const layers = new SettingsLayers(DEFAULTS, store, checkCore);
    expect(layers.merged().sampleIntervalMs).toBe("5000");
    expect(checkCore(layers.merged()).config?.sampleIntervalMs).toBe(5000);
    expect(layers.ignored).toEqual(['stored key "temperature.d~x" names no setting of this firmware; ignored']);
  });

  it("report and leave out a stored value that no longer validates, and still give a configuration", () => {
    const { store } = board();
    store.set(storeKey("sampleIntervalMs"), "50");
    store.set(storeKey("uploadIntervalMs"), "120000");
    const layers = new SettingsLayers(DEFAULTS, store, checkCore);
    expect(layers.ignored).toEqual(["stored sampleIntervalMs ignored: sampleIntervalMs: 50 is out of range (100 to 86400000)"]);
    const config = checkCore(layers.merged()).config;
    expect(config?.sampleIntervalMs).toBe(1000);
    expect(config?.uploadIntervalMs).toBe(120_000);
    // Kept in the store: only a new value replaces it.
    expect(store.get(storeKey("sampleIntervalMs"))).toBe("50");
  });

  it("name neither the token nor any value in what they report about a stored token", () => {
    const { store } = board();
    store.set("token", "not-a-token-but-secret");
    const layers = new SettingsLayers(DEFAULTS, store, checkCore);
    expect(layers.ignored.join()).not.toContain("secret");
    expect(layers.merged().token).toBe(TOKEN);
  });

  it("take a board without a token, and a stored token over none built in", () => {
    const { store } = board();
    const bare = new SettingsLayers({ variables: BOARD_VARIABLES }, store, checkCore);
    expect(bare.problemsWith("token", TOKEN)).toEqual([]);
    bare.set("token", TOKEN);
    expect(new SettingsLayers({ variables: BOARD_VARIABLES }, store, checkCore).merged().token).toBe(TOKEN);
  });

  it("write only when a value changes, and remove a key set to the empty string", () => {
    const { nvs, store } = board();
    const layers = new SettingsLayers(DEFAULTS, store, checkCore);
    layers.set("maxRequestsPerMinute", "20");
    layers.set("maxRequestsPerMinute", "20");
    layers.set("sampleIntervalMs", "5000");
    expect(nvs.writes).toBe(2);
    expect(layers.writes).toBe(2);
    expect(nvs.get(SETTINGS_DOMAIN, storeKey("maxRequestsPerMinute"))).toBe("20");
    layers.set("sampleIntervalMs", "");
    expect(nvs.keys(SETTINGS_DOMAIN)).toEqual([storeKey("maxRequestsPerMinute")]);
    expect(layers.merged().sampleIntervalMs).toBe("1000");
    // A new boot reads them back.
    expect(checkCore(new SettingsLayers(DEFAULTS, store, checkCore).merged()).config?.maxRequestsPerMinute).toBe(20);
  });

  it("say what a change would break, in validateConfig's words, before anything is written", () => {
    const { nvs, store } = board();
    const layers = new SettingsLayers(DEFAULTS, store, checkCore);
    expect(layers.problemsWith("sampleIntervalMs", "abc")).toEqual(['sampleIntervalMs: "abc" is not a whole number']);
    expect(layers.problemsWith("backoffBaseMs", "400000")).toEqual(["backoffCapMs: 300000 is below backoffBaseMs (400000)"]);
    expect(layers.problemsWith("paramsIntervalMs", "1000")).toEqual(["paramsIntervalMs: 1000 must be 0 (off) or at least 60000"]);
    expect(nvs.writes).toBe(0);
  });

  it("put a variable's filters into its entry: temperature.delta, a window as JSON", () => {
    const { store } = board();
    const layers = new SettingsLayers(DEFAULTS, store, checkCore);
    expect(layers.knows("temperature.delta")).toBe(true);
    expect(layers.knows("temperature.colour")).toBe(false);
    expect(layers.knows("nosuch.delta")).toBe(false);
    expect(layers.knows("logLevel")).toBe(false);
    expect(layers.problemsWith("temperature.delta", "-1")).toEqual([expect.stringMatching(/^variables\[0\]\.delta: must be a number of at least 0/)]);
    layers.set("temperature.delta", "0.5");
    layers.set("humidity.window", '{"samples":6,"aggregate":"max"}');
    const reread = new SettingsLayers(DEFAULTS, store, checkCore);
    const variables = checkCore(reread.merged()).config?.variables ?? [];
    expect(variables[0].reporting).toEqual({ delta: 0.5 });
    expect(variables[1].reporting).toEqual({ window: { samples: 6, aggregate: "max" } });
    expect(reread.ignored).toEqual([]);
  });

  it("know the host's own keys", () => {
    const layers = new SettingsLayers(DEFAULTS, undefined, checkCore, { logLevel: {} });
    expect(layers.knows("logLevel")).toBe(true);
    expect(layers.persistent).toBe(false);
  });
});

describe("the preference adapter over NVS", () => {
  it("refuses what NVS would, with a RangeError naming the key, and writes nothing", () => {
    const { nvs, store } = board();
    expect(() => store.set("maxRequestsPerMinute", "1")).toThrow(RangeError);
    expect(() => store.set("variables", "x".repeat(4000))).toThrow(/variables: a value of 4000 bytes is over the 3999/);
    store.set("variables", "é".repeat(1999));
    expect(() => store.set("variables", "é".repeat(2000))).toThrow(RangeError);
    expect(nvs.writes).toBe(1);
  });

  it("turns what the module throws into a RangeError naming the key: a full partition", () => {
    const nvs = new NvsPreference(6);
    const store = new PreferenceSettings(nvs);
    store.set("a", "x".repeat(60)); // 1 + 2 entries
    expect(() => store.set("b", "x".repeat(100))).toThrow(/settings: b: not stored \(nvs set fail\)/);
    expect(store.keys()).toEqual(["a"]);
  });

  it("reads undefined for what is not a string, and nothing from a domain never written", () => {
    const nvs = new NvsPreference();
    nvs.set(SETTINGS_DOMAIN, "n", 5);
    const store = new PreferenceSettings(nvs);
    expect(store.get("n")).toBeUndefined();
    expect(new PreferenceSettings(nvs, "other").keys()).toEqual([]);
    expect(new PreferenceSettings(nvs, "other").get("n")).toBeUndefined();
  });
});

describe("the NVS fake behaves as the SDK on an ESP32", () => {
  it("throws as modPreference.c does", () => {
    const nvs = new NvsPreference();
    expect(() => nvs.set("a-domain-too-long", "k", "v")).toThrow("nvs_open fail");
    expect(() => nvs.set("d", "a-key-too-long-x", "v")).toThrow("nvs set fail");
    expect(() => nvs.set("d", "k", 1.5)).toThrow("float unsupported");
    expect(() => nvs.set("d", "k", "x".repeat(3999))).not.toThrow();
    expect(() => nvs.set("d", "k", "x".repeat(4000))).toThrow("nvs set fail");
    expect(() => nvs.get("d", "a-key-too-long-x")).toThrow("nvs get fail");
    expect(nvs.get("nowhere", "k")).toBeUndefined();
    nvs.set("d", "k", "same");
    const writes = nvs.writes;
    nvs.set("d", "k", "same");
    expect(nvs.writes).toBe(writes + 1);
  });
});
