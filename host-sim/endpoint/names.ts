// The names the endpoint's leaf certificate covers (its subjectAltName): always 127.0.0.1 and
// localhost, plus whatever the user names so a board on the LAN can verify the server (IPv4 or
// IPv6 addresses, DNS names such as `devbox.local`). Validated and normalized here, without the
// certificate code, so the command line can refuse a bad --name quickly. Also the LAN notes the
// command line prints when it listens beyond loopback.

import { isIPv4, isIPv6 } from "node:net";

export type LeafName = { type: "ip"; value: string } | { type: "dns"; value: string };

/** Named by every leaf, first. */
export const DEFAULT_NAMES: readonly LeafName[] = [
  { type: "ip", value: "127.0.0.1" },
  { type: "dns", value: "localhost" },
];

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Thrown for an entry that is neither an IP address nor a DNS name; the message names it. */
export class LeafNameError extends TypeError {
  constructor(
    readonly entry: string,
    readonly reason: string,
  ) {
    super(`certificate name ${JSON.stringify(entry)} is not usable: ${reason}`);
    this.name = "LeafNameError";
  }
}

/** An IP address in its canonical text form (IPv6 compressed, lower case). */
function canonicalIp(address: string): string {
  return isIPv4(address) ? address : new URL(`http://[${address}]`).hostname.slice(1, -1);
}

/**
 * One entry: an IPv4 address, an IPv6 address (brackets allowed, no zone like `%eth0`) or a DNS
 * name (letters, digits and hyphens in dot-separated labels; a trailing dot and upper case are
 * normalized away; no wildcards). Throws LeafNameError naming the entry otherwise.
 */
export function parseLeafName(entry: string): LeafName {
  if (typeof entry !== "string") throw new LeafNameError(String(entry), "expected a string");
  const text = entry.trim();
  if (text === "") throw new LeafNameError(entry, "it is empty");
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (bare.includes("%")) {
    throw new LeafNameError(entry, "an IPv6 zone (the part after %) cannot go in a certificate; give the address alone");
  }
  if (isIPv4(bare) || isIPv6(bare)) {
    const value = canonicalIp(bare);
    if (value === "0.0.0.0" || value === "::") {
      throw new LeafNameError(entry, "it means every address, which a certificate cannot name; give the LAN address itself");
    }
    return { type: "ip", value };
  }
  if (text.includes("/")) throw new LeafNameError(entry, "give the address or host name alone, not a URL or a network");
  if (/^[^:[\]]+:\d*$/.test(text)) throw new LeafNameError(entry, "give the address or name without a port");
  if (bare !== text || bare.includes(":")) throw new LeafNameError(entry, "not a valid IPv6 address");
  if (/^[\d.]+$/.test(text)) throw new LeafNameError(entry, "not a valid IPv4 address (four numbers 0-255, no leading zeros)");
  if (text.includes("*")) throw new LeafNameError(entry, "wildcards are not supported; name the host itself");
  const name = (text.endsWith(".") ? text.slice(0, -1) : text).toLowerCase();
  if (name.length > 253) throw new LeafNameError(entry, "a DNS name is at most 253 characters");
  const labels = name.split(".");
  for (const label of labels) {
    if (!LABEL.test(label)) {
      throw new LeafNameError(
        entry,
        label === ""
          ? "a DNS name has no empty labels (two dots in a row, or a leading dot)"
          : `DNS label "${label}" must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen`,
      );
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1])) throw new LeafNameError(entry, "the last label of a DNS name cannot be all digits");
  return { type: "dns", value: name };
}

export function leafNameKey(name: LeafName): string {
  return `${name.type}:${name.value}`;
}

/** The defaults, then each extra entry once (validated; throws LeafNameError on the first bad one). */
export function leafNames(extra: readonly string[] = []): LeafName[] {
  const names = [...DEFAULT_NAMES];
  const seen = new Set(names.map(leafNameKey));
  for (const entry of extra) {
    const name = parseLeafName(entry);
    if (!seen.has(leafNameKey(name))) {
      seen.add(leafNameKey(name));
      names.push(name);
    }
  }
  return names;
}

/** Same names, in any order. */
export function sameNames(a: readonly LeafName[], b: readonly LeafName[]): boolean {
  const keys = new Set(a.map(leafNameKey));
  return keys.size === new Set(b.map(leafNameKey)).size && b.every((n) => keys.has(leafNameKey(n)));
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`: nobody else can connect. */
export function isLoopback(address: string): boolean {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (bare.toLowerCase() === "localhost") return true;
  if (isIPv4(bare)) return bare.startsWith("127.");
  if (isIPv6(bare)) {
    const ip = canonicalIp(bare);
    return ip === "::1" || /^::ffff:7f[0-9a-f]{2}:/.test(ip);
  }
  return false;
}

export interface InterfaceAddress {
  address: string;
  family: string | number;
  internal: boolean;
}

/**
 * What the command line tells the user when it listens on `listen`: nothing on loopback;
 * otherwise a warning that the server is reachable from the network, and for every address a
 * board could use (this machine's interface addresses when listening on all of them) its URL and
 * whether the certificate names it.
 */
export function lanNotes(
  listen: string,
  port: number,
  names: readonly LeafName[],
  interfaces: readonly InterfaceAddress[],
): { warning?: string; urls: Array<{ url: string; named: boolean; name: string }> } {
  if (isLoopback(listen)) return { urls: [] };
  const warning =
    `listening on ${listen}: anyone who can reach this machine can connect to the endpoint, and the ` +
    `device token crosses the LAN (inside TLS) in every request. Use it on a network you trust.`;
  const bare = listen.startsWith("[") && listen.endsWith("]") ? listen.slice(1, -1) : listen;
  const all = bare === "0.0.0.0" || bare === "::";
  const candidates: string[] = all
    ? interfaces
        .filter((i) => !i.internal)
        .filter((i) => {
          const v6 = i.family === "IPv6" || i.family === 6;
          // 0.0.0.0 is IPv4 only; :: also takes IPv4. Link-local IPv6 needs a zone, so skip it.
          return v6 ? bare === "::" && !/^fe80:/i.test(i.address) : true;
        })
        .map((i) => i.address)
    : [bare];
  const keys = new Set(names.map(leafNameKey));
  const urls = candidates.map((address) => {
    let key: string;
    try {
      key = leafNameKey(parseLeafName(address));
    } catch {
      key = "";
    }
    const host = isIPv6(address) ? `[${address}]` : address;
    return { url: `https://${host}:${port}`, named: keys.has(key), name: address };
  });
  return { warning, urls };
}
