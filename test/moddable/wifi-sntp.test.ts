import { beforeEach, describe, expect, it } from "vitest";
import { ModdableClock } from "../../firmware/moddable/clock.js";
import { GatedNetwork } from "../../firmware/moddable/network.js";
import { SntpSync, SNTP_SCHEDULE } from "../../firmware/moddable/sntp.js";
import { ModdableTimers } from "../../firmware/moddable/timers.js";
import { WIFI_BACKOFF, WiFiLink } from "../../firmware/moddable/wifi.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { FakeNet, FakeSNTP, FakeTime, FakeTimer, FakeWiFi } from "./fakes.js";

const HALF = { next: () => 0.5 };
const NOV_2026_S = 1_795_000_000;

describe("WiFiLink", () => {
  let timer: FakeTimer;
  let net: FakeNet;
  let logger: MemoryLogger;
  let link: WiFiLink;

  beforeEach(() => {
    timer = new FakeTimer();
    net = new FakeNet();
    logger = new MemoryLogger();
    FakeWiFi.reset(timer);
    link = new WiFiLink(
      { WiFi: FakeWiFi, Net: net },
      new ModdableTimers(timer, logger),
      HALF,
      logger,
      { credentials: { ssid: "lab", password: "secret" }, ...WIFI_BACKOFF },
    );
  });

  const times = () => FakeWiFi.connects.map((c) => c.at);

  it("does not connect when the station already has an address", () => {
    net.ip = "192.168.1.20";
    link.start();
    timer.advance(3_600_000);
    expect(link.up()).toBe(true);
    expect(FakeWiFi.connects).toHaveLength(0);
  });

  it("connects at start without an address, then backs off exponentially (10 s floor, jittered, capped)", () => {
    link.start();
    FakeWiFi.emit("disconnect"); // a failed association: its retry is already scheduled
    timer.advance(200_000);
    // waits: 10 s + half of min(300 s, 10 s * 2^n): 15, 20, 30, 50, 90 s
    expect(times()).toEqual([0, 15_000, 35_000, 65_000, 115_000]);
    expect(FakeWiFi.connects[0]).toMatchObject({ ssid: "lab", password: "secret" });
    expect(link.up()).toBe(false);
    timer.advance(10_000_000);
    const gaps = times().slice(1).map((t, i) => t - times()[i]);
    expect(Math.max(...gaps)).toBe(10_000 + 150_000);
  });

  it("stops retrying once it has an address, and starts over from the first wait when the link is lost", () => {
    link.start();
    timer.advance(40_000);
    expect(times()).toEqual([0, 15_000, 35_000]);
    net.ip = "10.0.0.7";
    FakeWiFi.emit("gotIP");
    expect(link.up()).toBe(true);
    timer.advance(1_000_000);
    expect(times()).toHaveLength(3);
    const lostAt = timer.now;
    FakeWiFi.emit("disconnect");
    expect(link.up()).toBe(false);
    timer.advance(15_000);
    expect(times()).toEqual([0, 15_000, 35_000, lostAt + 15_000]);
    expect(logger.text()).toContain("wifi: link lost");
  });

  it("counts a connect call that throws as a failed attempt and tries again", () => {
    const original = FakeWiFi.connect;
    let calls = 0;
    FakeWiFi.connect = () => {
      calls++;
      throw new Error("esp_wifi_connect failed");
    };
    try {
      link.start();
      timer.advance(40_000);
      expect(calls).toBe(3);
      expect(logger.text()).toContain("esp_wifi_connect failed");
    } finally {
      FakeWiFi.connect = original;
    }
  });
});

describe("SntpSync", () => {
  let timer: FakeTimer;
  let time: FakeTime;
  let clock: ModdableClock;
  let linkUp: boolean;
  let logger: MemoryLogger;

  function start(hosts = ["pool.ntp.org"]): void {
    new SntpSync({ SNTP: FakeSNTP, setTime: (s) => time.set(s) }, clock, { up: () => linkUp }, new ModdableTimers(timer, logger), HALF, logger, hosts).start();
  }

  beforeEach(() => {
    timer = new FakeTimer();
    time = new FakeTime(timer);
    clock = new ModdableClock(time, () => 0, false);
    linkUp = true;
    logger = new MemoryLogger();
    FakeSNTP.reset(timer);
  });

  it("waits for the link, then sets the clock and trusts it on an answer, and resyncs later", () => {
    linkUp = false;
    start();
    timer.advance(10_000);
    expect(FakeSNTP.made).toHaveLength(0);
    linkUp = true;
    timer.advance(2_000);
    expect(FakeSNTP.made).toHaveLength(1);
    expect(clock.wallTrusted()).toBe(false);
    FakeSNTP.made[0].answer(NOV_2026_S);
    expect(time.sets).toEqual([NOV_2026_S]);
    expect(clock.wallTrusted()).toBe(true);
    timer.advance(SNTP_SCHEDULE.resyncMs);
    expect(FakeSNTP.made).toHaveLength(2);
  });

  it("tries the next host when one fails, and backs off when all have failed", () => {
    start(["a.example", "b.example"]);
    timer.advance(0);
    FakeSNTP.made[0].fail();
    expect(FakeSNTP.made[0].hosts).toEqual(["a.example", "b.example"]);
    FakeSNTP.made[0].fail();
    expect(FakeSNTP.made[0].closed).toBe(true);
    expect(clock.wallTrusted()).toBe(false);
    timer.advance(7_499);
    expect(FakeSNTP.made).toHaveLength(1);
    timer.advance(1); // 5 s + half of 5 s
    expect(FakeSNTP.made).toHaveLength(2);
  });

  it("refuses a time before 2024", () => {
    start();
    timer.advance(0);
    FakeSNTP.made[0].answer(0);
    expect(clock.wallTrusted()).toBe(false);
    expect(time.sets).toEqual([]);
    expect(logger.text()).toContain("implausible time");
  });

  it("closes an attempt with no answer and tries again; a late answer is ignored", () => {
    start();
    timer.advance(0);
    timer.advance(SNTP_SCHEDULE.attemptTimeoutMs);
    expect(FakeSNTP.made[0].closed).toBe(true);
    FakeSNTP.made[0].answer(NOV_2026_S);
    expect(clock.wallTrusted()).toBe(false);
    timer.advance(10_000);
    expect(FakeSNTP.made).toHaveLength(2);
  });
});

describe("GatedNetwork", () => {
  it("is offline until SNTP has set the clock when requests use TLS; plain HTTP needs only the link", () => {
    const clock = new ModdableClock({ ticks: 0 }, () => 0, false);
    let up = true;
    const https = new GatedNetwork({ up: () => up }, clock, true);
    const http = new GatedNetwork({ up: () => up }, clock, false);
    expect(https.online()).toBe(false);
    expect(http.online()).toBe(true);
    clock.synced();
    expect(https.online()).toBe(true);
    up = false;
    expect(https.online()).toBe(false);
    expect(http.online()).toBe(false);
  });
});
