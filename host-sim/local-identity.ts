// The local device's identity on disk: a token made once and kept in <dataDir>/sim-device.json, so
// a restart posts as the same device and its data accumulates; and a curl header file, so the data
// can be read with a ready command without the token ever being printed.

import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tokenProblem } from "../firmware/core/config.js";

export interface LocalDevice {
  token: string;
  name: string;
}

const PRIVATE = { mode: 0o600 } as const;

/** The device in `dataDir` (created with the directory on first use); throws on a damaged file. */
export function loadOrCreateDevice(dataDir: string): LocalDevice {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "sim-device.json");
  if (!existsSync(file)) {
    const device: LocalDevice = { token: randomUUID(), name: "simulated-device" };
    writeFileSync(file, JSON.stringify(device, null, 2) + "\n", PRIVATE);
    return device;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    parsed = undefined;
  }
  const device = parsed as Partial<LocalDevice> | undefined;
  if (typeof device?.token !== "string" || tokenProblem(device.token) !== undefined) {
    throw new Error(`${file}: no valid device token in it; delete the file to make a new device`);
  }
  return { token: device.token, name: typeof device.name === "string" ? device.name : "simulated-device" };
}

/** Writes the Device-Token header for `curl -H @file`; returns the file's path. */
export function writeCurlHeaders(dataDir: string, token: string): string {
  const file = join(dataDir, "curl-headers.txt");
  writeFileSync(file, `Device-Token: ${token}\n`, PRIVATE);
  return file;
}
