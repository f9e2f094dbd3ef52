// The leaf certificate's names: what --name accepts and how it is normalized, and what the command
// line tells the user when it listens beyond loopback (fake interfaces: nothing binds here).

import { describe, expect, it } from "vitest";
import { isLoopback, lanNotes, leafNames, parseLeafName, sameNames } from "../../host-sim/endpoint/names.js";

describe("leaf names", () => {
  it("accepts IPv4, IPv6 and DNS names, normalized", () => {
    expect(parseLeafName("192.168.1.20")).toEqual({ type: "ip", value: "192.168.1.20" });
    expect(parseLeafName("FD00:0:0::20")).toEqual({ type: "ip", value: "fd00::20" });
    expect(parseLeafName("[::1]")).toEqual({ type: "ip", value: "::1" });
    expect(parseLeafName("::ffff:192.168.1.20")).toEqual({ type: "ip", value: "::ffff:c0a8:114" });
    expect(parseLeafName("DevBox.Local.")).toEqual({ type: "dns", value: "devbox.local" });
    expect(parseLeafName(" tago-local ")).toEqual({ type: "dns", value: "tago-local" });
    expect(parseLeafName("3com.example")).toEqual({ type: "dns", value: "3com.example" });
  });

  it("refuses anything else with a message naming the entry and the reason", () => {
    const cases: Array<[string, RegExp]> = [
      ["foo_bar", /DNS label "foo_bar"/],
      ["-dash.lan", /not starting or ending with a hyphen/],
      ["a".repeat(64) + ".lan", /1-63/],
      [`${"a".repeat(60)}.`.repeat(5) + "lan", /at most 253/],
      ["a..b", /empty labels/],
      [".lan", /empty labels/],
      ["256.1.1.1", /not a valid IPv4 address/],
      ["192.168.01.2", /not a valid IPv4 address/],
      ["devbox.123", /all digits/],
      ["::", /every address/],
      ["0.0.0.0", /every address/],
      ["fe80::1%eth0", /zone/],
      ["1:2:3", /not a valid IPv6 address/],
      ["[devbox.lan]", /not a valid IPv6 address/],
      ["192.168.1.20:8443", /without a port/],
      ["*.lan", /wildcards/],
      ["https://devbox.lan", /not a URL/],
      ["192.168.1.0/24", /not a URL or a network/],
      ["", /empty/],
    ];
    for (const [entry, reason] of cases) {
      let error: unknown;
      try {
        parseLeafName(entry);
      } catch (e) {
        error = e;
      }
      expect(error, entry).toBeInstanceOf(TypeError);
      expect((error as Error).message, entry).toContain(`certificate name ${JSON.stringify(entry)} is not usable: `);
      expect((error as Error).message, entry).toMatch(reason);
    }
  });

  it("always starts with 127.0.0.1 and localhost, each name once, compared as a set", () => {
    expect(leafNames().map((n) => n.value)).toEqual(["127.0.0.1", "localhost"]);
    const names = leafNames(["devbox.lan", "LOCALHOST", "DevBox.lan.", "127.0.0.1", "fd00::20", "FD00::0:20"]);
    expect(names.map((n) => n.value)).toEqual(["127.0.0.1", "localhost", "devbox.lan", "fd00::20"]);
    expect(sameNames(names, leafNames(["fd00::20", "devbox.lan"]))).toBe(true);
    expect(sameNames(names, leafNames(["devbox.lan"]))).toBe(false);
    expect(sameNames(leafNames(["devbox.lan"]), leafNames(["devbox.lan", "other.lan"]))).toBe(false);
    expect(() => leafNames(["devbox.lan", "bad name"])).toThrow(/"bad name"/);
  });

  it("knows loopback addresses", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) expect(isLoopback(a), a).toBe(true);
    for (const a of ["0.0.0.0", "::", "192.168.1.20", "fd00::20", "devbox.lan"]) expect(isLoopback(a), a).toBe(false);
  });
});

describe("LAN notes", () => {
  const interfaces = [
    { address: "127.0.0.1", family: "IPv4", internal: true },
    { address: "192.168.1.20", family: "IPv4", internal: false },
    { address: "10.0.0.5", family: "IPv4", internal: false },
    { address: "::1", family: "IPv6", internal: true },
    { address: "fe80::1", family: "IPv6", internal: false },
    { address: "fd00::20", family: "IPv6", internal: false },
  ];
  const names = leafNames(["192.168.1.20", "fd00::20"]);

  it("says nothing on loopback", () => {
    expect(lanNotes("127.0.0.1", 8443, names, interfaces)).toEqual({ urls: [] });
    expect(lanNotes("::1", 8443, names, interfaces)).toEqual({ urls: [] });
  });

  it("warns on every other address and lists the URLs a board could use, and whether the certificate names them", () => {
    const all = lanNotes("0.0.0.0", 8443, names, interfaces);
    expect(all.warning).toMatch(/^listening on 0\.0\.0\.0: anyone .* device token crosses the LAN/);
    expect(all.urls).toEqual([
      { url: "https://192.168.1.20:8443", named: true, name: "192.168.1.20" },
      { url: "https://10.0.0.5:8443", named: false, name: "10.0.0.5" },
    ]);
    // "::" takes IPv4 too; link-local IPv6 is left out (it needs a zone).
    expect(lanNotes("::", 8443, names, interfaces).urls.map((u) => u.url)).toEqual([
      "https://192.168.1.20:8443",
      "https://10.0.0.5:8443",
      "https://[fd00::20]:8443",
    ]);
    const one = lanNotes("10.0.0.5", 9000, names, interfaces);
    expect(one.warning).toContain("listening on 10.0.0.5");
    expect(one.urls).toEqual([{ url: "https://10.0.0.5:9000", named: false, name: "10.0.0.5" }]);
  });
});
