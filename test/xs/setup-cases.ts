// The set-up site's cases, portable: each starts from a store, sends requests through SetupSite and
// returns the answers and what the store holds after each, so the same bundle runs them on XS
// (xsnap) and on Node. setup-conformance.test.ts checks both against what each case expects.

import { MemorySettings } from "../../firmware/fakes/memory-settings.js";
import { SetupSite } from "../../firmware/core/setup-site.js";
import type { NearbyNetwork } from "../../firmware/core/setup-form.js";

export const SETUP_TOKEN = "2f3c9a1e-8b7d-4c6a-9e5f-1a2b3c4d5e6f";
export const SETUP_OTHER_TOKEN = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d";

export const SCANNED: readonly NearbyNetwork[] = [
  { ssid: "greenhouse", rssi: -71, secure: true },
  { ssid: "Caf\u00e9 \u2615", rssi: -55, secure: false },
  { ssid: "greenhouse", rssi: -48, secure: true },
  { ssid: "", rssi: -40, secure: true },
];

export interface SetupRequest {
  method: string;
  path: string;
  body?: string;
}

export interface SetupCase {
  initial: Record<string, string>;
  requests: SetupRequest[];
}

export interface SetupStep {
  status: number;
  headers: ReadonlyArray<readonly [string, string]>;
  body: string;
  restart: boolean;
  stored: Record<string, string>;
  writes: number;
}

const form = (fields: Record<string, string>): string =>
  Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).split("%20").join("+")}`)
    .join("&");

export const SETUP_CASES: Record<string, SetupCase> = {
  "a first set-up": {
    initial: {},
    requests: [
      { method: "GET", path: "/" },
      { method: "POST", path: "/", body: form({ ssid: "greenhouse", ssid_typed: "", password: "s3cret-pass", token: SETUP_TOKEN, region: "eu-w1", host: "" }) },
    ],
  },
  "every field wrong": {
    initial: {},
    requests: [{ method: "POST", path: "/", body: form({ ssid: "", ssid_typed: "", password: "short", token: "not-a-token", region: "mars", host: "" }) }],
  },
  "a typed network, a custom host, an open network": {
    initial: { ssid: "old", password: "old-password", token: SETUP_TOKEN, region: "us-e1" },
    requests: [
      { method: "GET", path: "/" },
      { method: "POST", path: "/", body: form({ ssid: "greenhouse", ssid_typed: "Caf\u00e9 \u2615", password: "", token: "", region: "", host: "tago.example.com" }) },
    ],
  },
  "a stored token kept, a new one replacing it": {
    initial: { ssid: "greenhouse", password: "s3cret-pass", token: SETUP_TOKEN },
    requests: [
      { method: "POST", path: "/", body: form({ ssid: "greenhouse", password: "s3cret-pass", token: "" }) },
      { method: "POST", path: "/", body: form({ ssid: "greenhouse", password: "s3cret-pass", token: ` ${SETUP_OTHER_TOKEN} ` }) },
    ],
  },
  "region and host disagree, broken encoding": {
    initial: {},
    requests: [
      { method: "POST", path: "/", body: `ssid=greenhouse&password=%E0%A4%A&token=${SETUP_TOKEN}&region=eu-w1&host=api.tago.io` },
      { method: "POST", path: "/", body: `ssid=greenhouse&ssid_typed=%ZZ&password=&token=${SETUP_TOKEN}&other=%ZZ` },
    ],
  },
  "captive-portal probes and other routes": {
    initial: {},
    requests: [
      { method: "GET", path: "/generate_204" },
      { method: "GET", path: "/hotspot-detect.html?x=1" },
      { method: "GET", path: "/connecttest.txt" },
      { method: "PUT", path: "/" },
      { method: "POST", path: "/elsewhere", body: "" },
    ],
  },
};

export function runSetupCase(c: SetupCase): SetupStep[] {
  const store = new MemorySettings(c.initial);
  const site = new SetupSite({ store, networks: () => SCANNED, origin: "http://192.168.4.1" });
  return c.requests.map((request) => {
    const answer = site.respond(request.method, request.path, request.body ?? "");
    return { ...answer, stored: store.toObject(), writes: store.writes };
  });
}
