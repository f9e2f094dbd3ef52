// The SDK's `preference` module as it behaves on an ESP32 (modules/files/preference/esp32/
// modPreference.c over ESP-IDF's NVS), for tests: domains and keys of at most 15 characters
// (a longer domain: "nvs_open fail"; a longer key: "nvs set fail", "nvs get fail", "nvs erase
// fail"), strings of at most 4000 bytes with their NUL, floats refused ("float unsupported"), a
// partition of limited entries (32 bytes each; a string takes one plus one per 32 bytes with its
// NUL) beyond which a set fails. Every set is a write, even of the value already there (the SDK
// erases the key first): `writes` counts them, with the erases. Reading a domain never written
// gives undefined, keys() an empty list. Portable: it runs on XS too.

/** ESP-IDF's default "nvs" partition: 24 KB, 6 pages of 126 entries, one page kept free. */
const DEFAULT_ENTRIES = 5 * 126;
const KEY_MAX = 15;
const STRING_MAX_BYTES = 4000;

export type PreferenceValue = string | number | boolean | ArrayBuffer;

export class NvsPreference {
  /** Sets and erases that reached the flash. */
  writes = 0;
  private readonly domains = new Map<string, Map<string, PreferenceValue>>();
  private readonly capacity: number;

  constructor(entries: number = DEFAULT_ENTRIES) {
    this.capacity = entries;
  }

  set(domain: string, key: string, value: PreferenceValue): void {
    if (domain.length > KEY_MAX) throw new Error("nvs_open fail");
    if (typeof value === "number" && value !== Math.trunc(value)) throw new Error("float unsupported");
    if (key.length > KEY_MAX) throw new Error("nvs set fail");
    if (typeof value === "string" && new TextEncoder().encode(value).length + 1 > STRING_MAX_BYTES) throw new Error("nvs set fail");
    const keys = this.domains.get(domain) ?? new Map<string, PreferenceValue>();
    const old = keys.get(key);
    keys.delete(key);
    this.writes++;
    if (this.used() + entries(value) > this.capacity) {
      if (old !== undefined) keys.set(key, old);
      throw new Error("nvs set fail");
    }
    keys.set(key, value);
    this.domains.set(domain, keys);
  }

  get(domain: string, key: string): PreferenceValue | undefined {
    if (key.length > KEY_MAX) throw new Error("nvs get fail");
    return this.domains.get(domain)?.get(key);
  }

  delete(domain: string, key: string): void {
    const keys = this.domains.get(domain);
    if (keys === undefined) return;
    if (key.length > KEY_MAX) throw new Error("nvs erase fail");
    keys.delete(key);
    this.writes++;
  }

  keys(domain: string): string[] {
    return [...(this.domains.get(domain)?.keys() ?? [])];
  }

  private used(): number {
    let n = 0;
    this.domains.forEach((keys) => keys.forEach((value) => (n += entries(value))));
    return n;
  }
}

/** NVS entries a value takes: one for a number or boolean, one more per 32 bytes of a string (with its NUL) or blob. */
function entries(value: PreferenceValue): number {
  if (typeof value === "string") return 1 + Math.ceil((new TextEncoder().encode(value).length + 1) / 32);
  if (value instanceof ArrayBuffer) return 1 + Math.ceil(value.byteLength / 32);
  return 1;
}
