// `npm run tago-local:param -- key=value [key=value...] [--data-dir .tago-local]`: sets device
// parameters on a running local endpoint (`npm run tago-local` or `npm start`) the way TagoIO's
// account side does: `GET /info` with the device's token for its id, then
// `POST /device/{id}/params` with the local Account-Token, over TLS against the local CA. The
// endpoint's address, the tokens and the CA come from the data dir; no token is printed.
// Exit codes: 0 set; 1 the endpoint refused or is not running; 2 bad arguments.

import { Command, CommanderError, InvalidArgumentError } from "commander";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join, resolve } from "node:path";
import { errorMessage } from "../../firmware/core/text.js";
import { ACCOUNT_TOKEN_FILE, TOKEN_FILE } from "../local-identity.js";
import { URL_FILE } from "./server.js";

function setting(text: string): { key: string; value: string } {
  const at = text.indexOf("=");
  if (at < 1) throw new InvalidArgumentError("must look like key=value.");
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

const program = new Command("tago-local:param")
  .description("Set device parameters on a running local endpoint, as TagoIO's account API does (POST /device/{id}/params).")
  .argument("<key=value...>", "parameters, e.g. sampleIntervalMs=5000", (text: string, previous: Array<{ key: string; value: string }> = []) => [...previous, setting(text)])
  .option("-d, --data-dir <dir>", "the endpoint's data dir", ".tago-local")
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2));
program.parse();
const params = program.processedArgs[0] as Array<{ key: string; value: string }>;
const dataDir = resolve(program.opts<{ dataDir: string }>().dataDir);

function read(name: string, what: string): string {
  try {
    return readFileSync(join(dataDir, name), "utf8").trim();
  } catch {
    console.error(`tago-local:param: no ${what} in ${dataDir} (${name}); is the endpoint running with --data-dir ${dataDir}?`);
    process.exit(1);
  }
}

const url = new URL(read(URL_FILE, "running endpoint"));
const ca = read("ca.pem", "CA");

function call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: unknown }> {
  return new Promise((done, fail) => {
    const req = request({ host: url.hostname, port: url.port, path, method, ca, headers: { ...headers, "Content-Type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        try {
          done({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          done({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    req.on("error", fail);
    req.end(body);
  });
}

try {
  const info = await call("GET", "/info", { "Device-Token": read(TOKEN_FILE, "device token") });
  const id = (info.body as { result?: { id?: unknown } }).result?.id;
  if (info.status !== 200 || typeof id !== "string") throw new Error(`GET /info answered ${info.status}`);
  const set = await call("POST", `/device/${id}/params`, { Authorization: read(ACCOUNT_TOKEN_FILE, "account token") }, JSON.stringify(params));
  if (set.status !== 200) throw new Error(`POST /device/${id}/params answered ${set.status}: ${JSON.stringify(set.body)}`);
  for (const p of params) console.log(`${p.key}=${p.value}: set on device ${id}, unread until the device takes it`);
} catch (e) {
  console.error(`tago-local:param: ${errorMessage(e)}`);
  process.exit(1);
}
