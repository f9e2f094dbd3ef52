// Entry of the conformance bundle: the scenarios (the sleep mode's among them), the reporting filters' and the set-up site's cases behind the
// command protocol, for xsnap and Node, and a look at which host globals the engine offers.

import { serveCommands } from "../../tools/xs/command-host.js";
import { runJournalScenario } from "./journal-scenario.js";
import { JOURNAL_SCENARIOS } from "./journal-scenarios.js";
import { MODDABLE_SCENARIOS, runModdableScenario } from "./moddable-scenario.js";
import { REPORTING_CASES, runCase } from "./reporting-cases.js";
import { runScenario } from "./scenario.js";
import { SCENARIOS } from "./scenarios.js";
import { runSettingsScenario, SETTINGS_SCENARIOS } from "./settings-scenario.js";
import { runSetupCase, SETUP_CASES } from "./setup-cases.js";
import { runSleepScenario } from "./sleep-scenario.js";
import { SLEEP_SCENARIOS } from "./sleep-scenarios.js";

/** Globals a portable program might reach for; the device's host provides only the first two. */
const HOST_GLOBALS = ["TextEncoder", "TextDecoder", "console", "setTimeout", "queueMicrotask", "structuredClone"];

serveCommands({
  scenario: (name) => {
    const spec = SCENARIOS[name as string];
    if (spec === undefined) throw new Error(`no scenario named ${String(name)}`);
    return runScenario(spec);
  },
  journal: (name) => {
    const spec = JOURNAL_SCENARIOS[name as string];
    if (spec === undefined) throw new Error(`no journal scenario named ${String(name)}`);
    return runJournalScenario(spec);
  },
  sleep: (name) => {
    const spec = SLEEP_SCENARIOS[name as string];
    if (spec === undefined) throw new Error(`no sleep scenario named ${String(name)}`);
    return runSleepScenario(spec);
  },
  moddable: (name) => {
    const spec = MODDABLE_SCENARIOS[name as string];
    if (spec === undefined) throw new Error(`no Moddable scenario named ${String(name)}`);
    return runModdableScenario(spec);
  },
  reporting: (name) => {
    const c = REPORTING_CASES[name as string];
    if (c === undefined) throw new Error(`no reporting case named ${String(name)}`);
    return runCase(c);
  },
  settings: (name) => {
    const spec = SETTINGS_SCENARIOS[name as string];
    if (spec === undefined) throw new Error(`no settings scenario named ${String(name)}`);
    return runSettingsScenario(spec);
  },
  setup: (name) => {
    const c = SETUP_CASES[name as string];
    if (c === undefined) throw new Error(`no set-up case named ${String(name)}`);
    return runSetupCase(c);
  },
  globals: () => HOST_GLOBALS.map((name) => [name, typeof (globalThis as Record<string, unknown>)[name]]),
});
