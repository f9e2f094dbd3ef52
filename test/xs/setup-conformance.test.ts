// The set-up site on the real XS engine: every case of setup-cases.ts runs on xsnap and on Node from
// one bundle. Both must answer byte for byte alike and store the same, and what they answer and
// store must be what the case expects: the core's own messages beside the fields, nothing stored
// from a bad form, only changed values written, and never a token in a page.

import { beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../tools/xs/bundle.js";
import { runCasesOnBoth } from "../../tools/xs/engines.js";
import { tokenProblem, validateConfig } from "../../firmware/core/config.js";
import { escapeHtml } from "../../firmware/core/setup-page.js";
import { SETUP_CASES, SETUP_OTHER_TOKEN, SETUP_TOKEN, type SetupStep } from "./setup-cases.js";

let runs: Record<string, { xs: SetupStep[]; node: SetupStep[] }> = {};

beforeAll(async () => {
  runs = await runCasesOnBoth<SetupStep[]>(await bundle("test/xs/xs-entry.ts"), "setup", Object.keys(SETUP_CASES));
}, 120_000);

/** The core's message for a raw configuration's field, as validateConfig words it. */
function coreProblem(raw: Record<string, unknown>, field: string): string {
  const result = validateConfig(raw);
  const found = result.ok ? undefined : result.problems.find((p) => p.startsWith(`${field}:`));
  if (found === undefined) throw new Error(`validateConfig found nothing wrong with ${field}`);
  return found;
}

/** The text of the messages shown beside `field`. */
function shownBeside(page: string, field: string): string | undefined {
  return new RegExp(`<p class="error" id="${field}-error">(.*?)</p>`).exec(page)?.[1];
}

/** Both engines' steps, checked equal; Node's returned for the case's own expectations. */
function steps(name: string): SetupStep[] {
  const { xs, node } = runs[name];
  expect(xs).toEqual(node);
  for (const step of xs) {
    expect(step.body).toMatch(/^[\x09\x0a\x0d\x20-\x7e]*$/);
    expect(step.body).not.toContain(SETUP_TOKEN);
    expect(step.body).not.toContain(SETUP_OTHER_TOKEN);
  }
  return xs;
}

describe("the set-up site on XS and on Node", () => {
  it("serves the form, stores a good submission and asks for a restart", () => {
    const [form, saved] = steps("a first set-up");
    expect(form).toMatchObject({ status: 200, restart: false, stored: {}, writes: 0 });
    expect(form.headers).toContainEqual(["Content-Type", "text/html; charset=utf-8"]);
    // One entry per network, strongest first; a hidden one is not listed; non-ASCII as references.
    const options = [...form.body.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);
    expect(options.slice(0, 3)).toEqual(["", "greenhouse", "Caf&#xe9; &#x2615;"]);
    expect(form.body).toContain("(36 characters)");
    expect(saved).toMatchObject({ status: 200, restart: true, writes: 4 });
    expect(saved.stored).toEqual({ ssid: "greenhouse", password: "s3cret-pass", token: SETUP_TOKEN, region: "eu-w1" });
    expect(saved.body).toContain("joins <b>greenhouse</b>");
  });

  it("shows every problem beside its field in the core's words, keeps what was typed but secrets, stores nothing", () => {
    const [step] = steps("every field wrong");
    expect(step).toMatchObject({ status: 400, restart: false, stored: {}, writes: 0 });
    expect(shownBeside(step.body, "token")).toBe(escapeHtml(tokenProblem("not-a-token") ?? ""));
    expect(shownBeside(step.body, "region")).toBe(escapeHtml(coreProblem({ region: "mars" }, "region")));
    expect(shownBeside(step.body, "ssid")).toBe("ssid: missing; choose a nearby network or type its name");
    expect(shownBeside(step.body, "password")).toMatch(/^password: not a WPA2 password .*got 5 characters/);
    expect(step.body).toContain("4 fields need fixing; nothing was saved.");
    expect(step.body).not.toContain("short");
    expect(step.body).not.toContain("not-a-token");
    expect(step.body).toContain('id="token" name="token"');
  });

  it("takes a typed network over the list, removes what is emptied, and says a token is stored without showing it", () => {
    const [form, saved] = steps("a typed network, a custom host, an open network");
    expect(form.body).toContain('id="ssid_typed" name="ssid_typed" value="old"');
    expect(form.body).toContain('<option value="us-e1" selected>');
    expect(form.body).toContain("A token is stored: leave this empty to keep it.");
    expect(saved).toMatchObject({ status: 200, restart: true });
    expect(saved.stored).toEqual({ ssid: "Caf\u00e9 \u2615", token: SETUP_TOKEN, host: "tago.example.com" });
    // ssid and host set, password and region removed: the token, unchanged, is not written.
    expect(saved.writes).toBe(4);
  });

  it("writes nothing when nothing changed, and only the token when only the token did", () => {
    const [same, replaced] = steps("a stored token kept, a new one replacing it");
    expect(same).toMatchObject({ status: 200, restart: true, writes: 0 });
    expect(replaced).toMatchObject({ status: 200, restart: true, writes: 1 });
    expect(replaced.stored.token).toBe(SETUP_OTHER_TOKEN);
  });

  it("reports a field it could not decode and a region that disagrees with the host", () => {
    const [step, typed] = steps("region and host disagree, broken encoding");
    expect(step).toMatchObject({ status: 400, stored: {}, writes: 0 });
    expect(shownBeside(step.body, "password")).toBe("password: could not be read (broken form encoding); type it again");
    expect(shownBeside(step.body, "region")).toBe(escapeHtml(coreProblem({ region: "eu-w1", host: "api.tago.io" }, "region")));
    // A broken typed network name is reported beside the network; a field the form lacks is ignored.
    expect(typed).toMatchObject({ status: 400, stored: {}, writes: 0 });
    expect(shownBeside(typed.body, "ssid")).toBe("ssid: could not be read (broken form encoding); type it again");
    expect(typed.body).toContain("One field needs fixing; nothing was saved.");
  });

  it("sends captive-portal probes to the form and refuses other routes", () => {
    const [android, apple, windows, put, elsewhere] = steps("captive-portal probes and other routes");
    for (const probe of [android, apple, windows]) {
      expect(probe).toMatchObject({ status: 302, headers: [["Location", "http://192.168.4.1/"]], restart: false });
    }
    expect(put.status).toBe(405);
    expect(put.headers).toContainEqual(["Allow", "GET, POST"]);
    expect(elsewhere.status).toBe(404);
  });
});
