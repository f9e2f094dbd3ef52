import { beforeEach, describe, expect, it } from "vitest";
import { boot, type BootModules } from "../../firmware/moddable/boot.js";
import { FakeDnsServer, FakeHttpServer, FakeScanWiFi } from "./fake-setup.js";
import { ACK } from "../../firmware/fakes/scripted-http.js";
import { BOARD_VARIABLES, TOKEN } from "../support/fixtures.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { storeKey } from "../../firmware/core/settings-layers.js";
import { NvsPreference } from "../../firmware/fakes/nvs-preference.js";
import { SETTINGS_DOMAIN } from "../../firmware/moddable/preference-settings.js";
import type { Sleep, WakeReason } from "../../firmware/ports.js";
import {
  FakeNet,
  FakeNorFlash,
  FakeRequest,
  FakeSecureSocket,
  FakeSNTP,
  FakeTime,
  FakeTimer,
  FakeWiFi,
  requestClass,
  resourceClass,
  textBody,
} from "./fakes.js";

const NOV_2026_MS = 1_795_000_000_000;

let timer: FakeTimer;
let lines: string[];
let net: FakeNet;

function modules(config: Record<string, unknown>, extra: Partial<BootModules> = {}): BootModules {
  return {
    config: Object.freeze(config),
    trace: (text) => lines.push(text),
    Timer: timer,
    Time: new FakeTime(timer),
    now: () => NOV_2026_MS + timer.now,
    Request: requestClass(timer),
    SecureSocket: FakeSecureSocket,
    Resource: resourceClass(["ca.der"]),
    Net: net,
    WiFi: FakeWiFi,
    SNTP: FakeSNTP,
    Instrumentation: { map: () => 0, get: () => 123_456 },
    hardware: { sensors: {}, Flash: FakeNorFlash },
    random: new SeededRandom(1),
    ...extra,
  };
}

/** The board's addresses as the set-up access point sees them. */
const SETUP_NET = { get: (what: "IP" | "MAC", nif?: "ap") => (what === "MAC" ? "24:6f:28:a1:b2:c3" : nif === "ap" ? "192.168.4.1" : "0.0.0.0") };

/** What an ESP32 build's command line gives: every value a string. */
const DEVICE = {
  ssid: "lab",
  password: "pw",
  sntp: "pool.ntp.org",
  sensors: "simulated",
  token: TOKEN,
  sampleIntervalMs: "5000",
  uploadIntervalMs: "10000",
  maxResponseBytes: "1024",
  // the SDK's TLS manifest (modules/crypt/tls_common.json) puts its cipher switches here
  tls: { DHE_RSA: true, ECDHE_RSA: true },
};

beforeEach(() => {
  timer = new FakeTimer();
  lines = [];
  net = new FakeNet();
  net.ip = "10.0.0.2"; // connected already, unless a test says otherwise
  FakeWiFi.reset(timer);
  FakeSNTP.made = [];
});

describe("boot: configuration", () => {
  it("parses command-line strings and a JSON variables list, and leaves the SDK's tls object alone", () => {
    const result = boot(modules({ ...DEVICE, variables: JSON.stringify(BOARD_VARIABLES), verifyTls: "true", port: "443" }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.config).toMatchObject({ sampleIntervalMs: 5000, uploadIntervalMs: 10_000, maxResponseBytes: 1024, port: 443, https: true, verifyTls: true });
    expect(result.config.variables).toEqual(BOARD_VARIABLES);
    expect(lines.join("")).not.toContain("tls:");
  });

  it("refuses a tls=... on the command line, which would replace the SDK's cipher-suite settings", () => {
    const result = boot(modules({ ...DEVICE, tls: "false" }));
    expect(result.ok).toBe(false);
    expect(lines.join("")).toContain(
      `error: config: tls: "false" would replace the SDK's TLS settings (config.tls, its cipher suites); for plain HTTP set https=false`,
    );
    expect(FakeWiFi.monitors).toHaveLength(0);
  });

  it("refuses a status interval that is not 0 or 1 s to a day", () => {
    for (const statusIntervalMs of ["fast", "500", "-1", "1.5"]) {
      lines = [];
      expect(boot(modules({ ...DEVICE, statusIntervalMs })).ok).toBe(false);
      expect(lines.join("")).toContain(`error: config: statusIntervalMs: ${JSON.stringify(statusIntervalMs)} must be 0 (off)`);
    }
  });

  it("uses the sensors' default variables when none are given", () => {
    const result = boot(modules({ ...DEVICE }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.config.variables.map((v) => v.name)).toEqual(["temperature", "humidity", "pressure", "temperature_bmp280"]);
  });

  it("traces every problem, never the token, and starts nothing: no sampling, no Wi-Fi, no SNTP, no request", () => {
    const badToken = "secret-token-that-is-wrong";
    const result = boot(
      modules({ token: badToken, sensors: "bme280,analog", region: "mars", sampleIntervalMs: "fast", customCa: "mine.der", logLevel: "loud" }),
    );
    expect(result.ok).toBe(false);
    const text = lines.join("");
    for (const key of ["ssid:", "sensors: \"bme280\"", "sensors: \"analog\" needs its pin", "token:", "region:", "sampleIntervalMs:", "customCa:", "logLevel:"]) {
      expect(text).toContain(`config: ${key}`);
    }
    expect(!result.ok && result.problems.length).toBe(lines.length - 1);
    expect(text).toContain("agent: not started");
    expect(text).not.toContain(badToken);
    timer.advance(3_600_000);
    expect(FakeRequest.made).toHaveLength(0);
    expect(FakeWiFi.monitors).toHaveLength(0);
    expect(FakeWiFi.connects).toHaveLength(0);
    expect(FakeSNTP.made).toHaveLength(0);
    expect(timer.pending).toBe(0);
  });

  it("refuses variables that name a sensor the device does not have", () => {
    const variables = JSON.stringify([{ name: "co2", sensor: "scd40", field: "co2" }]);
    const result = boot(modules({ ...DEVICE, variables }));
    expect(result.ok).toBe(false);
    expect(lines.join("")).toContain('config: variables[0].sensor: no sensor named "scd40"');
    timer.advance(60_000);
    expect(FakeRequest.made).toHaveLength(0);
  });
});

describe("boot: device run", () => {
  it("attempts no HTTPS request before SNTP has set the clock, then uploads over TLS", async () => {
    const result = boot(modules({ ...DEVICE }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.ports.network.online()).toBe(false);
    timer.advance(30_000); // samples every 5 s, upload attempts every 10 s, SNTP has not answered
    expect(FakeRequest.made).toHaveLength(0);
    expect(result.agent.snapshot().state).toBe("offline");
    expect(result.agent.snapshot().sampled).toBeGreaterThan(0);

    expect(FakeSNTP.made).toHaveLength(1);
    FakeSNTP.made[0].answer(NOV_2026_MS / 1000);
    expect(result.ports.network.online()).toBe(true);
    timer.advance(10_000);
    expect(FakeRequest.made).toHaveLength(1);
    const request = FakeRequest.made[0];
    expect(request.options.Socket).toBe(FakeSecureSocket);
    expect(request.options.secure).toMatchObject({ verify: true });
    expect(request.options.headers).toContain(TOKEN);

    const ack = ACK();
    if (!ack.ok) throw new Error("fixture");
    request.reply({ status: 200, body: textBody(new TextDecoder().decode(ack.response.body)) });
    timer.advance(100);
    await Promise.resolve();
    await Promise.resolve();
    expect(result.agent.snapshot().delivered).toBeGreaterThan(0);
  });

  it("opens the journal's flash partition and reports health", () => {
    const result = boot(modules({ ...DEVICE }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.ports.flash?.sectorCount).toBe(16);
    expect(result.ports.health?.rssi?.()).toBe(-61);
    expect(result.ports.health?.freeMemory?.()).toBe(123_456);
    // Hardware without a reset reason (the simulator's), and no boot counter in any build: left out.
    expect(result.ports.health?.resetReason?.()).toBeUndefined();
    expect(result.ports.health?.bootCount?.()).toBeUndefined();
  });

  it("reports the reset reason an ESP32 build's hardware gives, and nothing when it throws", () => {
    const esp32 = boot(modules({ ...DEVICE }, { hardware: { sensors: {}, Flash: FakeNorFlash, resetReason: () => "Brownout" } }));
    if (!esp32.ok) throw new Error(esp32.problems.join("; "));
    expect(esp32.ports.health?.resetReason?.()).toBe("Brownout");
    const failing = boot(modules({ ...DEVICE }, { hardware: { sensors: {}, resetReason: () => { throw new Error("no"); } } }));
    if (!failing.ok) throw new Error(failing.problems.join("; "));
    expect(failing.ports.health?.resetReason?.()).toBeUndefined();
  });

  it("runs without flash, with a warning, when the partition is missing", () => {
    const result = boot(modules({ ...DEVICE, flashPartition: "nowhere" }));
    expect(result.ok && result.ports.flash).toBeUndefined();
    expect(lines.join("")).toContain('warn: flash: no partition "nowhere"');
  });

  it("samples from boot while it joins Wi-Fi in the background, and uploads once connected and synced", () => {
    net.ip = undefined;
    const result = boot(modules({ ...DEVICE }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    timer.advance(0);
    expect(FakeWiFi.connects).toEqual([{ at: 0, ssid: "lab", password: "pw" }]);
    expect(result.agent.snapshot()).toMatchObject({ sampled: 4, state: "idle" });
    timer.advance(9_000);
    expect(FakeSNTP.made).toHaveLength(0); // no SNTP without a link
    net.ip = "10.0.0.9";
    FakeWiFi.emit("gotIP");
    timer.advance(1_000);
    FakeSNTP.made[0].answer(NOV_2026_MS / 1000);
    timer.advance(60_000);
    expect(FakeRequest.made.length).toBeGreaterThan(0);
    expect(result.agent.snapshot()).toMatchObject({ sampled: 60, delivered: 0, state: "uploading" });
    expect(lines.join("")).toContain("info: wifi: up, address 10.0.0.9");
  });

  it("sends plain HTTP only when https=false, without SecureSocket, with the core's warning", () => {
    const result = boot(modules({ ...DEVICE, https: "false", port: "80" }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    timer.advance(0);
    FakeSNTP.made[0].answer(NOV_2026_MS / 1000);
    timer.advance(10_000);
    expect(FakeRequest.made).toHaveLength(1);
    expect(FakeRequest.made[0].options.Socket).toBeUndefined();
    expect(lines.join("")).toContain("warn: config: https: false: plain HTTP is on");
  });

  it("traces the agent's status line every statusIntervalMs (a minute by default; 0: never)", () => {
    expect(boot(modules({ ...DEVICE })).ok).toBe(true);
    timer.advance(59_999);
    expect(lines.some((l) => l.startsWith("info: status:"))).toBe(false);
    timer.advance(1);
    // SNTP has not answered: 12 samples of 4 readings (one at boot, one every 5 s), all on flash.
    expect(lines.filter((l) => l.startsWith("info: status:"))).toEqual([
      "info: status: [1m00s] offline | sampled 48 | buffered 48 | delivered 0 | dropped 0 | last upload never | next try in 0s" +
        " | journal held 48, recovered 0, corrupt 0, written 905 B, erased 2\n",
    ]);
    timer.advance(120_000);
    expect(lines.filter((l) => l.startsWith("info: status:")).map((l) => l.slice(0, 36))).toEqual([
      "info: status: [1m00s] offline | samp",
      "info: status: [2m00s] offline | samp",
      "info: status: [3m00s] offline | samp",
    ]);

    lines = [];
    timer = new FakeTimer();
    expect(boot(modules({ ...DEVICE, statusIntervalMs: "0" })).ok).toBe(true);
    timer.advance(600_000);
    expect(lines.some((l) => l.startsWith("info: status:"))).toBe(false);
  });
});

describe("boot: simulator run", () => {
  it("uses the host's network and clock, and trusts the custom CA for the local endpoint", () => {
    const result = boot(
      modules(
        { network: "host", clock: "host", sensors: "simulated", token: TOKEN, host: "127.0.0.1", port: "8443", customCa: "ca.der", uploadIntervalMs: "1000" },
        { hardware: { sensors: {} } },
      ),
    );
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.ports.flash).toBeUndefined();
    expect(result.ports.network.online()).toBe(true);
    timer.advance(11_000); // the first sample at 10 s, the next upload attempt at 11 s
    expect(FakeWiFi.monitors).toHaveLength(0);
    expect(FakeSNTP.made).toHaveLength(0);
    expect(FakeRequest.made).toHaveLength(1);
    const options = FakeRequest.made[0].options;
    expect(options.secure).toMatchObject({ verify: true, certificate: { path: "ca.der" } });
    expect(options.headers.slice(0, 2)).toEqual(["Host", "127.0.0.1:8443"]);
  });
});

describe("boot: settings stored on the board (preference)", () => {
  it("puts the stored settings over mc/config and hands the agent the layers, so it takes parameters", () => {
    const nvs = new NvsPreference();
    nvs.set(SETTINGS_DOMAIN, storeKey("sampleIntervalMs"), "2000");
    nvs.set(SETTINGS_DOMAIN, "logLevel", "warn");
    const result = boot(modules(DEVICE, { Preference: nvs }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.config.sampleIntervalMs).toBe(2000);
    expect(result.agent.snapshot().params).toEqual({ polls: 0, pollFailures: 0, applied: 0, rejected: 0 });
    // logLevel=warn from the store: the info lines of the start are not traced.
    expect(lines.join("")).not.toContain("info: agent:");
  });

  it("reports a stored value that no longer validates, leaves it out, and starts", () => {
    const nvs = new NvsPreference();
    nvs.set(SETTINGS_DOMAIN, "logLevel", "loud");
    const result = boot(modules(DEVICE, { Preference: nvs }));
    expect(result.ok).toBe(true);
    expect(lines).toContain('warn: settings: stored logLevel ignored: logLevel: "loud" must be one of debug, info, warn, error\n');
  });

  it("answers setup (nothing started) for an image built without token and Wi-Fi, and runs once the set-up page stored them", () => {
    const { ssid: _s, password: _p, token: _t, ...image } = DEVICE;
    const nvs = new NvsPreference();
    const first = boot(modules(image, { Preference: nvs }));
    expect(first).toEqual({ ok: false, setup: true, missing: ["token", "wifi"], problems: expect.arrayContaining([expect.stringMatching(/^token: missing/)]) });
    expect(timer.pending).toBe(0);
    nvs.set(SETTINGS_DOMAIN, "ssid", "lab");
    nvs.set(SETTINGS_DOMAIN, "password", "pw");
    nvs.set(SETTINGS_DOMAIN, "token", TOKEN);
    lines = [];
    const second = boot(modules(image, { Preference: nvs }));
    expect(second.ok).toBe(true);
    expect(lines.join("")).not.toContain(TOKEN);
    expect(lines.join("")).not.toContain("pw");
  });

  it("opens the set-up page when it needs set-up: the board's access point on port 80, whose form stores what runs the next boot", () => {
    const { ssid: _s, password: _p, token: _t, ...image } = DEVICE;
    const nvs = new NvsPreference();
    FakeScanWiFi.reset();
    FakeHttpServer.instances = [];
    let restarts = 0;
    const setup = { WiFi: FakeScanWiFi, Net: SETUP_NET, Server: FakeHttpServer, DNSServer: FakeDnsServer, restart: () => restarts++ };
    expect(boot(modules(image, { Preference: nvs, setup }))).toMatchObject({ ok: false, setup: true });
    expect(lines.join("")).toContain("agent: not started: no usable token or wifi; the board opens its set-up page");
    FakeScanWiFi.finishScan([{ ssid: "lab", rssi: -50, authentication: "wpa2_psk" }]);
    const [server] = FakeHttpServer.instances;
    expect(server.port).toBe(80);
    const body = new URLSearchParams({ ssid: "lab", ssid_typed: "", password: "password1", token: TOKEN, region: "", host: "" }).toString();
    const answer = server.request("POST", "/", { headers: [["Content-Type", "application/x-www-form-urlencoded"], ["Content-Length", String(body.length)]], body });
    expect(answer.status).toBe(200);
    timer.advance(5_000);
    expect(restarts).toBe(1);
    lines = [];
    expect(boot(modules(image, { Preference: nvs, setup })).ok).toBe(true);
  });

  it("answers setup for a stored token that is not one, naming the token's problem but never the token", () => {
    const nvs = new NvsPreference();
    nvs.set(SETTINGS_DOMAIN, "token", "secret-but-wrong");
    const { token: _t, ...image } = DEVICE;
    const result = boot(modules(image, { Preference: nvs }));
    expect(result).toMatchObject({ ok: false, setup: true, missing: ["token"] });
    expect(lines.join("")).not.toContain("secret-but-wrong");
  });
});

describe("boot: deep sleep", () => {
  /** A Sleep port that records what it is asked, as the chip's would before it powers down. */
  function recordingSleep(reason: WakeReason): Sleep & { slept: number[] } {
    const slept: number[] = [];
    return { slept, wakeReason: () => reason, sleep: (ms) => void slept.push(ms) };
  }

  it("hands the agent the build's Sleep port, says at boot why it woke, and traces the status before every sleep", () => {
    const sleep = recordingSleep("timer");
    const result = boot(modules({ ...DEVICE }, { hardware: { sensors: {}, Flash: FakeNorFlash, sleep: () => sleep } }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(lines.find((l) => l.startsWith("info: boot:"))).toContain("; woke by timer\n");
    expect(result.ports.sleep?.wakeReason()).toBe("timer");
    timer.advance(12_000);
    result.ports.sleep?.sleep(5_000);
    expect(sleep.slept).toEqual([5_000]);
    expect(lines[lines.length - 1]).toMatch(/^info: status: \[12s\] \w+ \| sampled 12 \|/);
  });

  it("with sleepAfterMs, stops the agent and sleeps a sample interval once nothing is on the wire", async () => {
    const sleep = recordingSleep("power-on");
    const result = boot(modules({ ...DEVICE, sleepAfterMs: "20000" }, { hardware: { sensors: {}, Flash: FakeNorFlash, sleep: () => sleep } }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    timer.advance(1);
    FakeSNTP.made[0].answer(NOV_2026_MS / 1000);
    timer.advance(19_998);
    expect(sleep.slept).toEqual([]);
    // An upload went out at 10 s and is still on the wire at 20 s: the sleep waits for its answer.
    expect(FakeRequest.made).toHaveLength(1);
    timer.advance(5_000);
    expect(sleep.slept).toEqual([]);
    const ack = ACK();
    if (!ack.ok) throw new Error("fixture");
    FakeRequest.made[0].reply({ status: 200, body: textBody(new TextDecoder().decode(ack.response.body)) });
    timer.advance(100);
    await Promise.resolve();
    await Promise.resolve();
    expect(sleep.slept).toEqual([]);
    timer.advance(1_000);
    expect(sleep.slept).toEqual([5_000]);
    const sampled = result.agent.snapshot().sampled;
    timer.advance(60_000);
    expect(result.agent.snapshot().sampled).toBe(sampled);
  });

  it("in sleep mode, trusts the RTC at a timer wake, and a wake that uploads starts Wi-Fi once (Network.up)", () => {
    const sleeping = { ...DEVICE, mode: "sleep", sampleIntervalMs: "60000" };
    const timerWake = boot(modules(sleeping, { hardware: { sensors: {}, Flash: FakeNorFlash, sleep: () => recordingSleep("timer") } }));
    if (!timerWake.ok) throw new Error(timerWake.problems.join("; "));
    // The RTC reads November 2026: SNTP set it before the sleep, so the wake's readings carry it.
    expect(timerWake.ports.clock.wallTrusted()).toBe(true);

    // A first wake (no state saved) uploads: it asked for the radio; asking again starts nothing more.
    expect(FakeWiFi.monitors).toHaveLength(1);
    timerWake.ports.network.up?.();
    expect(FakeWiFi.monitors).toHaveLength(1);

    const powerOn = boot(modules(sleeping, { hardware: { sensors: {}, Flash: FakeNorFlash, sleep: () => recordingSleep("power-on") } }));
    if (!powerOn.ok) throw new Error(powerOn.problems.join("; "));
    expect(powerOn.ports.clock.wallTrusted()).toBe(false);
  });

  it("refuses sleepAfterMs in a build without deep sleep", () => {
    expect(boot(modules({ ...DEVICE, sleepAfterMs: "60000" })).ok).toBe(false);
    expect(lines.join("\n")).toContain("error: config: sleepAfterMs: this build has no deep sleep");
  });
});
