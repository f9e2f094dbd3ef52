// Entry of the benchmark bundle: the workloads behind the command protocol, for the xsnap worker.

import { serveCommands } from "../tools/xs/command-host.js";
import { holdSlots, runDevice, runFixture, type RunOptions } from "./workloads.js";

serveCommands({
  run: (options) => runDevice(options as RunOptions),
  fixture: (seconds) => runFixture(seconds as number),
  slots: (n) => holdSlots(n as number),
});
