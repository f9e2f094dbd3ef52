// The device entry's logic, with every Moddable module injected so it runs under Node in tests:
// read the settings, validate them with the core, build the Moddable ports, start the link,
// the clock synchronisation and the agent. firmware/main.ts only imports the real modules.
// Policy when failing: every configuration problem is traced (one line each, never the token)
// and nothing starts: no sampling, no Wi-Fi retries, no request. Fix the settings and rebuild.
// Settings are mc/config under those stored on the board (`preference`, core/settings-layers.ts).
// With no usable token or Wi-Fi there, boot opens the set-up page (`setup.ts`: an access point on
// a board, a local port on the simulator) and answers `setup: true` with what is missing. On a
// board, holding BOOT in the seconds after boot clears the stored settings (`factory-reset.ts`).

import { Agent, ConfigError } from "../core/agent.js";
import { tokenProblem, validateConfig, type AgentConfig } from "../core/config.js";
import { SettingsLayers } from "../core/settings-layers.js";
import { EARLIEST_TRUSTED_MS } from "../core/timebase.js";
import { formatStatus } from "../core/status.js";
import type { Flash, Logger, Ports, Random, Sleep } from "../ports.js";
import { ModdableClock, type TimeModule } from "./clock.js";
import { ModdableFlash, type FlashModule } from "./flash.js";
import { ModdableHealth, type InstrumentationModule } from "./health.js";
import { ModdableHttpClient, type RequestModule } from "./http.js";
import { watchFactoryReset } from "./factory-reset.js";
import { TraceLogger } from "./logger.js";
import { GatedNetwork } from "./network.js";
import { buildSensors, type SensorHardware } from "./sensors.js";
import { PreferenceSettings, type PreferenceModule } from "./preference-settings.js";
import { checkDevice, deviceHostKeys, readSettings, type HostSettings } from "./settings.js";
import { startSetup, type SetupModules } from "./setup.js";
import { SntpSync, type SntpModule } from "./sntp.js";
import { ModdableTimers, type TimerModule } from "./timers.js";
import { trustSettings, type ResourceModule } from "./trust.js";
import { HOST_LINK, WIFI_BACKOFF, WiFiLink, type NetModule, type WiFiModule } from "./wifi.js";
import { errorMessage } from "../core/text.js";

/** What a build offers beyond the common modules: sensor drivers and, on devices, flash, the reset reason, the BOOT button, a restart and deep sleep. */
export interface Hardware {
  sensors: SensorHardware;
  Flash?: FlashModule;
  resetReason?: () => string;
  /** True while the factory-reset button is held (ESP32: BOOT, GPIO 0; see factory-reset.ts). */
  bootButtonHeld?: () => boolean;
  /** Restarts the board, ending set-up (ESP32: System.restart). */
  restart?: () => void;
  /** Deep sleep, or its emulation beside the journal's partition; undefined where neither can be. */
  sleep?: (context: { flashPartition: string; logger: Logger }) => Sleep | undefined;
}

export interface BootModules {
  /** `mc/config`. */
  config: Readonly<Record<string, unknown>>;
  /** The global `trace`. */
  trace(text: string): void;
  Timer: TimerModule<unknown>;
  Time: TimeModule & { set(seconds: number): void };
  /** Date.now. */
  now(): number;
  Request: RequestModule;
  SecureSocket?: unknown;
  Resource: ResourceModule;
  Net: NetModule;
  WiFi: WiFiModule;
  SNTP: SntpModule;
  Instrumentation: InstrumentationModule;
  hardware: Hardware;
  /** Jitter for backoff and reconnection: Math.random on the device, seeded in tests. */
  random: Random;
  /** The `preference` module: settings stored on the board over mc/config's; without it, mc/config alone. */
  Preference?: PreferenceModule;
  /** What the set-up page needs (`setup.ts`); without it, a board that needs set-up only says so. */
  setup?: SetupModules;
}

/** Where the simulator (host network, no access point) serves the set-up page. */
export const SIMULATOR_SETUP_PORT = 8080;

/** What a board needs before it can run, and lacks: the set-up page asks for it. */
export type SetupNeed = "token" | "wifi";

export type BootResult =
  | { ok: true; agent: Agent; config: AgentConfig; ports: Ports }
  | { ok: false; problems: string[] }
  /** No usable token or Wi-Fi in the merged settings: nothing started; open the set-up access point. */
  | { ok: false; setup: true; missing: SetupNeed[]; problems: string[] };

export function boot(modules: BootModules): BootResult {
  const store = modules.Preference === undefined ? undefined : new PreferenceSettings(modules.Preference);
  const layers = new SettingsLayers(modules.config, store, checkDevice, deviceHostKeys((level) => logger.setLevel(level)));
  const merged = layers.merged();
  const settings = readSettings(merged);
  const host = settings.host;
  const token = typeof merged.token === "string" ? merged.token : undefined;
  const logger = new TraceLogger(modules.trace, host.logLevel, token);
  for (const note of layers.ignored) logger.log("warn", `settings: ${note}`);
  // Keys only: a stored value may be a secret.
  const stored = layers.storedKeys();
  if (stored.length > 0) logger.log("info", `settings: stored on the board: ${stored.join(", ")}`);

  const validation = validateConfig(settings.agent);
  for (const warning of validation.warnings) logger.log("warn", `config: ${warning}`);

  const timers = new ModdableTimers(modules.Timer, logger);
  const clock = new ModdableClock(modules.Time, modules.now, host.clock === "host");
  const sensors = buildSensors(host.sensors, modules.hardware.sensors, clock);
  const trust = trustSettings(validation.ok ? validation.config.verifyTls : true, host.customCa, modules.Resource);

  const problems = [...settings.problems, ...(validation.ok ? [] : validation.problems), ...sensors.problems];
  if (!trust.ok) problems.push(trust.problem);
  const hardware = modules.hardware;
  if (store !== undefined && hardware.bootButtonHeld !== undefined && hardware.restart !== undefined) {
    watchFactoryReset(hardware.bootButtonHeld, store, hardware.restart, timers, logger);
  }
  const missing = setupNeeds(merged, host);
  if (missing.length > 0) {
    for (const problem of problems) logger.log("warn", `config: ${problem}`);
    const setupModules = modules.setup;
    const can = setupModules !== undefined && store !== undefined;
    const then = can ? "the board opens its set-up page" : "this build has no set-up page or settings store: give them to mcconfig";
    logger.log("warn", `agent: not started: no usable ${missing.join(" or ")}; ${then}`);
    if (can) {
      startSetup(setupModules, store, { network: host.network, port: host.network === "wifi" ? 80 : SIMULATOR_SETUP_PORT, logger, timers });
    }
    return { ok: false, setup: true, missing, problems };
  }
  if (problems.length > 0 || !validation.ok || !trust.ok) return refuse(logger, problems);
  const config = validation.config;

  const random = modules.random;
  const wifi =
    host.wifi === undefined ? undefined : new WiFiLink(modules, timers, random, logger, { credentials: host.wifi, ...WIFI_BACKOFF });
  const link = wifi ?? HOST_LINK;
  const ports: Ports = {
    clock,
    timers,
    http: new ModdableHttpClient(modules, timers, trust.secure),
    sensors: sensors.sensors,
    network: new GatedNetwork(link, clock, config.https),
    logger,
    random,
    health: new ModdableHealth(modules.Net, modules.Instrumentation, modules.hardware.resetReason),
  };
  const flash = openFlash(modules.hardware.Flash, host.flashPartition, logger);
  if (flash !== undefined) ports.flash = flash;
  const sleep = modules.hardware.sleep?.({ flashPartition: host.flashPartition, logger });
  if (host.sleepAfterMs > 0 && sleep === undefined) return refuse(logger, ["sleepAfterMs: this build has no deep sleep (the simulator emulates it only beside its flash file)"]);
  let agent: Agent;
  // The RTC ran through the deep sleep; it reads 2024 or later only if SNTP set it in an earlier boot.
  if (sleep?.wakeReason() === "timer" && modules.now() >= EARLIEST_TRUSTED_MS) clock.synced();
  if (sleep !== undefined) {
    // The last status before RAM is lost: a serial console's (and firmware:sim's) account of the wake.
    ports.sleep = {
      wakeReason: () => sleep.wakeReason(),
      sleep: (ms) => {
        logger.log("info", `status: ${formatStatus(agent.snapshot(), clock.monotonicMs())}`);
        sleep.sleep(ms);
      },
    };
  }

  try {
    agent = new Agent(config, ports, layers);
  } catch (e) {
    if (e instanceof ConfigError) return refuse(logger, e.problems);
    throw e;
  }

  const network = host.wifi === undefined ? "host" : `wifi "${host.wifi.ssid}"`;
  const time = host.clock === "sntp" ? `sntp ${host.sntpHosts.join(", ")}` : "host";
  const wake = sleep === undefined ? "" : `; woke by ${sleep.wakeReason()}`;
  logger.log("info", `boot: sensors ${sensors.sensors.map((s) => s.name).join(", ")}; network ${network}; clock ${time}${wake}`);
  // Sleep mode brings the radio up only on the wakes that upload (Network.up).
  if (config.mode !== "sleep") wifi?.start();
  if (host.clock === "sntp") {
    const sntp = { SNTP: modules.SNTP, setTime: (seconds: number) => modules.Time.set(seconds) };
    new SntpSync(sntp, clock, link, timers, random, logger, host.sntpHosts).start();
  }
  agent.start();
  if (host.statusIntervalMs > 0) traceStatus(agent, ports, host.statusIntervalMs);
  if (host.sleepAfterMs > 0 && ports.sleep !== undefined) sleepWhenQuiet(agent, ports.timers, ports.sleep, host.sleepAfterMs, config.sampleIntervalMs);
  return { ok: true, agent, config, ports };
}

/**
 * After `afterMs`, once nothing is on the wire, stops the agent and sleeps `sleepMs`: the Sleep
 * port's check (sleepAfterMs) until the agent's sleep mode calls the port itself.
 */
function sleepWhenQuiet(agent: Agent, timers: Ports["timers"], sleep: Sleep, afterMs: number, sleepMs: number): void {
  const check = (): void => {
    const s = agent.snapshot();
    if (s.state === "uploading" || s.inFlight > 0) {
      timers.set(check, 1000);
      return;
    }
    agent.stop();
    sleep.sleep(sleepMs);
  };
  timers.set(check, afterMs);
}

/** Traces the agent's status line every `everyMs`, as a serial console or xsbug shows it. */
function traceStatus(agent: Agent, ports: Ports, everyMs: number): void {
  const tick = (): void => {
    ports.logger.log("info", `status: ${formatStatus(agent.snapshot(), ports.clock.monotonicMs())}`);
    ports.timers.set(tick, everyMs);
  };
  ports.timers.set(tick, everyMs);
}

/** A token that is missing or malformed, Wi-Fi without a network name. */
function setupNeeds(merged: Readonly<Record<string, unknown>>, host: HostSettings): SetupNeed[] {
  const missing: SetupNeed[] = [];
  if (tokenProblem(merged.token) !== undefined) missing.push("token");
  if (host.network === "wifi" && host.wifi === undefined) missing.push("wifi");
  return missing;
}

function refuse(logger: Logger, problems: string[]): BootResult {
  for (const problem of problems) logger.log("error", `config: ${problem}`);
  const count = `${problems.length} configuration problem${problems.length === 1 ? "" : "s"}`;
  logger.log("error", `agent: not started (${count}); nothing is sampled or uploaded until the settings are fixed and the firmware rebuilt`);
  return { ok: false, problems };
}

/** The journal's partition; a build without one runs without flash (readings live in RAM only). */
function openFlash(FlashClass: FlashModule | undefined, partition: string, logger: Logger): Flash | undefined {
  if (FlashClass === undefined) return undefined;
  // Asked first where the module can tell: a debug build reports every throw, caught or not.
  if (FlashClass.has?.(partition) === false) {
    logger.log("info", `flash: no partition "${partition}"; running without flash`);
    return undefined;
  }
  try {
    const flash = new ModdableFlash(new FlashClass(partition));
    logger.log("info", `flash: partition "${partition}", ${flash.sectorCount} sectors of ${flash.sectorSize} bytes`);
    return flash;
  } catch (e) {
    logger.log("warn", `flash: no partition "${partition}" (${errorMessage(e)}); running without flash`);
    return undefined;
  }
}
