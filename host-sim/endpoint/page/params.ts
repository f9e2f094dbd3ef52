// The device's configuration parameters, as the endpoint keeps them, read-only: the agent does not
// take remote configuration yet. Editing them belongs here once it does.

import type { ParamView } from "../view.js";
import { h } from "./dom.js";

export function renderParams(container: HTMLElement, params: readonly ParamView[]): void {
  const how = h("p", { class: "note" }, "Read-only here; set with ", h("code", {}, "npm run tago-local -- --param key=value"), ".");
  if (params.length === 0) {
    container.replaceChildren(h("p", { class: "empty" }, "No parameters."), how);
    return;
  }
  const rows = params.map((p) =>
    h("tr", { "data-key": p.key }, h("td", {}, p.key), h("td", {}, p.value), h("td", {}, p.sent ? "yes" : "not yet")),
  );
  const head = h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Value"), h("th", { scope: "col" }, "Read by the device"));
  container.replaceChildren(h("table", {}, h("thead", {}, head), h("tbody", {}, ...rows)), how);
}
