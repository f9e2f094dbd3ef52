// The agent's work at each sleep-mode wake, measured on the real XS engine: wake-work.ts bundled
// and run on xsnap, which meters what the agent runs in computrons.

import { fileURLToPath } from "node:url";
import { bundle } from "../xs/bundle.js";
import { command, replyValue } from "../xs/command-host.js";
import { runOnXs } from "../xs/engines.js";
import type { MeasuredWake, WakeWorkSpec } from "./wake-work.js";

const ENTRY = fileURLToPath(new URL("./xs-entry.ts", import.meta.url));

export async function measureWakeWork(spec: WakeWorkSpec): Promise<MeasuredWake[]> {
  const [[step]] = await runOnXs(await bundle(ENTRY), [[{ command: command("wakes", spec) }]]);
  return replyValue<MeasuredWake[]>(step.reply ?? "");
}
