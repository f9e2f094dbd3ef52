// The device entry: imports the real Moddable modules, installs TextDecoder/TextEncoder as
// globals where the engine lacks them (the core decodes response bodies with TextDecoder) and
// hands everything to boot(), which validates the configuration and starts the agent or traces
// every problem and starts nothing. The logic lives in moddable/boot.ts, tested under Node.
// mcconfig compiles each module on its own: the core's globals and the sensor-driver
// declarations reach every module through the manifest's TypeScript `types` (manifests/agent.json).

import config from "mc/config";
import DNSServer from "dns/server";
import { Request, Server } from "http";
import Instrumentation from "instrumentation";
import Net from "net";
import Preference from "preference";
import Resource from "Resource";
import SecureSocket from "securesocket";
import SNTP from "sntp";
import TextDecoder from "text/decoder";
import TextEncoder from "text/encoder";
import Time from "time";
import Timer from "timer";
import WiFi from "wifi";
import { boot } from "./moddable/boot.js";
import hardware from "./moddable/hardware.js";

const globals = globalThis as Record<string, unknown>;
globals.TextDecoder ??= TextDecoder;
globals.TextEncoder ??= TextEncoder;

boot({
  config,
  trace: (text) => trace(text),
  Timer,
  Time,
  now: () => Date.now(),
  Request,
  SecureSocket,
  Resource,
  Net,
  WiFi,
  SNTP,
  Instrumentation,
  hardware,
  random: { next: () => Math.random() },
  Preference,
  setup: { WiFi, Net, Server, DNSServer, restart: hardware.restart },
});
