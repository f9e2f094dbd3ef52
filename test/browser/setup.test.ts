// The phone set-up page in a real browser: Debian's Chromium, driven by playwright-core, on a
// phone-sized screen, against the page the host simulator serves (serveSetup, the same SetupSite a
// board serves). It fills the form and submits it, and what the store holds is checked; a bad
// token is refused with the core's own message beside the field and nothing stored; the whole
// set-up works with JavaScript disabled; a stored token is never shown back; the page loads
// nothing from anywhere else and fits the screen. The screenshot is docs/setup-page.png.

import { mkdirSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenProblem } from "../../firmware/core/config.js";
import { MemorySettings } from "../../firmware/fakes/memory-settings.js";
import { serveSetup, SIMULATED_NETWORKS, type SetupServer } from "../../host-sim/setup/server.js";
import { chromiumPath } from "../support/chromium.js";
import { OTHER_TOKEN, TOKEN } from "../support/fixtures.js";

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: "en-US" };

let browser: Browser;
const servers: SetupServer[] = [];

beforeAll(async () => {
  mkdirSync("docs", { recursive: true });
  browser = await chromium.launch({ executablePath: chromiumPath() });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(store: MemorySettings): Promise<SetupServer> {
  const server = await serveSetup(store, { port: 0 });
  servers.push(server);
  return server;
}

/** A phone's page on the set-up server, recording every URL it asks for and every page error. */
async function open(server: SetupServer, javaScriptEnabled: boolean): Promise<{ page: Page; context: BrowserContext; requested: string[]; errors: string[] }> {
  const context = await browser.newContext({ ...PHONE, javaScriptEnabled });
  const page = await context.newPage();
  const requested: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => requested.push(request.url()));
  page.on("pageerror", (error) => errors.push(error.message));
  const response = await page.goto(server.url);
  expect(response?.status()).toBe(200);
  return { page, context, requested, errors };
}

async function fill(page: Page, fields: { network?: string; typed?: string; password: string; token: string; region: string }): Promise<void> {
  if (fields.network !== undefined) await page.getByLabel("Wi-Fi network").selectOption(fields.network);
  if (fields.typed !== undefined) await page.getByLabel("or type its name").fill(fields.typed);
  await page.getByLabel("Wi-Fi password").fill(fields.password);
  await page.getByLabel("Device-Token").fill(fields.token);
  await page.getByLabel("TagoIO region").selectOption(fields.region);
}

describe("the set-up page in Chromium on a phone-sized screen", () => {
  it("lists the nearby networks, stores a filled form and confirms it", { timeout: 60_000 }, async () => {
    const store = new MemorySettings();
    const server = await serve(store);
    const { page, context, requested, errors } = await open(server, true);

    const offered = await page.locator("#ssid option").allTextContents();
    expect(offered).toEqual(["Choose a nearby network", "greenhouse (strong)", "barn-2.4GHz (good)", "farm-guest (weak, open)"]);
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.screenshot({ path: "docs/setup-page.png", fullPage: true });

    await fill(page, { network: SIMULATED_NETWORKS[0].ssid, password: "s3cret-pass", token: TOKEN, region: "eu-w1" });
    await page.getByRole("button", { name: "Save and restart" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Saved");
    await server.saved;
    expect(store.toObject()).toEqual({ ssid: "greenhouse", password: "s3cret-pass", token: TOKEN, region: "eu-w1" });
    expect(await page.content()).not.toContain(TOKEN);

    const origin = new URL(server.url).origin;
    expect(requested.every((url) => url.startsWith(origin))).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("refuses a bad token with the core's message beside the field, keeps what was typed but secrets, stores nothing", { timeout: 60_000 }, async () => {
    const store = new MemorySettings();
    const server = await serve(store);
    const { page, context } = await open(server, true);

    await fill(page, { typed: "hidden-net", password: "s3cret-pass", token: "1234-not-a-token", region: "us-e1" });
    await page.getByRole("button", { name: "Save and restart" }).click();
    await page.locator("#token-error").waitFor();
    expect(await page.locator("#token-error").textContent()).toBe(tokenProblem("1234-not-a-token"));
    expect(await page.getByLabel("Device-Token").getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator(".summary").textContent()).toBe("One field needs fixing; nothing was saved.");
    expect(await page.getByLabel("or type its name").inputValue()).toBe("hidden-net");
    expect(await page.getByLabel("TagoIO region").inputValue()).toBe("us-e1");
    expect(await page.getByLabel("Wi-Fi password").inputValue()).toBe("");
    expect(await page.getByLabel("Device-Token").inputValue()).toBe("");
    expect(await page.content()).not.toContain("s3cret-pass");
    expect(store.toObject()).toEqual({});
    expect(store.writes).toBe(0);
    await context.close();
  });

  it("works with JavaScript disabled, and never shows a stored token back", { timeout: 60_000 }, async () => {
    const store = new MemorySettings({ ssid: "barn-2.4GHz", password: "old-password", token: TOKEN, region: "us-e1" });
    const server = await serve(store);
    const { page, context, errors } = await open(server, false);
    // Nothing to switch off: the page carries no script at all.
    expect(await page.locator("script").count()).toBe(0);

    expect(await page.content()).not.toContain(TOKEN);
    expect(await page.getByLabel("Device-Token").inputValue()).toBe("");
    await expect.poll(() => page.getByText("A token is stored: leave this empty to keep it.").count()).toBe(1);
    expect(await page.getByLabel("Wi-Fi network").inputValue()).toBe("barn-2.4GHz");

    // Leaving the token empty keeps it; the new network and password are stored.
    await fill(page, { network: "farm-guest", password: "", token: "", region: "" });
    await page.getByRole("button", { name: "Save and restart" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Saved");
    await server.saved;
    expect(store.toObject()).toEqual({ ssid: "farm-guest", token: TOKEN });

    // A new token replaces it, and is not shown back either.
    const again = await open(server, false);
    await fill(again.page, { password: "", token: OTHER_TOKEN, region: "" });
    await again.page.getByRole("button", { name: "Save and restart" }).click();
    await expect.poll(() => again.page.locator("h1").textContent()).toBe("Saved");
    expect(store.get("token")).toBe(OTHER_TOKEN);
    const reopened = await open(server, false);
    expect(await reopened.page.content()).not.toContain(OTHER_TOKEN);
    expect(errors).toEqual([]);
    await Promise.all([context.close(), again.context.close(), reopened.context.close()]);
  });
});
