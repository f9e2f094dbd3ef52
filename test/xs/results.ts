// What both XS conformance suites read out of a scenario's results: the records it sent, which
// of them were acknowledged, and the check that XS and Node did exactly the same.

import { expect } from "vitest";
import type { Exchange } from "./scenario.js";
import { TOKEN } from "./scenarios.js";

export const EARLIEST_MS = Date.parse("2024-01-01T00:00:00Z");
/** ScriptedHttp's default answer delay. */
export const RESPONSE_DELAY_MS = 50;
export const SAMPLE_MS = 10_000;

export interface DataRecord {
  variable: string;
  value: unknown;
  unit?: string;
  time?: string;
  group?: string;
}

interface WithExchanges<E extends Exchange> {
  exchanges: E[];
  logs: string[];
}

export const records = (exchange: Exchange): DataRecord[] => JSON.parse(exchange.body) as DataRecord[];

export const acknowledged = <E extends Exchange>(r: WithExchanges<E>): E[] =>
  r.exchanges.filter((e) => typeof e.outcome === "number" && e.outcome >= 200 && e.outcome < 300);

export const delivered = <E extends Exchange>(r: WithExchanges<E>): DataRecord[] => acknowledged(r).flatMap(records);

/** Byte-identical bodies (the first that differs is named), then identical exchanges and logs. */
export function expectSameOnBoth<E extends Exchange>(xs: WithExchanges<E>, node: WithExchanges<E>): void {
  const xsBodies = xs.exchanges.map((e) => e.body);
  const nodeBodies = node.exchanges.map((e) => e.body);
  expect(xsBodies.length).toBeGreaterThan(0);
  expect(xsBodies.length).toBe(nodeBodies.length);
  expect(xsBodies.findIndex((body, i) => body !== nodeBodies[i])).toBe(-1);
  expect(xs.exchanges).toEqual(node.exchanges);
  expect(xs.logs).toEqual(node.logs);
}

/** What every upload must look like: printable ASCII JSON with exactly the agent's two headers. */
export function expectAsciiUpload(exchange: Exchange): void {
  expect(exchange.body).toMatch(/^[\x20-\x7e]*$/);
  expect(exchange.headers).toEqual([
    ["Content-Type", "application/json"],
    ["Device-Token", TOKEN],
  ]);
}
