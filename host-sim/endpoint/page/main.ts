// The dashboard page: builds its frame, polls the endpoint's view route (view.ts) and shows what it
// answers: the devices, the chosen device's readings (sensor variables and `agent_*` health
// variables in panels of their own, a chart each over the chosen period) and its parameters.
// Polling, not server-sent events: readings reach the endpoint in batches (an upload a minute by
// default, thousands of readings a second in a virtual run), so a poll every two seconds is as live
// as a reader can see, coalesces bursts by itself, keeps no connection open per tab on the server,
// and carries only what arrived since the last poll (`after`). Hidden tabs do not poll. The device
// (its public id, never its token) and the period are kept in the location's hash, so a reload
// keeps them.

import { CardPanel } from "./cards.js";
import { h, time } from "./dom.js";
import { renderParams } from "./params.js";
import { HEALTH_PREFIX, PERIODS, periodStart, type DeviceSummary, type ViewAnswer, VIEW_PATH } from "../view.js";

const POLL_MS = 2000;
const DEFAULT_PERIOD = PERIODS[1].ms;

interface Choice {
  /** null: the first device. */
  device: string | null;
  /** null: everything stored. */
  period: number | null;
}

/** Thrown for an answer other than 200, with its status. */
class AnswerError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function readHash(): Choice {
  const params = new URLSearchParams(location.hash.slice(1));
  const period = params.get("period");
  const known = PERIODS.find((p) => String(p.ms ?? "all") === period);
  return { device: params.get("device"), period: known === undefined ? DEFAULT_PERIOD : known.ms };
}

function hashOf(choice: Choice): string {
  const params = new URLSearchParams({ period: String(choice.period ?? "all") });
  if (choice.device !== null) params.set("device", choice.device);
  return `#${params}`;
}

async function fetchView(choice: Choice, after: number): Promise<ViewAnswer> {
  const query = new URLSearchParams({ after: String(after) });
  if (choice.device !== null) query.set("device", choice.device);
  if (choice.period !== null) query.set("period", String(choice.period));
  const response = await fetch(`${VIEW_PATH}?${query}`, { cache: "no-store" });
  if (response.status !== 200) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new AnswerError(response.status, body.message ?? `answered ${response.status}`);
  }
  return (await response.json()) as ViewAnswer;
}

class Page {
  private choice = readHash();
  /** Readings up to this mark are shown; 0 after a change of device or period. */
  private mark = 0;
  /** Bumped at every change of device or period: an answer to an older one is dropped. */
  private generation = 0;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private deviceKeys = "";

  private readonly select = h("select", { id: "device", "aria-label": "Device" });
  private readonly periods = PERIODS.map((p) => h("button", { type: "button", "data-period": String(p.ms ?? "all") }, p.label));
  private readonly status = h("p", { class: "status", role: "status", "data-state": "loading" }, "Loading…");
  private readonly info = h("dl", { class: "info" });
  private readonly sensors: CardPanel;
  private readonly health: CardPanel;
  private readonly params = h("div", { id: "params" });

  constructor() {
    const sensors = h("div", { id: "sensors", class: "cards" });
    const health = h("div", { id: "health", class: "cards" });
    this.sensors = new CardPanel(sensors, "No readings yet.", "#2563eb");
    this.health = new CardPanel(health, `No health variables (${HEALTH_PREFIX}…) yet.`, "#c2410c");
    const panel = (title: string, id: string, body: HTMLElement): HTMLElement =>
      h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), body);
    document.body.replaceChildren(
      h(
        "header",
        { class: "bar" },
        h("h1", {}, "tago-local"),
        this.select,
        h("div", { class: "periods", role: "group", "aria-label": "Period" }, ...this.periods),
        this.status,
      ),
      h(
        "main",
        {},
        panel("Device", "device-title", this.info),
        panel("Readings", "sensors-title", sensors),
        panel("Device health", "health-title", health),
        panel("Parameters", "params-title", this.params),
      ),
    );
    this.select.addEventListener("change", () => this.choose({ ...this.choice, device: this.select.value }));
    this.periods.forEach((button, i) => button.addEventListener("click", () => this.choose({ ...this.choice, period: PERIODS[i].ms })));
    window.addEventListener("hashchange", () => {
      if (location.hash !== hashOf(this.choice)) this.choose(readHash());
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.wake();
    });
    this.showPeriod();
  }

  async run(): Promise<never> {
    for (;;) {
      const generation = this.generation;
      let again = false;
      try {
        const answer = await fetchView(this.choice, this.mark);
        if (generation === this.generation) again = this.render(answer);
        this.setStatus("live", `Live: updated ${new Date().toLocaleTimeString()}`);
      } catch (error) {
        if (error instanceof AnswerError && error.status === 404 && this.choice.device !== null) {
          // The device in the hash is not on this endpoint: show the first one.
          this.choose({ ...this.choice, device: null });
          continue;
        }
        this.setStatus("error", `Cannot reach the endpoint (trying again every ${POLL_MS / 1000} s): ${(error as Error).message}`);
      }
      if (!again) await this.sleep(document.hidden ? null : POLL_MS);
    }
  }

  private choose(choice: Choice): void {
    this.choice = choice;
    history.replaceState(null, "", hashOf(choice));
    this.generation++;
    this.mark = 0;
    this.sensors.clear();
    this.health.clear();
    this.showPeriod();
    this.setStatus("loading", "Loading…");
    this.wake();
  }

  /** Shows an answer; true when more readings wait to be fetched at once. */
  private render(answer: ViewAnswer): boolean {
    this.showDevices(answer.devices);
    const view = answer.view;
    if (view === undefined) {
      this.info.replaceChildren(h("p", { class: "empty" }, "No device on this endpoint."));
      return false;
    }
    if (this.choice.device !== view.device.id) {
      this.choice = { ...this.choice, device: view.device.id };
      history.replaceState(null, "", hashOf(this.choice));
    }
    this.select.value = view.device.id;
    this.showInfo(view.device);
    if (view.newestMs !== null) {
      const start = periodStart(view.newestMs, this.choice.period);
      const isHealth = (v: { variable: string }): boolean => v.variable.startsWith(HEALTH_PREFIX);
      this.sensors.update(view.latest.filter((v) => !isHealth(v)), view.series, start, view.newestMs);
      this.health.update(view.latest.filter(isHealth), view.series, start, view.newestMs);
    }
    renderParams(this.params, view.params);
    this.mark = view.mark;
    return !view.complete;
  }

  private showDevices(devices: readonly DeviceSummary[]): void {
    const keys = JSON.stringify(devices.map((d) => [d.id, d.name]));
    if (keys === this.deviceKeys) return;
    this.deviceKeys = keys;
    this.select.replaceChildren(...devices.map((d) => h("option", { value: d.id }, `${d.name} (${d.id.slice(-6)})`)));
    this.select.disabled = devices.length < 2;
  }

  private showInfo(device: DeviceSummary): void {
    const row = (term: string, detail: Node | string): HTMLElement => h("div", {}, h("dt", {}, term), h("dd", {}, detail));
    this.info.replaceChildren(
      row("Name", device.name),
      row("Id", h("code", {}, device.id)),
      row("State", device.active ? "active" : "deactivated"),
      row("Last input", device.lastInput === null ? "never" : time(device.lastInput)),
      row("Records", h("span", { "data-records": String(device.records) }, device.records.toLocaleString())),
    );
  }

  private showPeriod(): void {
    this.periods.forEach((button, i) => button.setAttribute("aria-pressed", String(PERIODS[i].ms === this.choice.period)));
  }

  private setStatus(state: string, text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }

  /** Ends the current sleep, or the next one before it starts. */
  private wake(): void {
    if (this.wakeUp === null) this.woken = true;
    else this.wakeUp();
  }

  /** Waits `ms`, or until woken (only that when null). */
  private sleep(ms: number | null): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === null ? undefined : setTimeout(() => done(), ms);
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
    });
  }
}

void new Page().run();
