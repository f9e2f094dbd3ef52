// A panel of variables, a card each: the newest value with its unit and time, and for a variable
// whose newest value is a number, its chart over the chosen period. Cards are kept across polls
// (their charts hold the readings received so far) and dropped together when the device or the
// period changes.

import type { Latest, Series } from "../view.js";
import { SeriesChart } from "./chart.js";
import { h, time } from "./dom.js";

interface Card {
  value: HTMLElement;
  unit: HTMLElement;
  when: HTMLElement;
  chart?: SeriesChart;
}

export class CardPanel {
  private readonly cards = new Map<string, Card>();

  constructor(
    private readonly container: HTMLElement,
    /** Said when the panel has no variable. */
    private readonly empty: string,
    /** The charts' line colour, #rrggbb. */
    private readonly color: string,
  ) {
    this.clear();
  }

  /** Drops every card and chart. */
  clear(): void {
    for (const card of this.cards.values()) card.chart?.destroy();
    this.cards.clear();
    this.container.replaceChildren(h("p", { class: "empty" }, this.empty));
  }

  /** Shows the newest values, adds the new readings and draws each chart over [startMs, endMs]. */
  update(latest: readonly Latest[], series: Readonly<Record<string, Series>>, startMs: number, endMs: number): void {
    for (const reading of latest) {
      const card = this.cards.get(reading.variable) ?? this.add(reading);
      card.value.textContent = String(reading.value);
      card.unit.textContent = reading.unit ?? "";
      card.when.replaceChildren(time(reading.time));
      if (card.chart === undefined) continue;
      // Own keys only: a variable may be called "constructor".
      if (Object.hasOwn(series, reading.variable)) card.chart.add(series[reading.variable]);
      card.chart.show(startMs, endMs);
    }
  }

  private add(reading: Latest): Card {
    if (this.cards.size === 0) this.container.replaceChildren();
    const value = h("span", { class: "value" });
    const unit = h("span", { class: "unit" });
    const when = h("p", { class: "when" });
    const article = h(
      "article",
      { class: "card", "data-variable": reading.variable },
      h("h3", {}, reading.variable),
      h("p", { class: "latest" }, value, " ", unit),
      when,
    );
    const card: Card = { value, unit, when };
    this.container.append(article);
    if (typeof reading.value === "number") {
      const holder = h("div", { class: "chart", role: "img", "aria-label": `${reading.variable} over the period` });
      article.append(holder);
      card.chart = new SeriesChart(holder, reading.variable, this.color);
    } else {
      article.append(h("p", { class: "note" }, "Not a number: no chart."));
    }
    this.cards.set(reading.variable, card);
    return card;
  }
}
