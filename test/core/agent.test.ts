// Agent scenarios on a virtual clock against the in-memory TagoIO. In every one,
// sampled = delivered + dropped + buffered holds after every event, what the server stored is
// compared with what the agent says it delivered, and nothing arrives twice (a lost
// acknowledgement is settled by a landing check).

import { describe, expect, it } from "vitest";
import { Agent, ConfigError, type Snapshot } from "../../firmware/core/agent.js";
import type { Sensor } from "../../firmware/ports.js";
import { reply } from "../../firmware/fakes/scripted-http.js";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { BOARD_VARIABLES, OTHER_TOKEN, TOKEN } from "../support/fixtures.js";
import { FakeTago } from "../../firmware/fakes/fake-tago.js";
import { simulatedSensors } from "../../firmware/simulated/sensors.js";
import { SimDevice, START_WALL } from "../support/sim-device.js";
import { invariantHolds } from "../../host-sim/device/run-summary.js";
import { VirtualClock } from "../../firmware/fakes/virtual-clock.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";

const HOUR = 3_600_000;

function watch(device: SimDevice): Snapshot[] {
  const broken: Snapshot[] = [];
  device.onStep = (s) => {
    if (!invariantHolds(s)) broken.push(s);
  };
  return broken;
}

function refused() {
  return { ok: false as const, error: "refused" as const, message: "connect ECONNREFUSED", bodySent: false };
}

describe("Agent: a normal day", () => {
  it("delivers every reading once, with its sample time and group, in few requests", async () => {
    // Sensor readings only: telemetry's own are counted in telemetry.test.ts.
    const device = new SimDevice({ config: { telemetryIntervalMs: 0 } });
    const broken = watch(device);
    device.agent.start();
    const s = await device.run(2 * HOUR);
    expect(broken).toEqual([]);
    expect(s.sampled).toBe((2 * 3600 + 1) * 3);
    expect(s.droppedTotal).toBe(0);
    expect(s.delivered + s.buffered).toBe(s.sampled);
    expect(s.buffered).toBeLessThan(3 * 60 + 3);
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(device.tago.duplicates()).toBe(0);
    // Uploads every minute, one request per minute for 180 readings.
    expect(s.requests).toBeLessThanOrEqual(125);
    expect(s.requests).toBe(s.acknowledged);
    const first = device.tago.stored.slice(0, 3);
    const t0 = new Date(START_WALL).toISOString();
    expect(first.map((r) => [r.variable, r.unit, r.time])).toEqual([
      ["temperature", "°C", t0],
      ["humidity", "%", t0],
      ["pressure", "Pa", t0],
    ]);
    expect(new Set(first.map((r) => r.group)).size).toBe(1);
    for (const r of device.tago.stored) expect(Date.parse(r.time as string)).toBeGreaterThanOrEqual(START_WALL);
  });

  it("sends the token in Device-Token over TLS to the configured host, never in a log line", async () => {
    const device = new SimDevice({ config: { region: "eu-w1" } });
    device.agent.start();
    await device.run(5 * 60_000);
    const request = device.tago.http.log[0].request;
    expect(request).toMatchObject({ method: "POST", tls: true, host: "api.eu-w1.tago.io", port: 443, path: "/data" });
    expect(request.headers).toContainEqual(["Device-Token", TOKEN]);
    expect(device.logger.text()).not.toContain(TOKEN);
    expect(device.logger.text()).toContain("****5e6f");
  });
});

describe("Agent: the transport down for hours", () => {
  it("buffers, drops the oldest when full (counted), backs off within its cap, then drains", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 4096, backoffCapMs: 120_000 } });
    const broken = watch(device);
    device.tago.rule = () => refused();
    device.agent.start();
    let s = await device.run(6 * HOUR);
    expect(s.delivered).toBe(0);
    expect(s.buffered).toBe(4096);
    expect(s.dropped.bufferFull).toBe(s.sampled - 4096);
    // Backoff capped at 2 minutes with full jitter: about one try a minute, never a storm.
    expect(s.requests).toBeGreaterThan(100);
    expect(s.requests).toBeLessThan(6 * 60 * 6);
    expect(s.failures.network).toBe(s.requests);
    expect(s.state).toBe("backing-off");
    expect(s.lastError).toMatch(/^network: refused/);

    device.tago.rule = () => "store";
    s = await device.run(HOUR);
    expect(broken).toEqual([]);
    expect(s.buffered).toBeLessThan(200);
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(device.tago.duplicates()).toBe(0);
    // What survived is the newest: the first stored reading is from the last 4096 of the outage.
    const firstTime = Date.parse(device.tago.stored[0].time as string);
    expect(firstTime).toBeGreaterThan(START_WALL + 6 * HOUR - (4096 / 3 + 120) * 1000);
  });

  it("with drop-newest keeps the oldest readings instead", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 300, whenFull: "drop-newest" } });
    device.tago.rule = () => refused();
    device.agent.start();
    let s = await device.run(HOUR);
    expect(s.buffered).toBe(300);
    device.tago.rule = () => "store";
    s = await device.run(10 * 60_000);
    expect(invariantHolds(s)).toBe(true);
    expect(device.tago.stored[0].time).toBe(new Date(START_WALL).toISOString());
  });

  it("does not try while the network is down", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 20_000 } });
    device.online = false;
    device.agent.start();
    let s = await device.run(HOUR);
    expect(s.requests).toBe(0);
    expect(s.state).toBe("offline");
    // It looks again when the next upload is due (every minute by default), not in between.
    expect(s.nextAttemptInMs).toBeGreaterThan(5_000);
    expect(s.nextAttemptInMs).toBeLessThanOrEqual(60_000);
    device.online = true;
    s = await device.run(10 * 60_000);
    expect(s.requests).toBeGreaterThan(0);
    expect(s.delivered).toBeGreaterThanOrEqual(3 * 3600);
    expect(s.droppedTotal).toBe(0);
  });

  it("counts every reading once when the ring overflows while a batch is on the wire", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 64, maxBatchRecords: 60, uploadIntervalMs: 1000 } });
    const broken = watch(device);
    // Slow answers: the ring fills and evicts records of the batch on the wire.
    device.tago.rule = (e) => (e.index % 2 === 0 ? { delayMs: 30_000, result: reply(200, { status: true, result: "ok" }) } : { delayMs: 30_000, result: refused() });
    device.agent.start();
    const s = await device.run(HOUR);
    expect(broken).toEqual([]);
    expect(s.dropped.bufferFull).toBeGreaterThan(0);
    // Acknowledged batches count in full, evicted members included.
    const acknowledged = device.tago.http.log
      .map((entry, i) => (entry.result?.ok ? device.tago.exchanges[i].records.length : 0))
      .reduce((a, b) => a + b, 0);
    expect(s.delivered).toBe(acknowledged);
  });
});

describe("Agent: rate limits", () => {
  it("rides out a 429 storm without loss, waiting what the server names", async () => {
    const device = new SimDevice({ config: { rateLimitJitterMs: 1000 } });
    const broken = watch(device);
    const times: number[] = [];
    device.tago.rule = (e) => {
      times.push(device.clock.monotonicMs());
      return e.index % 4 === 3 ? "store" : reply(429, { status: false, message: "Too many requests (Retry-After: 20)" });
    };
    device.agent.start();
    const s = await device.run(3 * HOUR);
    expect(broken).toEqual([]);
    expect(s.droppedTotal).toBe(0);
    expect(s.failures["rate-limited"]).toBeGreaterThan(100);
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(s.delivered + s.buffered).toBe(s.sampled);
    expect(s.buffered).toBeLessThan(400);
    for (let i = 1; i < times.length; i++) {
      if (i % 4 !== 0) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(20_000);
    }
  });

  it("waits for the next calendar minute when the 429 names no wait", async () => {
    const device = new SimDevice({ config: { rateLimitJitterMs: 0 } });
    const at: number[] = [];
    device.tago.rule = (e) => {
      at.push(device.clock.wallMs());
      return e.index === 0 ? reply(429, "<html>Too Many Requests</html>") : "store";
    };
    device.agent.start();
    await device.run(3 * 60_000);
    expect(at[1] % 60_000).toBe(0);
    expect(at[1] - at[0]).toBeLessThanOrEqual(60_000);
  });

  it("never starts more requests a minute than configured, however much is waiting", async () => {
    const device = new SimDevice({ config: { maxRequestsPerMinute: 3, maxBatchRecords: 10 } });
    const at: number[] = [];
    device.tago.rule = () => {
      at.push(device.clock.monotonicMs());
      return "store";
    };
    device.agent.start();
    await device.run(HOUR);
    for (let i = 3; i < at.length; i++) expect(at[i] - at[i - 3]).toBeGreaterThanOrEqual(60_000);
    expect(at.length).toBeGreaterThan(170);
  });
});

describe("Agent: authentication", () => {
  it("stops uploading on 401 and keeps buffering, retries rarely, then drains with a fixed token", async () => {
    const device = new SimDevice({ config: { authRetryMs: 600_000, bufferCapacity: 30_000 } });
    const broken = watch(device);
    device.tago.rule = (e) => (e.token === OTHER_TOKEN ? "store" : reply(401, { status: false, result: "Authorization denied" }));
    device.agent.start();
    let s = await device.run(2 * HOUR);
    expect(s.state).toBe("auth-failed");
    expect(s.delivered).toBe(0);
    expect(s.buffered).toBe(s.sampled);
    expect(s.requests).toBeLessThanOrEqual(2 * 6 + 1);
    expect(s.failures.auth).toBe(s.requests);
    expect(s.lastError).toBe("auth: Authorization denied");
    expect(device.logger.lines.filter((l) => l.level === "error")).toHaveLength(1);

    device.agent.setToken(OTHER_TOKEN);
    s = await device.run(HOUR);
    expect(broken).toEqual([]);
    expect(s.state).not.toBe("auth-failed");
    expect(s.buffered).toBeLessThan(400);
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(device.tago.duplicates()).toBe(0);
    expect(device.logger.text()).not.toContain(OTHER_TOKEN);
  });

  it("refuses a malformed replacement token without echoing it", () => {
    const device = new SimDevice();
    expect(() => device.agent.setToken("oops-not-a-token")).toThrow(ConfigError);
    try {
      device.agent.setToken("oops-not-a-token");
    } catch (e) {
      expect(String(e)).not.toContain("oops-not-a-token");
    }
  });

  it("keeps a token that a hostile server echoes out of the last error", async () => {
    const device = new SimDevice();
    device.tago.rule = () => reply(500, `token ${TOKEN} is bad`);
    device.agent.start();
    const s = await device.run(5 * 60_000);
    expect(s.lastError).toContain("****5e6f");
    expect(s.lastError).not.toContain(TOKEN);
    expect(device.logger.text()).not.toContain(TOKEN);
  });
});

describe("Agent: lost acknowledgements", () => {
  it("asks before sending again, so a batch whose acknowledgement is lost is stored once", async () => {
    // Pages big enough for a whole batch of 180 readings: one GET per check.
    const device = new SimDevice({ config: { maxBatchBytes: 100_000, maxCheckPageBytes: 100_000 } });
    const broken = watch(device);
    device.tago.rule = (e) => (e.index % 5 === 2 ? "lose-ack" : "store");
    device.agent.start();
    const s = await device.run(2 * HOUR);
    expect(broken).toEqual([]);
    expect(device.tago.lostAcks).toBeGreaterThan(0);
    expect(device.tago.duplicates()).toBe(0);
    expect(device.tago.stored.length).toBe(s.delivered);
    const lost = device.tago.exchanges.filter((e) => e.index % 5 === 2).length;
    // One GET per lost acknowledgement, each finding its batch whole.
    expect(s.landing).toMatchObject({ checks: lost, found: lost, checkFailures: 0, partial: 0, missing: 0, resentAnyway: 0 });
    expect(s.requests).toBe(device.tago.exchanges.length + lost);
  });

  // 180 readings or more a batch: at the default 32 KB, 62 records a page, three pages or more a
  // check; in the firmware builds (20 KB batches, 8 KB pages), 14 a page, thirteen or more, with a
  // ceiling that lets them go within the minute their batch was due.
  it.each([
    { pages: "maxBatchBytes (the default 32 KB)", config: {}, pageBytes: 32_768, pagesPerCheck: 3 },
    { pages: "maxCheckPageBytes when below maxBatchBytes (8 KB)", config: { maxBatchBytes: 20_480, maxCheckPageBytes: 8_192, maxRequestsPerMinute: 60 }, pageBytes: 8_192, pagesPerCheck: 13 },
  ])("asks for a batch longer than a page in pages no larger than $pages", async ({ config, pageBytes, pagesPerCheck }) => {
    const device = new SimDevice({ config });
    device.tago.rule = (e) => (e.index % 5 === 2 ? "lose-ack" : "store");
    device.agent.start();
    const s = await device.run(HOUR);
    expect(device.tago.duplicates()).toBe(0);
    const lost = device.tago.exchanges.filter((e) => e.index % 5 === 2).length;
    const gets = device.tago.http.log.filter((r) => r.request.method === "GET");
    expect(s.landing).toMatchObject({ found: lost, checkFailures: 0, partial: 0, missing: 0 });
    expect(s.landing.checks).toBeGreaterThanOrEqual(pagesPerCheck * lost);
    expect(gets).toHaveLength(s.landing.checks);
    expect(gets.every((r) => r.request.maxResponseBytes <= pageBytes)).toBe(true);
  });
});

class PoisonSensor implements Sensor {
  readonly name = "sht3x";
  private n = 0;
  sample(): unknown {
    this.n++;
    return { thermometer: { temperature: this.n % 500 === 0 ? 666 : 20 + (this.n % 7) }, hygrometer: { humidity: 40 } };
  }
}

describe("Agent: refused records", () => {
  it("bisects a 400 to drop exactly the records the server rejects, delivering the rest", async () => {
    const device = new SimDevice({
      sensors: (clock) => [new PoisonSensor(), bmp(clock)],
    });
    const broken = watch(device);
    device.tago.rule = (e) =>
      e.records.some((r) => r.value === 666) ? reply(400, { status: false, message: "value 666 is not allowed" }) : "store";
    device.agent.start();
    const s = await device.run(2 * HOUR);
    expect(broken).toEqual([]);
    const poisoned = Math.floor(7200 / 500);
    expect(s.dropped.invalid).toBe(poisoned);
    expect(s.failures.invalid).toBeGreaterThanOrEqual(poisoned);
    expect(device.tago.stored.some((r) => r.value === 666)).toBe(false);
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(s.delivered + s.buffered + poisoned).toBe(s.sampled);
    // Isolation costs at most two requests per halving of a 180-reading batch per bad record, not one per record.
    expect(s.requests).toBeLessThanOrEqual(121 + poisoned * 2 * Math.ceil(Math.log2(180)));
  });

  it("splits on 413 until the batches fit, and drops a single reading the server cannot take", async () => {
    const device = new SimDevice();
    const broken = watch(device);
    device.tago.rule = (e) => (e.bytes > 6000 ? reply(413, { status: false, message: "Payload too large" }) : "store");
    device.agent.start();
    const s = await device.run(HOUR);
    expect(broken).toEqual([]);
    // The server's limit is learnt once, not rediscovered on every upload.
    expect(s.failures["too-large"]).toBeGreaterThan(0);
    expect(s.failures["too-large"]).toBeLessThanOrEqual(4 + s.acknowledged / 32);
    expect(s.dropped.tooLarge).toBe(0);
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(s.delivered).toBeGreaterThan(3 * 3500);

    device.tago.rule = () => reply(413, "too large");
    const before = device.agent.snapshot();
    const after = await device.run(10 * 60_000);
    expect(after.dropped.tooLarge).toBeGreaterThan(0);
    expect(invariantHolds(after)).toBe(true);
    expect(after.delivered).toBe(before.delivered);
  });

  it("grows its batches back to a minute's readings in one request once the server takes them again", async () => {
    const device = new SimDevice();
    device.tago.rule = (e) => (e.bytes > 6000 ? reply(413, { status: false, message: "Payload too large" }) : "store");
    device.agent.start();
    await device.run(30 * 60_000);
    const limited = device.tago.exchanges.slice(-10);
    expect(Math.max(...limited.map((e) => e.bytes))).toBeLessThanOrEqual(6000);

    // The limit lifted: after a run of acknowledgements the learnt bound doubles back.
    device.tago.rule = () => "store";
    const from = device.tago.exchanges.length;
    await device.run(HOUR);
    const lastTen = device.tago.exchanges.slice(from).slice(-10);
    expect(lastTen.map((e) => e.records.length)).toEqual(Array(10).fill(180));
    expect(Math.min(...lastTen.map((e) => e.bytes))).toBeGreaterThan(6000);
  });
});

function bmp(clock: VirtualClock): Sensor {
  const random = new SeededRandom(5);
  return { name: "bmp280", sample: () => ({ barometer: { pressure: 101_000 + Math.round(random.next() * 500) }, clock: clock.monotonicMs() }) };
}

describe("Agent: time trust", () => {
  it("holds readings until the clock is trusted, then sends them with exactly rebased times", async () => {
    const device = new SimDevice({ trusted: false, config: { bufferCapacity: 4096 } });
    device.agent.start();
    let s = await device.run(10 * 60_000);
    expect(s.requests).toBe(0);
    expect(s.state).toBe("waiting-for-clock");
    expect(s.clockTrusted).toBe(false);
    // SNTP answers 10 minutes after boot.
    device.clock.sync(START_WALL + 10 * 60_000);
    s = await device.run(5 * 60_000);
    expect(s.clockTrusted).toBe(true);
    expect(s.delivered).toBeGreaterThanOrEqual(3 * 600);
    const times = device.tago.stored.filter((r) => r.variable === "temperature").map((r) => Date.parse(r.time as string));
    times.slice(0, 900).forEach((t, i) => expect(t).toBe(START_WALL + i * 1000));
  });

  it("sends no time at all rather than a 1970 or pre-2024 one", async () => {
    const device = new SimDevice({ trusted: false, config: { uploadWithoutTime: true } });
    device.clock.sync(Date.UTC(2001, 0, 1));
    device.agent.start();
    const s = await device.run(5 * 60_000);
    expect(s.delivered).toBeGreaterThan(0);
    expect(device.tago.stored.every((r) => r.time === undefined)).toBe(true);
    expect(device.tago.stored[0].group).toMatch(/^u/);
  });
});

describe("Agent: sensors and values", () => {
  it("counts a failing sensor and goes on with the others, logging the failure once", async () => {
    let broken = true;
    const device = new SimDevice({
      sensors: (clock) => [
        {
          name: "sht3x",
          sample: () => {
            if (broken) throw new Error("I2C NACK");
            return { thermometer: { temperature: 20 }, hygrometer: { humidity: 50 } };
          },
        },
        bmp(clock),
      ],
    });
    device.agent.start();
    // Samples at 0 s, 1 s, ... 100 s.
    let s = await device.run(100_000);
    expect(s.sensorErrors).toBe(101);
    expect(s.sampled).toBe(101);
    broken = false;
    s = await device.run(10_000);
    expect(s.sampled).toBe(101 + 30);
    expect(device.logger.lines.filter((l) => l.message.includes("I2C NACK"))).toHaveLength(1);
    expect(device.logger.text()).toContain("sht3x: reading again");
  });

  it("survives a sample whose field throws when read: that sensor's turn ends, the others and the schedule go on", async () => {
    const device = new SimDevice({
      sensors: (clock) => [
        {
          name: "sht3x",
          sample: () => ({
            thermometer: { temperature: 20 },
            hygrometer: {
              get humidity(): number {
                throw new Error("hostile getter");
              },
            },
          }),
        },
        bmp(clock),
      ],
    });
    device.agent.start();
    // Samples at 0 s, 1 s, ... 10 s: the throwing sensor's turn costs its readings; the pressure is kept.
    const s = await device.run(10_000);
    expect(s.sensorErrors).toBe(11);
    expect(s.sampled).toBe(11);
    expect(device.tago.stored.length + s.buffered).toBe(11);
    expect(s.droppedTotal).toBe(0);
    expect(device.logger.lines.filter((l) => l.message.includes("hostile getter"))).toHaveLength(1);
  });

  it("refuses NaN and Infinity at sampling, and strings over the bound, counting each", async () => {
    const values = [NaN, Infinity, -Infinity, 1.5];
    let i = 0;
    const device = new SimDevice({
      config: {
        maxStringLength: 5,
        variables: [
          { name: "level", sensor: "x", field: "level" },
          { name: "label", sensor: "x", field: "label" },
          { name: "ok", sensor: "x", field: "ok" },
        ],
      },
      sensors: () => [{ name: "x", sample: () => ({ level: values[i++ % 4], label: i % 2 ? "short" : "much too long", ok: true }) }],
    });
    device.agent.start();
    const s = await device.run(4 * 60_000 + 500);
    // 241 samples (0 s to 240 s) of three variables.
    expect(s.sampled).toBe(723);
    expect(s.dropped.nonFinite).toBe(181);
    expect(s.dropped.stringTooLong).toBe(120);
    expect(invariantHolds(s)).toBe(true);
    const stored = device.tago.stored;
    expect(stored.filter((r) => r.variable === "level").every((r) => r.value === 1.5)).toBe(true);
    expect(stored.filter((r) => r.variable === "label").every((r) => r.value === "short")).toBe(true);
    expect(stored.filter((r) => r.variable === "ok").every((r) => r.value === true)).toBe(true);
  });

  it("picks fields one, two and three keys deep, and counts a path that meets a non-object or nothing", async () => {
    let tick = 0;
    const device = new SimDevice({
      config: {
        variables: [
          { name: "flat", sensor: "imu", field: "temperature" },
          { name: "axis_x", sensor: "imu", field: "accelerometer.x" },
          { name: "gyro_z", sensor: "imu", field: "motion.gyro.z" },
          { name: "level", sensor: "tank", field: "probe.level.cm" },
        ],
      },
      sensors: () => [
        { name: "imu", sample: () => ({ temperature: 30 + tick, accelerometer: { x: -0.5 }, motion: { gyro: { z: tick++ } } }) },
        // Every other sample the probe's level is a number where an object was expected.
        { name: "tank", sample: () => ({ probe: { level: tick % 2 ? { cm: 12.5 } : 7 } }) },
      ],
    });
    device.agent.start();
    const s = await device.run(9_000);
    // 10 samples: the imu gives 3 readings each; the tank's path is whole in 5 of them.
    expect(s.sampled).toBe(35);
    expect(s.sensorErrors).toBe(5);
    expect(invariantHolds(s)).toBe(true);
    device.agent.flush();
    expect((await device.run(9_500)).delivered).toBe(35);
    const stored = device.tago.stored;
    expect(stored.filter((r) => r.variable === "gyro_z").map((r) => r.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(stored.filter((r) => r.variable === "flat").map((r) => r.value)).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    expect(stored.filter((r) => r.variable === "axis_x").every((r) => r.value === -0.5)).toBe(true);
    expect(stored.filter((r) => r.variable === "level").map((r) => r.value)).toEqual([12.5, 12.5, 12.5, 12.5, 12.5]);
    expect(device.logger.text()).toContain('sensor tank: no reading at "probe.level.cm"');
  });

  it("finds nothing in a sample that is undefined, null or a number, nor below a null on a path, and keeps the other readings", async () => {
    const shapes: unknown[] = [null, undefined, 42, { probe: null, other: { level: 1 } }, { probe: { level: 3 }, other: { level: 4 } }];
    let tick = 0;
    const device = new SimDevice({
      config: {
        variables: [
          { name: "level", sensor: "tank", field: "probe.level" },
          { name: "other", sensor: "tank", field: "other.level" },
          { name: "temperature", sensor: "imu", field: "temperature" },
        ],
      },
      sensors: () => [
        { name: "tank", sample: () => shapes[tick++ % shapes.length] as Record<string, unknown> },
        { name: "imu", sample: () => ({ temperature: 20 }) },
      ],
    });
    device.agent.start();
    // 5 samples: the tank gives both readings in one, "other" alone in one, nothing in three.
    const s = await device.run(4_000);
    expect(s.sampled).toBe(5 + 3);
    expect(s.sensorErrors).toBe(4);
    expect(invariantHolds(s)).toBe(true);
    device.agent.flush();
    await device.run(4_500);
    const stored = device.tago.stored;
    expect(stored.filter((r) => r.variable === "temperature")).toHaveLength(5);
    expect(stored.filter((r) => r.variable === "other").map((r) => r.value)).toEqual([1, 4]);
    expect(stored.filter((r) => r.variable === "level").map((r) => r.value)).toEqual([3]);
    expect(device.logger.text()).toContain('sensor tank: no reading at "probe.level"');
  });

  it("refuses a configuration whose variables name sensors the device lacks", () => {
    const clock = new VirtualClock({ wallStartMs: START_WALL, trusted: true });
    const ports = {
      clock,
      timers: clock,
      http: new FakeTago(clock).http,
      sensors: simulatedSensors({ clock, seed: 1 }),
      network: { online: () => true },
      logger: new MemoryLogger(),
      random: new SeededRandom(1),
    };
    expect(() => Agent.create({ token: TOKEN, variables: [{ ...BOARD_VARIABLES[0], sensor: "bme680" }] }, ports)).toThrow(
      /variables\[0\]\.sensor: no sensor named "bme680" on this device \(have: sht3x, bmp280\)/,
    );
  });
});

describe("Agent: lifecycle", () => {
  it("abandons the batch on the wire when stopped; it stays buffered", async () => {
    const device = new SimDevice();
    device.tago.rule = () => ({ delayMs: 20_000, result: reply(200, { status: true, result: "ok" }) });
    device.agent.start();
    await device.run(61_000);
    expect(device.agent.snapshot().state).toBe("uploading");
    device.agent.stop();
    await device.run(60_000);
    const s = device.agent.snapshot();
    expect(s.state).toBe("stopped");
    expect(s.delivered).toBe(0);
    expect(s.buffered).toBe(s.sampled);
    expect(device.clock.nextDue()).toBeUndefined();
  });

  it("cancels an exchange the port never ends, and carries on", async () => {
    const device = new SimDevice({ config: { requestTimeoutMs: 10_000 } });
    device.tago.rule = (e) => (e.index === 0 ? { delayMs: 1e12, result: refused() } : "store");
    device.agent.start();
    const s = await device.run(5 * 60_000);
    expect(s.failures.network).toBe(1);
    expect(device.tago.http.log[0].result).toEqual({ ok: false, error: "cancelled", message: "cancelled", bodySent: true });
    expect(s.delivered).toBeGreaterThan(0);
    expect(invariantHolds(s)).toBe(true);
  });
});

describe("Agent: a 400 about the device (issue 16)", () => {
  const DEACTIVATED = reply(400, { status: false, message: "Device is deactivated" });

  it("stops uploading while the device is deactivated, drops nothing, retries rarely, then delivers everything", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 30_000 } });
    const broken = watch(device);
    device.tago.rule = () => DEACTIVATED;
    device.agent.start();
    let s = await device.run(HOUR);
    expect(s.state).toBe("refused");
    expect(s.lastError).toBe("refused: Device is deactivated");
    expect(s.droppedTotal).toBe(0);
    expect(s.buffered).toBe(s.sampled);
    // The first try after a minute, then one every refusedRetryMs (15 minutes): no bisection.
    expect(s.requests).toBe(4);
    expect(s.failures.refused).toBe(4);
    expect(s.failures.invalid).toBe(0);
    expect(device.logger.lines.filter((l) => l.level === "error").map((l) => l.message)).toEqual([
      "upload: the server refuses this device (Device is deactivated); nothing is dropped, buffering goes on, retrying every 900000 ms",
    ]);

    device.tago.rule = () => "store";
    s = await device.run(20 * 60_000);
    expect(broken).toEqual([]);
    expect(s.state).toBe("idle");
    expect(s.droppedTotal).toBe(0);
    expect(s.buffered).toBeLessThan(3 * 60 + 3);
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(device.tago.duplicates()).toBe(0);
  });

  it("refuses the device, dropping nothing, on a record limit until space is freed", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 30_000, refusedRetryMs: 300_000 } });
    const broken = watch(device);
    let limit = 1000;
    device.tago.rule = () =>
      device.tago.stored.length >= limit ? reply(400, { status: false, message: `The device has reached the limit of ${limit} data registers` }) : "store";
    device.agent.start();
    let s = await device.run(HOUR);
    expect(s.state).toBe("refused");
    expect(s.lastError).toBe("refused: The device has reached the limit of 1000 data registers");
    expect(s.droppedTotal).toBe(0);
    expect(device.tago.stored.length).toBeGreaterThanOrEqual(1000);
    expect(s.delivered).toBe(device.tago.stored.length);
    expect(s.buffered).toBe(s.sampled - s.delivered);

    limit = 1_000_000;
    s = await device.run(10 * 60_000);
    expect(broken).toEqual([]);
    expect(s.droppedTotal).toBe(0);
    expect(s.buffered).toBeLessThan(3 * 60 + 3);
    expect(device.tago.stored.length).toBe(s.delivered);
  });

  it("takes a 400 that splitting never cures, naming no record, as about the device: bisects once, drops nothing", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 30_000 } });
    const broken = watch(device);
    device.tago.rule = () => reply(400, { status: false, message: "Profile is blocked" });
    device.agent.start();
    const s = await device.run(HOUR);
    expect(broken).toEqual([]);
    expect(s.state).toBe("refused");
    expect(s.lastError).toBe("refused: Profile is blocked");
    expect(s.droppedTotal).toBe(0);
    expect(s.buffered).toBe(s.sampled);
    // 180 -> 90 -> 45 -> 23 -> 12 -> 6 -> 3 -> 2 -> 1 once (within 6 requests a minute), then a retry every 15 minutes.
    expect(s.failures.invalid).toBe(8);
    expect(s.failures.refused).toBe(1 + 3);
  });

  it("still drops a record the server names, even alone in its batch", async () => {
    const device = new SimDevice({ config: { maxBatchRecords: 1, maxRequestsPerMinute: 600 } });
    device.tago.rule = (e) =>
      e.records[0].variable === "pressure" ? reply(400, { status: false, message: "Invalid data[0]: value out of range" }) : "store";
    device.agent.start();
    const s = await device.run(5 * 60_000);
    expect(s.dropped.invalid).toBeGreaterThan(0);
    expect(s.state).not.toBe("refused");
    expect(device.tago.stored.every((r) => r.variable !== "pressure")).toBe(true);
    expect(invariantHolds(s)).toBe(true);
  });
});

describe("Agent: the device's retention window (issue 16)", () => {
  const DAY = 24 * HOUR;
  /** An immutable device keeping one day back, judged by the server's true clock. */
  function retention(device: SimDevice) {
    device.tago.rule = (e) => {
      const today = Math.floor((START_WALL + device.clock.monotonicMs()) / DAY) * DAY;
      const [from, to] = [today - DAY, today + 2 * DAY];
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      const outside = e.records.some((r) => r.time !== undefined && (Date.parse(r.time) < from || Date.parse(r.time) >= to));
      return outside ? reply(400, { status: false, message: `Time must be between ${day(from)} and ${day(to - DAY)}` }) : "store";
    };
  }

  it("after a long outage drops only the readings older than the window, under their own reason", async () => {
    const device = new SimDevice({ config: { sampleIntervalMs: 60_000, bufferCapacity: 20_000, telemetryIntervalMs: 0 } });
    const broken = watch(device);
    retention(device);
    device.online = false;
    device.agent.start();
    await device.run(3 * DAY);
    device.online = true;
    const s = await device.run(HOUR);
    expect(broken).toEqual([]);
    // Samples at 0, 1, ... minutes; the window opens at the start of day 2 (the server's yesterday).
    const tooOld = 2 * 24 * 60 * 3;
    expect(s.dropped.outsideRetention).toBe(tooOld);
    expect(s.droppedTotal).toBe(tooOld);
    expect(s.failures.retention).toBeGreaterThan(0);
    expect(s.state).not.toBe("refused");
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(s.delivered + s.buffered + tooOld).toBe(s.sampled);
    expect(Date.parse(device.tago.stored[0].time as string)).toBe(START_WALL + 2 * DAY);
  });

  it("drops readings a wrong clock dated in the future, wherever they are in the batch, and keeps those around them", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 20_000 } });
    const broken = watch(device);
    retention(device);
    device.agent.start();
    await device.run(10 * 60_000 + 500);
    // The clock runs 5 days ahead for 30 s, then is right again.
    device.clock.jumpWall(5 * DAY);
    await device.run(30_000);
    device.clock.jumpWall(-5 * DAY);
    const s = await device.run(10 * 60_000);
    expect(broken).toEqual([]);
    expect(s.dropped.outsideRetention).toBe(30 * 3);
    expect(s.droppedTotal).toBe(30 * 3);
    expect(device.tago.stored.length).toBe(s.delivered);
    expect(s.delivered + s.buffered + 90).toBe(s.sampled);
    expect(device.tago.stored.every((r) => Date.parse(r.time as string) < START_WALL + DAY)).toBe(true);
  });

  it("refuses the device, dropping nothing, when no reading lies outside the window the server names", async () => {
    const device = new SimDevice({ config: { bufferCapacity: 20_000 } });
    device.tago.rule = () => reply(400, { status: false, message: "Time must be between 2026-11-20 and 2026-11-30" });
    device.agent.start();
    const s = await device.run(30 * 60_000);
    expect(s.state).toBe("refused");
    expect(s.droppedTotal).toBe(0);
    expect(s.buffered).toBe(s.sampled);
  });
});
