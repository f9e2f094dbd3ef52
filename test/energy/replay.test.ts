// The energy model's arithmetic: each counted phase at its profile current and duration, the
// phases' time taken out of the background state, averages and days worked by hand.

import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILE, type PowerProfile } from "../../tools/energy/profile.js";
import { replay, type RunCounts } from "../../tools/energy/replay.js";

const HOUR = 3_600_000;

/** Round figures so that every charge below can be worked out by hand. */
const PROFILE: PowerProfile = {
  name: "round figures",
  boot: { ma: 40, ms: 250 },
  sample: { ma: 40, ms: 25 },
  wifiJoin: { ma: 100, ms: 1000 },
  dhcp: { ma: 80, ms: 500 },
  tlsHandshake: { ma: 50, ms: 2000 },
  requestWait: { ma: 80, ms: 250 },
  sendPerKb: { ma: 200, ms: 10 },
  receivePerKb: { ma: 100, ms: 10 },
  flashErase: { ma: 70, ms: 50 },
  flashProgram: { ma: 70, ms: 1 },
  xsPerMillionComputrons: { ma: 40, ms: 1000 },
  awake: { ma: 20 },
  idle: { ma: 30 },
  deepSleep: { ma: 0.01 },
};

const nothing: RunCounts = {
  deviceMs: 0,
  boots: 0,
  samples: 0,
  wifiJoins: 0,
  tlsHandshakes: 0,
  requests: 0,
  bytesSent: 0,
  bytesReceived: 0,
  awakeMs: [],
  sleepMs: 0,
  idleMs: 0,
  flashPagePrograms: [],
  flashSectorsErased: [],
  xsComputrons: 0,
};

describe("replay", () => {
  it("charges an hour idle at the idle current", () => {
    const e = replay({ ...nothing, deviceMs: HOUR, idleMs: HOUR }, PROFILE, 2500);
    expect(e.averageMa).toBeCloseTo(30, 10);
    expect(e.mAhPerDay).toBeCloseTo(720, 10);
    expect(e.days).toBeCloseTo(2500 / 720, 10);
    expect(e.breakdown.idle).toBeCloseTo(30, 10);
  });

  it("charges each counted phase at its duration and current, taken out of deep sleep", () => {
    // One wake an hour: boot, sample, join + DHCP, one handshake, one request of 2 KB out, 1 KB back.
    const counts: RunCounts = { ...nothing, deviceMs: HOUR, boots: 1, samples: 1, wifiJoins: 1, tlsHandshakes: 1, requests: 1, bytesSent: 2048, bytesReceived: 1024, sleepMs: HOUR };
    const e = replay(counts, PROFILE, 2500);
    // mA·ms: boot 10,000, sample 1,000, join 100,000, DHCP 40,000, TLS 100,000, wait 20,000, send 4,000, receive 1,000.
    const phases = 10_000 + 1_000 + 100_000 + 40_000 + 100_000 + 20_000 + 4_000 + 1_000;
    const phaseMs = 250 + 25 + 1000 + 500 + 2000 + 250 + 20 + 10;
    const sleep = (HOUR - phaseMs) * 0.01;
    expect(e.averageMa).toBeCloseTo((phases + sleep) / HOUR, 10);
    expect(e.breakdown.tlsHandshake).toBeCloseTo(100_000 / HOUR, 12);
    expect(e.breakdown.dhcp).toBeCloseTo(40_000 / HOUR, 12);
    expect(e.breakdown.sendPerKb).toBeCloseTo(4_000 / HOUR, 12);
    expect(e.breakdown.deepSleep).toBeCloseTo(sleep / HOUR, 12);
    expect(e.mAhPerDay).toBeCloseTo(((phases + sleep) / HOUR) * 24, 10);
  });

  it("charges the agent's own work at a wake: its flash writes and its XS computrons, taken out of deep sleep", () => {
    // Three wakes: 4, 3 and 5 page programs, one erase in the last; 250,000 computrons in all.
    const counts: RunCounts = { ...nothing, deviceMs: HOUR, sleepMs: HOUR, flashPagePrograms: [4, 3, 5], flashSectorsErased: [0, 0, 1], xsComputrons: 250_000 };
    const e = replay(counts, PROFILE, 2500);
    // mA·ms: 12 programs of 1 ms at 70, one erase of 50 ms at 70, a quarter of a million computrons: 250 ms at 40.
    expect(e.breakdown.flashProgram).toBeCloseTo((12 * 70) / HOUR, 12);
    expect(e.breakdown.flashErase).toBeCloseTo((50 * 70) / HOUR, 12);
    expect(e.breakdown.xsPerMillionComputrons).toBeCloseTo((250 * 40) / HOUR, 12);
    const sleep = (HOUR - 12 - 50 - 250) * 0.01;
    expect(e.averageMa).toBeCloseTo((12 * 70 + 50 * 70 + 250 * 40 + sleep) / HOUR, 10);
  });

  it("takes the phases' time out of idle when the run never sleeps, and charges awake time apart", () => {
    // A minute of the hour awake but not idle (a boot of the host simulator's, awake all along).
    const counts: RunCounts = { ...nothing, deviceMs: HOUR, requests: 4, tlsHandshakes: 4, awakeMs: [HOUR], idleMs: HOUR - 1000 };
    const e = replay(counts, PROFILE, 2500);
    const phaseMs = 4 * (2000 + 250);
    const charge = 4 * (2000 * 50 + 250 * 80) + 1000 * 20 + (HOUR - 1000 - phaseMs) * 30;
    expect(e.averageMa).toBeCloseTo(charge / HOUR, 10);
    expect(e.breakdown.awake).toBeCloseTo((1000 * 20) / HOUR, 12);
    expect(e.awakeMs).toBe(1000);
  });

  it("charges every boot's time awake in a sleeping run at the awake current", () => {
    const counts: RunCounts = { ...nothing, deviceMs: HOUR, awakeMs: [30, 50, 20], sleepMs: HOUR - 100 };
    const e = replay(counts, PROFILE, 2500);
    expect(e.awakeMs).toBe(100);
    expect(e.averageMa).toBeCloseTo((100 * 20 + (HOUR - 100) * 0.01) / HOUR, 10);
  });

  it("lengthens the run when its phases outlast its background, rather than charging negative time", () => {
    const counts: RunCounts = { ...nothing, deviceMs: 1000, wifiJoins: 2, sleepMs: 1000 };
    const e = replay(counts, PROFILE, 2500);
    expect(e.breakdown.deepSleep).toBe(0);
    expect(e.averageMa).toBeCloseTo((2 * 1000 * 100 + 2 * 500 * 80) / 3000, 10);
  });

  it("gives the days on a battery in proportion to its charge", () => {
    const counts: RunCounts = { ...nothing, deviceMs: HOUR, boots: 60, samples: 60, sleepMs: HOUR };
    const small = replay(counts, DEFAULT_PROFILE, 1000);
    const large = replay(counts, DEFAULT_PROFILE, 2500);
    expect(large.days / small.days).toBeCloseTo(2.5, 10);
    expect(large.averageMa).toBe(small.averageMa);
  });

  it("refuses counts that are not counts, naming them", () => {
    expect(() => replay({ ...nothing, requests: -1, sleepMs: Number.NaN, awakeMs: [5, -2], flashSectorsErased: [Number.NaN] }, PROFILE, 2500)).toThrow(
      /requests: must be a count at least 0 .*sleepMs: .*awakeMs\[1\]: must be a count at least 0 \(got -2\); flashSectorsErased\[0\]/,
    );
    expect(() => replay({ ...nothing, xsComputrons: -5 }, PROFILE, 2500)).toThrow(/xsComputrons: must be a count at least 0 \(got -5\)/);
  });
});
