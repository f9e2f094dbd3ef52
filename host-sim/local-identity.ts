// The local device's identity on disk: a token made once and kept in <dataDir>/device-token
// (owner-only), shared by `npm start` and `npm run tago-local`, so a restart posts as the same
// device, its data accumulates, and firmware can be built with `token=$(cat .tago-local/device-token)`;
// and the ready curl command both print to read the data, its token in a header file so it is never
// printed.

import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tokenProblem } from "../firmware/core/config.js";

export const TOKEN_FILE = "device-token";
/** The local account's token, for TagoIO's account route that sets device parameters. */
export const ACCOUNT_TOKEN_FILE = "account-token";
export const CURL_HEADERS_FILE = "curl-headers.txt";

const PRIVATE = { mode: 0o600 } as const;

/** The local device's token in `dataDir` (made with the directory on first use); throws on a damaged file. */
export function loadOrCreateToken(dataDir: string, name: string = TOKEN_FILE): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, name);
  if (!existsSync(file)) {
    const token = randomUUID();
    writeFileSync(file, token + "\n", PRIVATE);
    return token;
  }
  const token = readFileSync(file, "utf8").trim();
  if (tokenProblem(token) !== undefined) {
    throw new Error(`${file}: no valid token in it; delete the file to make a new one`);
  }
  return token;
}

/** Writes the Device-Token header for `curl -H @file`; returns the file's path. */
function writeCurlHeaders(dataDir: string, token: string): string {
  const file = join(dataDir, CURL_HEADERS_FILE);
  writeFileSync(file, `Device-Token: ${token}\n`, PRIVATE);
  return file;
}

/**
 * The curl command for `token`'s device: by default reading its last 15 records, or a PUT of
 * `put` (JSON) to `path`; writes its header file now.
 */
export function curlCommand(
  dataDir: string,
  token: string,
  endpoint: { url: string; caPemPath: string },
  request: { path: string; put?: string } = { path: "/data?qty=15" },
): string {
  const headers = writeCurlHeaders(dataDir, token);
  const put = request.put === undefined ? "" : ` -X PUT -d '${request.put}'`;
  return `curl -s --cacert ${endpoint.caPemPath} -H @${headers}${put} '${endpoint.url}${request.path}'`;
}
