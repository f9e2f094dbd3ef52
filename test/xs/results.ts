// What both XS conformance suites read out of a scenario's results: the records it sent, which
// of them were acknowledged (or found stored by a landing check), and the check that XS and Node
// did exactly the same. A landing check's GET has no body.

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

export const records = (exchange: Exchange): DataRecord[] => (exchange.body === "" ? [] : (JSON.parse(exchange.body) as DataRecord[]));

const ok = (e: Exchange): boolean => typeof e.outcome === "number" && e.outcome >= 200 && e.outcome < 300;

/** The uploads answered 2xx. */
export const acknowledged = <E extends Exchange>(r: WithExchanges<E>): E[] => r.exchanges.filter((e) => e.body !== "" && ok(e));

const sameRecord = (r: DataRecord): string => JSON.stringify([r.variable, r.time, r.group, r.value]);

/**
 * The records acknowledged, and those of an upload without an answer that the landing check after
 * it (the first of the GETs that follow it to be answered) found stored.
 */
export const delivered = <E extends Exchange>(r: WithExchanges<E>): DataRecord[] =>
  r.exchanges.flatMap((e, i) => {
    if (e.body === "") return [];
    if (ok(e)) return records(e);
    let j = i + 1;
    while (j < r.exchanges.length && r.exchanges[j].body === "" && r.exchanges[j].answer === undefined) j++;
    const check = r.exchanges[j];
    if (check?.answer === undefined) return [];
    const found = new Set((JSON.parse(check.answer) as { result: DataRecord[] }).result.map(sameRecord));
    return records(e).filter((record) => found.has(sameRecord(record)));
  });

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

/** What every upload must look like: printable ASCII JSON with exactly the agent's two headers; a landing check, the token alone. */
export function expectAsciiUpload(exchange: Exchange): void {
  expect(exchange.body).toMatch(/^[\x20-\x7e]*$/);
  if (exchange.body === "") {
    expect(exchange.headers).toEqual([["Device-Token", TOKEN]]);
    return;
  }
  expect(exchange.headers).toEqual([
    ["Content-Type", "application/json"],
    ["Device-Token", TOKEN],
  ]);
}
