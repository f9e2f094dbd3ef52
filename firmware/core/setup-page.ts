// The set-up pages a phone sees: the form (nearby networks or a typed name, password,
// Device-Token, region, an optional host) and the confirmation. Plain HTML and a few lines of CSS,
// no script and no external resource, so they work in a captive-portal window, without JavaScript
// and offline. Output is ASCII only (anything else as a character reference), so a string's length
// is its byte count on every engine, as the SDK's HTTP server assumes.
// The token and the password are never written into a page; a stored token is only said to exist.

import { DEFAULT_HOST, REGIONS } from "./config.js";
import type { NearbyNetwork, SetupEntry, SetupField, SetupProblems } from "./setup-form.js";

export interface SetupView {
  networks: readonly NearbyNetwork[];
  entry: SetupEntry;
  tokenStored: boolean;
  problems: SetupProblems;
}

/** Text or an attribute value as ASCII HTML. */
export function escapeHtml(text: string): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (ch === "&") out += "&amp;";
    else if (ch === "<") out += "&lt;";
    else if (ch === ">") out += "&gt;";
    else if (ch === '"') out += "&quot;";
    else if (ch === "'") out += "&#39;";
    else if (cp < 0x20 || cp > 0x7e) out += `&#x${cp.toString(16)};`;
    else out += ch;
  }
  return out;
}

const STYLE =
  "body{font:16px/1.4 system-ui,sans-serif;margin:0;padding:1rem;background:#f4f6f8;color:#1d2327}" +
  "main{max-width:26rem;margin:auto;background:#fff;border-radius:.6rem;padding:1rem 1.2rem;box-shadow:0 1px 4px #0002}" +
  "h1{font-size:1.3rem;margin:.2rem 0 .8rem}label{display:block;font-weight:600;margin-top:1rem}" +
  "input,select,button{box-sizing:border-box;width:100%;font:inherit;padding:.6rem;margin-top:.3rem;border:1px solid #98a2ad;border-radius:.4rem;background:#fff}" +
  "button{background:#1565c0;color:#fff;border:0;font-weight:600;margin-top:1.4rem;padding:.8rem}" +
  ".hint{color:#59636e;font-size:.9rem;margin:.3rem 0 0}.error{color:#b3261e;font-size:.9rem;margin:.3rem 0 0}" +
  "[aria-invalid=true]{border-color:#b3261e}.summary{border-left:4px solid #b3261e;padding:.2rem .6rem;background:#fdecea}" +
  "details{margin-top:1rem}summary{cursor:pointer}";

function page(title: string, body: string): string {
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`
  );
}

/** The attributes tying a field to its messages, and the messages themselves. */
function problemsOf(field: SetupField, problems: SetupProblems): { attributes: string; html: string } {
  const list = problems[field] ?? [];
  if (list.length === 0) return { attributes: "", html: "" };
  const id = `${field}-error`;
  return {
    attributes: ` aria-invalid="true" aria-describedby="${id}"`,
    html: `<p class="error" id="${id}">${list.map(escapeHtml).join("<br>")}</p>`,
  };
}

function strength(rssi: number): string {
  return rssi >= -60 ? "strong" : rssi >= -75 ? "good" : "weak";
}

function networkField(view: SetupView): string {
  const { networks, entry, problems } = view;
  const listed = networks.some((n) => n.ssid === entry.ssid);
  const options = networks
    .map((n) => {
      const selected = n.ssid === entry.ssid ? " selected" : "";
      const label = `${n.ssid} (${strength(n.rssi)}${n.secure ? "" : ", open"})`;
      return `<option value="${escapeHtml(n.ssid)}"${selected}>${escapeHtml(label)}</option>`;
    })
    .join("");
  const problem = problemsOf("ssid", problems);
  const typed = listed ? "" : entry.ssid;
  return (
    `<label for="ssid">Wi-Fi network</label><select id="ssid" name="ssid"${problem.attributes}>` +
    `<option value="">${networks.length > 0 ? "Choose a nearby network" : "No network found: type its name below"}</option>${options}</select>` +
    `<label for="ssid_typed">or type its name</label>` +
    `<input id="ssid_typed" name="ssid_typed" value="${escapeHtml(typed)}" maxlength="32" autocapitalize="none" autocomplete="off" spellcheck="false"${problem.attributes}>` +
    '<p class="hint">A typed name wins over the list; type it for a hidden network.</p>' +
    problem.html
  );
}

function regionField(entry: SetupEntry, problems: SetupProblems): string {
  const option = (value: string, label: string): string =>
    `<option value="${escapeHtml(value)}"${entry.region === value ? " selected" : ""}>${escapeHtml(label)}</option>`;
  const regions = Object.keys(REGIONS)
    .map((id) => option(id, `${id} (${REGIONS[id]})`))
    .join("");
  const region = problemsOf("region", problems);
  const host = problemsOf("host", problems);
  return (
    `<label for="region">TagoIO region</label><select id="region" name="region"${region.attributes}>` +
    option("", `Default (${DEFAULT_HOST})`) +
    regions +
    `</select>${region.html}` +
    `<details${entry.host !== "" || host.html !== "" ? " open" : ""}><summary>Another server</summary>` +
    `<label for="host">Host</label><input id="host" name="host" value="${escapeHtml(entry.host)}" placeholder="${DEFAULT_HOST}" autocapitalize="none" autocomplete="off" spellcheck="false"${host.attributes}>` +
    `<p class="hint">A host name or IPv4 address, instead of a region.</p>${host.html}</details>`
  );
}

/** The form, with what the user typed (secrets excepted) and the problems beside their fields. */
export function renderSetupPage(view: SetupView): string {
  const { problems } = view;
  const count = Object.values(problems).reduce((n, list) => n + (list?.length ?? 0), 0);
  const summary =
    count === 0 ? "" : `<p class="summary" role="alert">${count === 1 ? "One field needs" : `${count} fields need`} fixing; nothing was saved.</p>`;
  const password = problemsOf("password", problems);
  const token = problemsOf("token", problems);
  const tokenHint = view.tokenStored
    ? "A token is stored: leave this empty to keep it."
    : "The device's Device-Token, from its page in TagoIO (36 characters).";
  return page(
    "Set up the TagoIO device",
    "<h1>Set up the TagoIO device</h1>" +
      '<p class="hint">Connects this board to your Wi-Fi network and to TagoIO; it restarts once the settings are saved.</p>' +
      summary +
      '<form method="post" action="/" autocomplete="off">' +
      networkField(view) +
      `<label for="password">Wi-Fi password</label><input id="password" name="password" type="password" maxlength="64"${password.attributes}>` +
      `<p class="hint">Empty for an open network.</p>${password.html}` +
      `<label for="token">Device-Token</label><input id="token" name="token" maxlength="64" autocapitalize="none" autocomplete="off" spellcheck="false"` +
      ` placeholder="${view.tokenStored ? "leave empty to keep the stored token" : "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"}"${token.attributes}>` +
      `<p class="hint">${escapeHtml(tokenHint)}</p>${token.html}` +
      regionField(view.entry, problems) +
      "<button>Save and restart</button></form>",
  );
}

/** The confirmation: the settings are stored and the device restarts to join `ssid`. */
export function renderSavedPage(ssid: string): string {
  return page(
    "Saved",
    "<h1>Saved</h1>" +
      `<p>The device restarts now and joins <b>${escapeHtml(ssid)}</b>. This set-up network goes away; ` +
      "the device's readings appear in TagoIO once it is online.</p>" +
      "<p class=\"hint\">If it cannot join: press its reset button, then hold BOOT for 3 seconds to open set-up again.</p>",
  );
}
