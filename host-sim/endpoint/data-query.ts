// `GET /data`'s query string as one validated request. List parameters come repeated, as comma
// lists or in the SDK's qs form (`variables[0]=a&variables[1]=b`); variables are lowercased like
// stored ones. Unknown parameters are ignored; a bad value of a known one is refused with a
// message naming it. `values`, `aggregate` and `conditional` are not supported here.
// Answers (as TagoIO's own server gives them): `count`, `avg` and `sum` a bare number (avg and
// sum over numeric values only, 0 when there are none); `min`, `max`, `first_*` and `last_*` an
// array holding one record per variable (the SDK maps over it); the default query a page of
// records, `qty` (15, at most 10,000) after `skip`, newest first unless `ordination=ascending`.

import { parseTime } from "./validate.js";

const DEFAULT_QTY = 15;
const MAX_QTY = 10_000;

export interface DataFilter {
  variables: string[];
  groups: string[];
  ids: string[];
  startMs?: number;
  endMs?: number;
}

/** Which record `first_*` / `last_*` pick: by time, by time among located ones, or by insertion. */
export type PickBy = "item" | "location" | "insert";

export type DataRequest =
  | { kind: "list"; filter: DataFilter; ascending: boolean; qty: number; skip: number; details: boolean }
  | { kind: "first" | "last"; pick: PickBy; filter: DataFilter; details: boolean }
  | { kind: "min" | "max"; filter: DataFilter; details: boolean }
  | { kind: "count" | "avg" | "sum"; filter: DataFilter };

export type ParsedQuery = { ok: true; request: DataRequest } | { ok: false; message: string };

const PICK_BY: Readonly<Record<string, PickBy>> = {
  item: "item",
  // Every stored record has a value, so the last value is the last item.
  value: "item",
  location: "location",
  insert: "insert",
};

function list(params: URLSearchParams, name: string): string[] {
  const key = new RegExp(`^${name}s?(\\[\\d*\\])?$`);
  const out: string[] = [];
  for (const [k, v] of params) {
    if (!key.test(k)) continue;
    for (const part of v.split(",")) {
      const item = part.trim();
      if (item !== "") out.push(item);
    }
  }
  return out;
}

function wholeNumber(params: URLSearchParams, name: string, fallback: number, max: number): number | string {
  const text = params.get(name);
  if (text === null) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > max) return `${name} must be a whole number from 0 to ${max}`;
  return Number(text);
}

function date(params: URLSearchParams, name: string): number | undefined | string {
  const text = params.get(name);
  if (text === null) return undefined;
  return parseTime(text) ?? `${name} must be an ISO 8601 date`;
}

export function parseDataQuery(params: URLSearchParams): ParsedQuery {
  const startMs = date(params, "start_date");
  if (typeof startMs === "string") return { ok: false, message: startMs };
  const endMs = date(params, "end_date");
  if (typeof endMs === "string") return { ok: false, message: endMs };
  const filter: DataFilter = {
    variables: list(params, "variable").map((v) => v.toLowerCase()),
    groups: list(params, "group"),
    ids: list(params, "id"),
    startMs,
    endMs,
  };
  const details = params.get("details") === "true";

  const query = params.get("query") ?? "default";
  switch (query) {
    case "default": {
      const qty = wholeNumber(params, "qty", DEFAULT_QTY, MAX_QTY);
      if (typeof qty === "string") return { ok: false, message: qty };
      const skip = wholeNumber(params, "skip", 0, Number.MAX_SAFE_INTEGER);
      if (typeof skip === "string") return { ok: false, message: skip };
      const ordination = params.get("ordination") ?? "descending";
      if (ordination !== "descending" && ordination !== "ascending") {
        return { ok: false, message: "ordination must be descending or ascending" };
      }
      return { ok: true, request: { kind: "list", filter, ascending: ordination === "ascending", qty, skip, details } };
    }
    case "min":
    case "max":
      return { ok: true, request: { kind: query, filter, details } };
    case "count":
    case "avg":
    case "sum":
      return { ok: true, request: { kind: query, filter } };
  }
  const m = /^(first|last)_(item|value|location|insert)$/.exec(query);
  if (m === null) return { ok: false, message: `query ${JSON.stringify(query.slice(0, 40))} is not supported` };
  return { ok: true, request: { kind: m[1] as "first" | "last", pick: PICK_BY[m[2]], filter, details } };
}
