// Set-up on the Moddable modules, over fakes that behave as the SDK's sources do: the scan comes
// before the access point, every DNS name resolves to the board, pages go out in writes no larger
// than the socket's room with a Content-Length that matches, a good form is stored and the board
// restarts, a body too large is never read, and a failure to start stores nothing.

import { beforeEach, describe, expect, it } from "vitest";
import { tokenProblem } from "../../firmware/core/config.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { MemorySettings } from "../../firmware/fakes/memory-settings.js";
import { accessPointName, startSetup, type SetupModules } from "../../firmware/moddable/setup.js";
import { ModdableTimers } from "../../firmware/moddable/timers.js";
import { TOKEN } from "../support/fixtures.js";
import { FakeDnsServer, FakeHttpServer, FakeScanWiFi } from "./fake-setup.js";
import { FakeTimer } from "./fakes.js";

const NET = { get: (what: "IP" | "MAC", nif?: "ap") => (what === "MAC" ? "24:6f:28:a1:b2:c3" : nif === "ap" ? "192.168.4.1" : "0.0.0.0") };
const SCAN = [
  { ssid: "greenhouse", rssi: -50, authentication: "wpa2_psk" },
  { ssid: "farm-guest", rssi: -80, authentication: "none" },
  { ssid: "greenhouse", rssi: -70, authentication: "wpa2_psk" },
];
/** An ESP32's room per write (TCP send buffer 8192, less what lwIP keeps). */
const ESP32_ROOM = 8064;

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const post = (body: string): { headers: Array<[string, string]>; body: string } => ({
  headers: [
    ["Content-Type", "application/x-www-form-urlencoded"],
    ["Content-Length", String(body.length)],
  ],
  body,
});

let timer: FakeTimer;
let logger: MemoryLogger;
let store: MemorySettings;
let restarts: number;

function modules(overrides: Partial<SetupModules> = {}): SetupModules {
  return { WiFi: FakeScanWiFi, Net: NET, Server: FakeHttpServer, DNSServer: FakeDnsServer, restart: () => restarts++, ...overrides };
}

function options(network: "wifi" | "host" = "wifi") {
  return { network, port: network === "wifi" ? 80 : 8080, logger, timers: new ModdableTimers(timer, logger) };
}

beforeEach(() => {
  timer = new FakeTimer();
  logger = new MemoryLogger();
  store = new MemorySettings();
  restarts = 0;
  FakeScanWiFi.reset();
  FakeHttpServer.instances = [];
  FakeDnsServer.instances = [];
});

describe("startSetup on a board", () => {
  it("scans first, then opens an access point named for the board, a DNS server and the page on port 80", () => {
    startSetup(modules(), store, options());
    expect(FakeScanWiFi.mode).toBe(FakeScanWiFi.Mode.station);
    expect(FakeScanWiFi.accessPoints).toEqual([]);
    expect(FakeHttpServer.instances).toEqual([]);

    FakeScanWiFi.finishScan(SCAN);
    expect(FakeScanWiFi.accessPoints).toEqual([{ ssid: "TagoIO-Setup-B2C3", station: true }]);
    const [dns] = FakeDnsServer.instances;
    for (const name of ["connectivitycheck.gstatic.com", "captive.apple.com", "www.msftconnecttest.com", "anything.example"]) {
      expect(dns.resolve(name)).toBe("192.168.4.1");
    }
    const [server] = FakeHttpServer.instances;
    expect(server.port).toBe(80);
    expect(logger.text()).toContain('join the Wi-Fi network "TagoIO-Setup-B2C3" (no password); the page opens at http://192.168.4.1/');

    const page = server.request("GET", "/");
    expect(page.status).toBe(200);
    expect(Number(page.headers["content-length"])).toBe(page.body.length);
    expect([...page.body.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]).slice(0, 3)).toEqual(["", "greenhouse", "farm-guest"]);
    expect(page.body).toContain("farm-guest (weak, open)");
  });

  it("streams a page larger than the socket's room in writes that fit, on the simulator's room and an ESP32's", () => {
    startSetup(modules(), store, options());
    FakeScanWiFi.finishScan(SCAN);
    const [server] = FakeHttpServer.instances;
    const small = server.request("GET", "/");
    expect(small.body.length).toBeGreaterThan(1024);
    expect(Math.max(...small.writes)).toBeLessThanOrEqual(1024);
    expect(small.writes.length).toBeGreaterThan(1);
    const large = server.request("GET", "/", { room: ESP32_ROOM });
    expect(large.body).toBe(small.body);
    expect(large.writes).toEqual([large.body.length]);
  });

  it("sends the captive-portal probes of Android, iOS and Windows to the page", () => {
    startSetup(modules(), store, options());
    FakeScanWiFi.finishScan([]);
    const [server] = FakeHttpServer.instances;
    for (const path of ["/generate_204", "/hotspot-detect.html", "/connecttest.txt"]) {
      const answer = server.request("GET", path);
      expect(answer.status).toBe(302);
      expect(answer.headers.location).toBe("http://192.168.4.1/");
      expect(answer.headers["content-length"]).toBe("0");
    }
  });

  it("stores a good form, confirms it and restarts the board two seconds later", () => {
    startSetup(modules(), store, options());
    FakeScanWiFi.finishScan(SCAN);
    const [server] = FakeHttpServer.instances;
    const answer = server.request("POST", "/", post(form({ ssid: "greenhouse", password: "s3cret-pass", token: TOKEN, region: "us-e1" })));
    expect(answer.status).toBe(200);
    expect(answer.body).toContain("joins <b>greenhouse</b>");
    expect(answer.body).not.toContain(TOKEN);
    expect(store.toObject()).toEqual({ ssid: "greenhouse", password: "s3cret-pass", token: TOKEN, region: "us-e1" });
    timer.advance(1_999);
    expect(restarts).toBe(0);
    timer.advance(1);
    expect(restarts).toBe(1);
  });

  it("refuses a bad token with the core's message and stays in set-up", () => {
    startSetup(modules(), store, options());
    FakeScanWiFi.finishScan(SCAN);
    const [server] = FakeHttpServer.instances;
    const answer = server.request("POST", "/", post(form({ ssid: "greenhouse", password: "s3cret-pass", token: "abc", region: "" })));
    expect(answer.status).toBe(400);
    expect(answer.body).toContain(`<p class="error" id="token-error">${tokenProblem("abc")}</p>`);
    expect(store.toObject()).toEqual({});
    timer.advance(60_000);
    expect(restarts).toBe(0);
  });

  it("does not read a body larger than a form can be, and stores nothing from it", () => {
    startSetup(modules(), store, options());
    FakeScanWiFi.finishScan([]);
    const [server] = FakeHttpServer.instances;
    const huge = form({ ssid: "greenhouse", token: TOKEN, padding: "x".repeat(5000) });
    const answer = server.request("POST", "/", post(huge));
    expect(answer.status).toBe(413);
    expect(store.toObject()).toEqual({});
  });

  it("lists nothing when the scan fails, and the name can still be typed", () => {
    FakeScanWiFi.failScan = "scan request failed";
    startSetup(modules(), store, options());
    expect(logger.text()).toContain("warn setup: no Wi-Fi scan (scan request failed); the network's name must be typed");
    const page = FakeHttpServer.instances[0].request("GET", "/");
    expect(page.body).toContain("No network found: type its name below");
  });

  it("stores nothing and closes what it opened when the access point cannot start", () => {
    FakeScanWiFi.failAccessPoint = "esp_wifi_set_config failed";
    startSetup(modules(), store, options());
    FakeScanWiFi.finishScan(SCAN);
    expect(FakeHttpServer.instances).toEqual([]);
    expect(logger.text()).toContain("error setup: could not start (esp_wifi_set_config failed); nothing is stored");
  });

  it("stop() closes the DNS and HTTP servers", () => {
    const run = startSetup(modules(), store, options());
    FakeScanWiFi.finishScan([]);
    run.stop();
    expect(FakeDnsServer.instances[0].closed).toBe(true);
    expect(FakeHttpServer.instances[0].closed).toBe(true);
  });
});

describe("startSetup on the Linux simulator", () => {
  it("serves the page on the host's network, without access point or DNS, and says it cannot restart", () => {
    startSetup(modules({ DNSServer: undefined, restart: undefined }), store, options("host"));
    FakeScanWiFi.finishScan(SCAN);
    expect(FakeScanWiFi.accessPoints).toEqual([]);
    expect(FakeDnsServer.instances).toEqual([]);
    const [server] = FakeHttpServer.instances;
    expect(server.port).toBe(8080);
    expect(logger.text()).toContain("info setup: the page is at http://127.0.0.1:8080/");
    expect(server.request("GET", "/generate_204").headers.location).toBe("http://127.0.0.1:8080/");
    server.request("POST", "/", post(form({ ssid: "greenhouse", password: "", token: TOKEN })));
    expect(store.get("token")).toBe(TOKEN);
    expect(logger.text()).toContain("warn setup: settings stored; this build cannot restart itself: start it again to run with them");
  });
});

describe("the access point's name", () => {
  it("is named after the MAC's last four hex digits, or plainly without one", () => {
    expect(accessPointName("24:6f:28:a1:b2:c3")).toBe("TagoIO-Setup-B2C3");
    expect(accessPointName(undefined)).toBe("TagoIO-Setup");
  });
});
