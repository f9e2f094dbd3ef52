// `npm run tago-local`: the local TagoIO-compatible endpoint from the command line. Prints where it
// listens, the CA files to trust and the device token it accepts (once, at start: it is the local
// test device's token the user asked for), then one line per request unless --quiet. Bad options
// exit with code 2; Ctrl-C or SIGTERM close it cleanly.

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { PLANS } from "./ratelimit.js";
import type { RequestLogEntry } from "./server.js";

const DEFAULT_PORT = 8443;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new InvalidArgumentError("must be a whole number from 0 to 65535.");
  return n;
}

function token(text: string, previous: string[]): string[] {
  if (!UUID.test(text)) throw new InvalidArgumentError("must be a UUID (36 characters, like a TagoIO device token).");
  return [...previous, text];
}

function param(text: string, previous: Array<{ key: string; value: string }>): Array<{ key: string; value: string }> {
  const at = text.indexOf("=");
  if (at < 1) throw new InvalidArgumentError("must look like key=value.");
  return [...previous, { key: text.slice(0, at), value: text.slice(at + 1) }];
}

function logLine(e: RequestLogEntry): string {
  const records = e.records === undefined ? "" : ` records=${e.records}`;
  return `${new Date().toISOString()} ${e.method} ${e.path} ${e.status}${records}`;
}

const program = new Command("tago-local")
  .description(
    "A local TagoIO-compatible HTTPS endpoint for development and tests; works offline. It serves " +
      "POST and GET /data, GET /info, GET /device/params and PUT /device/params/{id} with TagoIO's " +
      "envelopes, validation and per-minute rate limits, and keeps everything in SQLite in the data dir.",
  )
  .addOption(
    new Option("-p, --port <port>", "port to listen on; 0 picks a free one").argParser(port).default(DEFAULT_PORT),
  )
  .option("--host <address>", "address to listen on (the certificate covers 127.0.0.1 and localhost)", "127.0.0.1")
  .addOption(
    new Option("-t, --token <uuid>", "device token to accept; repeat for more devices")
      .argParser(token)
      .default([], "a new random UUID, printed at start"),
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
  .option("-q, --quiet", "no per-request log lines")
  .exitOverride((error: CommanderError) => {
    // Help and version are not errors; anything else is a usage error: exit code 2.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

program.parse();
const options = program.opts<{
  port: number;
  host: string;
  token: string[];
  dataDir: string;
  plan: keyof typeof PLANS;
  param: Array<{ key: string; value: string }>;
  quiet?: boolean;
}>();

const generated = options.token.length === 0;
const tokens = generated ? [randomUUID()] : options.token;
const dataDir = resolve(options.dataDir);
const limits = PLANS[options.plan];

try {
  // Loaded only now (it pulls in SQLite and the certificate code), so usage errors answer fast.
  const { startEndpoint } = await import("./server.js");
  const endpoint = await startEndpoint({
    dataDir,
    devices: tokens.map((t) => ({ token: t, params: options.param })),
    port: options.port,
    host: options.host,
    rateLimits: limits,
    onRequest: options.quiet ? undefined : (entry) => console.log(logLine(entry)),
  });
  console.log(`TagoIO local endpoint listening at ${endpoint.url}`);
  console.log(`  CA to trust:   ${endpoint.caPemPath} (PEM), ${endpoint.caDerPath} (DER)`);
  console.log(`  Node clients:  NODE_EXTRA_CA_CERTS=${endpoint.caPemPath}`);
  console.log(`  data dir:      ${dataDir}`);
  const note = generated ? " (generated; pass --token to choose one)" : "";
  for (const t of tokens) console.log(`  device token:  ${t}${note}`);
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
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`tago-local: could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
