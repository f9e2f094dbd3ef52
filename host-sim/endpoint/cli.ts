// `npm run tago-local`: the local TagoIO-compatible endpoint from the command line. Prints where it
// listens, the CA files to trust, the names the server certificate covers and the device token it
// accepts (redacted, like every token; the local device's is kept whole in a file of the data dir),
// the dashboard's address and a curl command reading the (first) device's data, then one line per
// API request unless --quiet.
// Listening beyond loopback (--listen) warns on stderr and lists the LAN URLs. The devices can be
// made to answer as TagoCore does for conditions of the whole device: started deactivated (with
// the curl line that activates them), mutable with a record limit, or immutable with a retention
// window. Bad options exit with code 2, their message never showing a token whole; Ctrl-C or
// SIGTERM close it cleanly.

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import { redactToken, redactTokens, tokenProblem } from "../../firmware/core/config.js";
import { ACCOUNT_TOKEN_FILE, CURL_HEADERS_FILE, curlCommand, loadOrCreateToken, TOKEN_FILE } from "../local-identity.js";
import { DEFAULT_NAMES, LeafNameError, lanNotes, leafNames, parseLeafName } from "./names.js";
import { PLANS } from "./ratelimit.js";
import type { RequestLogEntry } from "./server.js";
import { errorMessage } from "../../firmware/core/text.js";

const DEFAULT_PORT = 8443;

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new InvalidArgumentError("must be a whole number from 0 to 65535.");
  return n;
}

/** Collected unchecked: commander would quote a refused value whole; they are checked after parsing. */
function token(text: string, previous: string[]): string[] {
  return [...previous, text];
}

function param(text: string, previous: Array<{ key: string; value: string }>): Array<{ key: string; value: string }> {
  const at = text.indexOf("=");
  if (at < 1) throw new InvalidArgumentError("must look like key=value.");
  return [...previous, { key: text.slice(0, at), value: text.slice(at + 1) }];
}

function dataLimit(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new InvalidArgumentError("must be a whole number of records from 1 (TagoCore's is 50000).");
  return n;
}

/** Whole days: `1d` or `1`. */
function retention(text: string): number {
  const m = /^(\d+)d?$/.exec(text);
  if (m === null || Number(m[1]) < 1) throw new InvalidArgumentError("must be whole days from 1, like 1d or 30d.");
  return Number(m[1]);
}

function name(text: string, previous: string[]): string[] {
  try {
    parseLeafName(text);
  } catch (error) {
    if (error instanceof LeafNameError) throw new InvalidArgumentError(`${error.reason}.`);
    throw error;
  }
  return [...previous, text];
}

/** An IP address (IPv6 with or without brackets) or a host name; returned without brackets. */
function listenAddress(text: string): string {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (isIP(bare) !== 0) return bare;
  try {
    parseLeafName(bare);
  } catch {
    throw new InvalidArgumentError("must be an IP address (like 0.0.0.0 or 192.168.1.20) or a host name.");
  }
  return bare;
}

function logLine(e: RequestLogEntry): string {
  const records = e.records === undefined ? "" : ` records=${e.records}`;
  return `${new Date().toISOString()} ${e.method} ${e.path} ${e.status}${records}`;
}

const program = new Command("tago-local")
  .description(
    "A local TagoIO-compatible HTTPS endpoint for development and tests; works offline. It serves " +
      "POST and GET /data, GET /info, GET /device/params and PUT /device/params/{id} with TagoIO's " +
      "envelopes, validation and per-minute rate limits, keeps everything in SQLite in the data dir, and " +
      "shows it on a dashboard at / (to this machine only).",
  )
  .addOption(
    new Option("-p, --port <port>", "port to listen on; 0 picks a free one").argParser(port).default(DEFAULT_PORT),
  )
  .addOption(
    new Option(
      "--listen <address>",
      "address to listen on; 0.0.0.0 (or ::) serves the LAN too, so a board on the network can connect " +
        "(it is then reachable by anyone there)",
    )
      .argParser(listenAddress)
      .default("127.0.0.1"),
  )
  .addOption(
    new Option(
      "--name <ip-or-dns>",
      "an extra address or DNS name for the server certificate (it always covers 127.0.0.1 and localhost), " +
        "like this machine's LAN address for a board to verify; repeatable. Another set of names re-issues " +
        "the certificate from the same CA",
    )
      .argParser(name)
      .default([], "none"),
  )
  .addOption(
    new Option("-t, --token <uuid>", "device token to accept; repeat for more devices")
      .argParser(token)
      .default([], `the one in <data-dir>/${TOKEN_FILE}, made up on first run`),
  )
  .option(
    "-d, --data-dir <dir>",
    "where the SQLite database, the CA (ca.pem, ca.der) and the server key live",
    ".tago-local",
  )
  .addOption(
    new Option("--plan <plan>", "per-minute rate limits of this TagoIO plan, summed over all devices")
      .choices(Object.keys(PLANS))
      .default("free"),
  )
  .addOption(
    new Option("--param <key=value>", "a configuration parameter every device gets (GET /device/params); repeatable")
      .argParser(param)
      .default([], "none"),
  )
  .option("--deactivated", 'start every device deactivated: each request is answered 400 "Device is deactivated" until activated (the start prints the curl line that does it)')
  .addOption(
    new Option("--data-limit <records>", "a mutable device that holds at most this many records, then answers 400 as TagoCore does").argParser(
      dataLimit,
    ),
  )
  .addOption(
    new Option(
      "--retention <days>",
      "an immutable device keeping this many days back (and up to tomorrow); a time outside is answered 400 as TagoCore does",
    ).argParser(retention),
  )
  .option("-q, --quiet", "no per-request log lines")
  // Commander quotes what it refuses (like --tokne=<uuid>): a token must not be printed whole.
  .configureOutput({ writeErr: (text) => process.stderr.write(redactTokens(text)) })
  .exitOverride((error: CommanderError) => {
    // Help and version are not errors; anything else is a usage error: exit code 2.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

program.parse();
const options = program.opts<{
  port: number;
  listen: string;
  name: string[];
  token: string[];
  dataDir: string;
  plan: keyof typeof PLANS;
  param: Array<{ key: string; value: string }>;
  deactivated?: boolean;
  dataLimit?: number;
  retention?: number;
  quiet?: boolean;
}>();
if (options.dataLimit !== undefined && options.retention !== undefined) {
  program.error("error: --data-limit (a mutable device) and --retention (an immutable device) cannot go together");
}
// Its length at most, never the value: a mistyped token is still mostly the secret.
const badToken = options.token.map(tokenProblem).find((problem) => problem !== undefined);
if (badToken !== undefined) program.error(`error: option '-t, --token <uuid>': ${badToken}`);

const dataDir = resolve(options.dataDir);
const tokens = options.token.length > 0 ? options.token : [loadOrCreateToken(dataDir)];
const limits = PLANS[options.plan];
const listen = options.listen;

try {
  // Loaded only now (it pulls in SQLite and the certificate code), so usage errors answer fast.
  const { DASHBOARD_NOTE, startEndpoint } = await import("./server.js");
  const endpoint = await startEndpoint({
    dataDir,
    devices: tokens.map((t) => ({
      token: t,
      params: options.param,
      // Each start says it: a device left deactivated by an earlier run is active again without the flag.
      active: options.deactivated !== true,
      dataLimit: options.dataLimit,
      retentionDays: options.retention,
    })),
    port: options.port,
    host: listen,
    names: options.name,
    rateLimits: limits,
    accountToken: loadOrCreateToken(dataDir, ACCOUNT_TOKEN_FILE),
    onRequest: options.quiet ? undefined : (entry) => console.log(logLine(entry)),
  });
  if (endpoint.caNotice !== undefined) console.error(`WARNING: ${endpoint.caNotice}`);
  console.log(`TagoIO local endpoint listening at ${endpoint.url}`);
  console.log(
    endpoint.dashboardUrl === undefined
      ? `  dashboard:     none on ${listen}: it answers on loopback only (--listen 127.0.0.1 or 0.0.0.0)`
      : `  dashboard:     ${endpoint.dashboardUrl} (${DASHBOARD_NOTE})`,
  );
  console.log(`  CA to trust:   ${endpoint.caPemPath} (PEM), ${endpoint.caDerPath} (DER)`);
  console.log(`  Node clients:  NODE_EXTRA_CA_CERTS=${endpoint.caPemPath}`);
  console.log(`  cert names:    ${endpoint.names.join(", ")}`);
  const interfaces = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const lan = lanNotes(listen, endpoint.port, endpoint.names.map(parseLeafName), interfaces);
  for (const u of lan.urls) {
    const missing = u.named ? "" : ` (not in the certificate: add --name ${u.name})`;
    console.log(`  on the LAN:    ${u.url}${missing}`);
  }
  console.log(`  data dir:      ${dataDir}`);
  // Never printed whole, like any token: the local one is read from its file.
  const where = options.token.length > 0 ? "" : ` (whole in ${join(dataDir, TOKEN_FILE)})`;
  for (const t of tokens) console.log(`  device token:  ${redactToken(t)}${where}`);
  const curl = curlCommand(dataDir, tokens[0], endpoint);
  const headers = join(dataDir, CURL_HEADERS_FILE);
  const which = tokens.length > 1 ? ` (for the first --token; for another device, put its token in ${headers})` : "";
  console.log(`  its data:      ${curl}${which}`);
  const kind =
    options.dataLimit !== undefined
      ? `mutable, at most ${options.dataLimit} records`
      : `immutable, ${options.retention === undefined ? "no retention window" : `keeping ${options.retention} day${options.retention === 1 ? "" : "s"} back and up to tomorrow`}`;
  console.log(`  device:        ${kind}`);
  console.log(`  parameters:    npm run tago-local:param -- key=value${options.dataDir === ".tago-local" ? "" : ` --data-dir ${options.dataDir}`} (POST /device/{id}/params with the Account-Token in ${join(dataDir, ACCOUNT_TOKEN_FILE)})`);
  if (options.deactivated) {
    const activate = curlCommand(dataDir, tokens[0], endpoint, { path: "/_local/device", put: '{"active":true}' });
    console.log(`  deactivated:   every request is answered 400 "Device is deactivated"; activate it with ${activate}${which}`);
  }
  console.log(
    `  rate limits:   ${options.plan} plan, per minute: POST /data ${limits.postData}, GET /data ${limits.getData}, ` +
      `GET /device/params ${limits.getParams}, GET /info ${limits.info}`,
  );

  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    endpoint.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  if (lan.warning !== undefined) console.error(`warning: ${lan.warning}`);
  else if (leafNames(options.name).length > DEFAULT_NAMES.length) {
    console.error(`note: listening on ${listen} only; add --listen 0.0.0.0 (or the LAN address) for a board on the network.`);
  }
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`tago-local: could not start: ${errorMessage(error)}`);
  process.exit(1);
}
