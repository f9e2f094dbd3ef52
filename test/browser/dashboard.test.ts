// The dashboard in a real browser: Debian's Chromium, driven by playwright-core, opens the page of
// the real local endpoint over real TLS after a virtual hour of the simulated device, and what it
// shows is checked against the store: each variable's newest value, unit and time, the agent's own
// `agent_*` health telemetry in its own panel, the parameters, and the number of points each chart draws
// for the chosen period. Then it must follow new readings live, fit a phone's width, and never
// carry the token in the page or in a URL it requests. Screenshots go to test-artifacts/.

import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredRecord } from "../../host-sim/endpoint/server.js";
import { PERIODS } from "../../host-sim/endpoint/view.js";
import { HOUR, MINUTE, startRig, TOKEN, type Rig } from "../e2e/harness.js";
import { chromiumPath } from "../support/chromium.js";

const ARTIFACTS = "test-artifacts";

/**
 * The SHA-256 of the server's public key, read over a TLS connection verified against the
 * endpoint's CA: Chromium is told to accept exactly that key, so the browser's TLS is real and a
 * different server would be refused.
 */
function pinnedKey(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca }, () => {
      const spki = socket.getPeerX509Certificate()?.publicKey.export({ type: "spki", format: "der" });
      socket.end();
      if (spki === undefined) reject(new Error("no server certificate"));
      else resolve(createHash("sha256").update(spki).digest("base64"));
    });
    socket.on("error", reject);
  });
}

/** What one card shows. */
interface Shown {
  panel: string;
  value: string;
  unit: string;
  time: string;
  /** The chart's `data-points`; null without a chart. */
  points: string | null;
}

async function shown(page: Page): Promise<Record<string, Shown>> {
  const out: Record<string, Shown> = {};
  for (const card of await page.locator(".card").all()) {
    const variable = (await card.getAttribute("data-variable")) ?? "";
    const chart = card.locator(".chart");
    out[variable] = {
      panel: (await card.locator("xpath=..").getAttribute("id")) ?? "",
      value: (await card.locator(".value").textContent()) ?? "",
      unit: (await card.locator(".unit").textContent()) ?? "",
      time: (await card.locator("time").getAttribute("datetime")) ?? "",
      points: (await chart.count()) === 0 ? null : await chart.getAttribute("data-points"),
    };
  }
  return out;
}

/** What the cards must show for the store's records over the period (null: all). */
function expected(records: StoredRecord[], periodMs: number | null): Record<string, Shown> {
  const newest = Math.max(...records.map((r) => Date.parse(r.time)));
  const start = periodMs === null ? -Infinity : newest - periodMs;
  const latest = new Map<string, StoredRecord>();
  // In arrival order: of two with the same time, the later one is the newest.
  for (const r of records) if (!(Date.parse(latest.get(r.variable)?.time ?? "") > Date.parse(r.time))) latest.set(r.variable, r);
  const out: Record<string, Shown> = {};
  for (const [variable, r] of latest) {
    const inPeriod = records.filter((p) => p.variable === variable && typeof p.value === "number" && Date.parse(p.time) >= start);
    out[variable] = {
      panel: variable.startsWith("agent_") ? "health" : "sensors",
      value: String(r.value),
      unit: r.unit ?? "",
      time: r.time,
      points: typeof r.value === "number" ? String(inPeriod.length) : null,
    };
  }
  return out;
}

async function choosePeriod(page: Page, ms: number | null): Promise<void> {
  await page.locator(`button[data-period="${ms ?? "all"}"]`).click();
}

let browser: Browser | undefined;
let rig: Rig | undefined;

beforeAll(() => {
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

describe("the dashboard in Chromium", () => {
  it("shows a virtual hour as the store holds it, follows new readings, and fits a phone", { timeout: 120_000 }, async () => {
    const executablePath = chromiumPath();
    rig = await startRig({
      // The agent's own health telemetry, every 15 minutes (the default).
      config: { telemetryIntervalMs: 15 * MINUTE },
      endpoint: {
        devices: [
          { token: TOKEN, name: "greenhouse", params: [{ key: "sample_interval", value: "10s" }, { key: "mode", value: "eco", sent: true }] },
        ],
      },
    });
    rig.device.start();
    await rig.device.runFor(HOUR);

    const endpoint = rig.endpoint;
    const url = endpoint.dashboardUrl as string;
    browser = await chromium.launch({
      executablePath,
      args: [`--ignore-certificate-errors-spki-list=${await pinnedKey(endpoint.port, endpoint.caPem)}`],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "UTC", locale: "en-US" });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });

    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    await page.locator('.status[data-state="live"]').waitFor();
    const poll = { timeout: 15_000, interval: 250 };

    // The default period (1 h), then 15 min and everything: values and points as the store has them.
    expect(await page.locator("button[aria-pressed=true]").getAttribute("data-period")).toBe(String(PERIODS[1].ms));
    await expect.poll(() => shown(page), poll).toEqual(expected(endpoint.records(TOKEN), PERIODS[1].ms));
    await choosePeriod(page, PERIODS[0].ms);
    const quarter = expected(endpoint.records(TOKEN), PERIODS[0].ms);
    await expect.poll(() => shown(page), poll).toEqual(quarter);
    await choosePeriod(page, null);
    const all = expected(endpoint.records(TOKEN), null);
    await expect.poll(() => shown(page), poll).toEqual(all);
    // The periods really differ: 15 min of 1 Hz readings against the whole hour.
    expect(Number(quarter.temperature.points)).toBeGreaterThan(800);
    expect(Number(all.temperature.points)).toBeGreaterThan(Number(quarter.temperature.points) * 3);
    // The sensors, and the health variables a device without flash or Wi-Fi reports.
    const health = ["boots", "buffered_ram", "dropped", "failures", "filtered", "heap_free", "requests", "reset_reason", "uptime"];
    expect(Object.keys(all).sort()).toEqual([...health.map((name) => "agent_" + name), "humidity", "pressure", "temperature"]);
    // A report every 15 minutes: the one at 60:00 is made before that minute's upload, which takes it.
    expect(all.agent_uptime.points).toBe("4");

    await expect
      .poll(async () => page.locator("#params tbody tr").allTextContents(), poll)
      .toEqual(["sample_interval10snot yet", "modeecoyes"]);
    await expect.poll(() => page.locator("[data-records]").getAttribute("data-records"), poll).toBe(String(endpoint.count(TOKEN)));

    // Live: five more virtual minutes arrive while the page is open, on the 15-minute period.
    await choosePeriod(page, PERIODS[0].ms);
    await rig.device.runFor(5 * MINUTE);
    const later = expected(endpoint.records(TOKEN), PERIODS[0].ms);
    expect(later.temperature.time).not.toBe(quarter.temperature.time);
    await expect.poll(() => shown(page), poll).toEqual(later);
    await choosePeriod(page, PERIODS[1].ms);
    await expect.poll(() => shown(page), poll).toEqual(expected(endpoint.records(TOKEN), PERIODS[1].ms));

    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });

    // A phone-sized window: nothing wider than the screen.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, timezoneId: "UTC", locale: "en-US" });
    const small = await phone.newPage();
    small.on("request", (request) => requested.push(request.url()));
    await small.goto(`${url}#period=all`);
    await expect.poll(() => shown(small), poll).toEqual(expected(endpoint.records(TOKEN), null));
    expect(await small.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await small.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });

    // The token is in no URL the pages asked for and nowhere in a page; nothing failed in them.
    expect(requested.length).toBeGreaterThan(5);
    expect(requested.every((u) => u.startsWith(url.slice(0, -1)))).toBe(true);
    expect(requested.filter((u) => u.includes(TOKEN))).toEqual([]);
    expect(await page.content()).not.toContain(TOKEN);
    expect(problems).toEqual([]);
  });
});
