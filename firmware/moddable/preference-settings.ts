// The SettingsStore port on the SDK's `preference` module: NVS on an ESP32, a JSON file on the
// Linux simulator (modules/files/preference/lin: no limits there). The ESP32's limits are
// checked here on every platform, so what works on the simulator works on a board: keys of at
// most 15 characters, string values of at most 3999 bytes (`storeLimitProblem`).
// Policy when failing: set throws a RangeError naming the key, for the limits and for what the
// module throws ("nvs set fail": the partition is full); get gives undefined for a value that
// cannot be read or is not a string; keys() gives [] when the domain cannot be listed.

import { storeLimitProblem } from "../core/settings-layers.js";
import { errorMessage } from "../core/text.js";
import type { SettingsStore } from "../ports.js";

/** The `preference` module (typings/preference.d.ts). */
export interface PreferenceModule {
  set(domain: string, key: string, value: string | number | boolean | ArrayBuffer): void;
  get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined;
  delete(domain: string, key: string): void;
  keys(domain: string): string[];
}

/** The NVS namespace of the agent's settings (at most 15 characters). */
export const SETTINGS_DOMAIN = "tagoio";

export class PreferenceSettings implements SettingsStore {
  private readonly preference: PreferenceModule;
  private readonly domain: string;

  constructor(preference: PreferenceModule, domain: string = SETTINGS_DOMAIN) {
    this.preference = preference;
    this.domain = domain;
  }

  get(key: string): string | undefined {
    try {
      const value = this.preference.get(this.domain, key);
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: string): void {
    const problem = storeLimitProblem(key, value);
    if (problem !== undefined) throw new RangeError(problem);
    try {
      this.preference.set(this.domain, key, value);
    } catch (e) {
      throw new RangeError(`settings: ${key}: not stored (${errorMessage(e)})`);
    }
  }

  remove(key: string): void {
    try {
      this.preference.delete(this.domain, key);
    } catch {
      // A key that cannot be erased cannot be read either: nothing more to do.
    }
  }

  keys(): string[] {
    try {
      return this.preference.keys(this.domain);
    } catch {
      return [];
    }
  }
}
