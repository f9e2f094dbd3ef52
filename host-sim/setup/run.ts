// `npm start -- --setup`: the set-up page a board shows from its access point, served on this
// machine, storing what is submitted in a settings file. Ends when good settings are stored (where
// a board restarts into normal operation) or at Ctrl-C.

import { errorMessage } from "../../firmware/core/text.js";
import type { SettingsStore } from "../../firmware/ports.js";
import { serveSetup } from "./server.js";

export interface SetupRun {
  store: SettingsStore;
  /** Where the store keeps its values, as the user is told. */
  storeName: string;
  port: number;
}

/** Exit code: 0 once settings are stored, 1 when the server cannot start, 130 when interrupted. */
export async function runSetup(run: SetupRun): Promise<number> {
  let server;
  try {
    server = await serveSetup(run.store, { port: run.port });
  } catch (e) {
    process.stderr.write(`error: the set-up page could not listen on port ${run.port}: ${errorMessage(e)} (choose another with --setup-port)\n`);
    return 1;
  }
  process.stderr.write(`Set-up page: ${server.url} (what a phone sees on the board's access point; settings go to ${run.storeName})\n`);
  const interrupted = new Promise<number>((resolve) => process.once("SIGINT", () => resolve(130)));
  const code = await Promise.race([server.saved.then(() => 0), interrupted]);
  await server.close();
  process.stderr.write(code === 0 ? `Settings stored in ${run.storeName}; a board would restart now.\n` : "Set-up stopped; nothing more stored.\n");
  return code;
}
