// Entry of the wake-work bundle: the sleep-mode wakes of wake-work.ts behind the command protocol,
// for the xsnap worker.

import { serveCommands } from "../xs/command-host.js";
import { runWakeWork, type WakeWorkSpec } from "./wake-work.js";

serveCommands({ wakes: (spec) => runWakeWork(spec as WakeWorkSpec) });
