// The server's answer to an upload, classified into one action of the uplink policy (the table
// under "The server's answer" in the README's "How it behaves"). The server is untrusted: any
// status and any body (HTML, garbage, truncated, not UTF-8, deeply nested) is classified without
// throwing, reading no more than the port read.

import type { HttpResult, TransportErrorKind } from "../ports.js";

export type FailureClass =
  | "timeout"
  | "network"
  | "tls"
  | "server"
  | "rate-limited"
  | "too-large"
  | "invalid"
  | "refused"
  | "retention"
  | "auth"
  | "not-acknowledged"
  | "unexpected";

export const FAILURE_CLASSES: readonly FailureClass[] = Object.freeze([
  "timeout",
  "network",
  "tls",
  "server",
  "rate-limited",
  "too-large",
  "invalid",
  "refused",
  "retention",
  "auth",
  "not-acknowledged",
  "unexpected",
]);

export type Verdict =
  | { action: "acknowledge" }
  /** Keep the batch and back off (transport failures, 5xx, 2xx without a success envelope, other statuses). */
  | { action: "back-off"; failure: FailureClass; message: string; retryAfterMs: number | undefined }
  | { action: "rate-limited"; failure: "rate-limited"; message: string; retryAfterMs: number | undefined }
  /** 413: split the batch. */
  | { action: "split"; failure: "too-large"; message: string }
  /**
   * 400 in TagoIO's envelope about records: bisect to isolate the rejected ones. `namesRecord`: the
   * answer itself points at a record or field (an index, a field name, `field_errors`).
   */
  | { action: "bisect"; failure: "invalid"; message: string; namesRecord: boolean }
  /** 400 about the whole device (deactivated, record limit reached): stop uploading, keep everything, retry rarely. */
  | { action: "refused"; failure: "refused"; message: string }
  /**
   * 400 "Time must be between A and B": readings dated outside the device's retention window can
   * never be stored. The window is A 00:00 UTC up to the end of day B (A and B inclusive).
   */
  | { action: "retention"; failure: "retention"; message: string; fromMs: number; toMs: number }
  /** 401/403: stop uploading, keep buffering, retry rarely. */
  | { action: "auth"; failure: "auth"; message: string };

const MAX_NESTING = 16;
/** An answer may hold this many values, and one more for every CHARS_PER_VALUE characters (a TagoIO record spends about 25). */
const MIN_VALUES = 16;
const CHARS_PER_VALUE = 6;
const MAX_MESSAGE = 160;

const TRANSPORT_FAILURE: Readonly<Record<TransportErrorKind, FailureClass>> = Object.freeze({
  timeout: "timeout",
  dns: "network",
  refused: "network",
  reset: "network",
  cancelled: "network",
  other: "network",
  tls: "tls",
});

export function decode(body: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: false }).decode(body);
  } catch {
    return "";
  }
}

/**
 * JSON.parse guarded against what can exhaust a device: deep nesting (its native stack), and a
 * flood of tiny values (`[0,0,...]`, `[{},{},...]`), which a few kilobytes of text turn into more
 * items and objects than a board's heaps hold. Real answers spend far more characters a value.
 * What strings hold is skipped: it is not structure.
 */
export function parseJson(text: string): unknown {
  let depth = 0;
  // Containers and separators: about one a value.
  let values = 0;
  const most = MIN_VALUES + text.length / CHARS_PER_VALUE;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const inside = text.charCodeAt(i);
        if (inside === 0x5c) i++;
        else if (inside === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_NESTING || ++values > most) return undefined;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && ++values > most) return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Printable, bounded text for logs and the snapshot. */
function clean(text: string): string {
  let out = "";
  for (const ch of text) {
    if (out.length >= MAX_MESSAGE) return out + "...";
    const cp = ch.codePointAt(0) as number;
    out += cp >= 0x20 && cp < 0x7f ? ch : cp === 0x0a || cp === 0x09 || cp === 0x0d ? " " : "?";
  }
  return out;
}

interface Envelope {
  success: boolean;
  message: string;
  /** TagoIO's per-record errors (`field_errors`) came with it. */
  fieldErrors: boolean;
}

/** TagoIO's envelopes: {status, result}, {status:false, message}, {status:false, result:{message}}, {status:false, result:"..."}. */
function envelopeOf(json: unknown): Envelope | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  if (typeof o.status !== "boolean") return undefined;
  let message = "";
  if (typeof o.message === "string") message = o.message;
  else if (typeof o.result === "string") message = o.result;
  else if (typeof o.result === "object" && o.result !== null) {
    const inner = (o.result as Record<string, unknown>).message;
    if (typeof inner === "string") message = inner;
  }
  const fieldErrors = typeof o.field_errors === "object" && o.field_errors !== null && Object.keys(o.field_errors).length > 0;
  return { success: o.status, message: clean(message), fieldErrors };
}

// TagoIO's (and TagoCore's) 400s about the device, not about a record.
const DEVICE_REFUSALS = Object.freeze([/\bdevice is deactivated\b/i, /has reached the limit of \d+ data registers/i]);
const RETENTION = /\btime must be between (\d{4})-(\d{2})-(\d{2}) and (\d{4})-(\d{2})-(\d{2})/i;
/** A record index (`data[3]`, `[3]`) or a data object's field named as a word. */
const NAMES_RECORD = /\[\d+\]|\b(variable|value|unit|time|group|location|metadata|serie)\b/i;
/** What proxies and load balancers say in front of a server that answers 400 for a body too big. */
const TOO_LARGE_TEXT = /too large|too big|entity too|payload too|body exceeded|max(imum)? body|size limit/i;
const DAY_MS = 86_400_000;

/** UTC midnight of a date written in a message, or NaN when it is no real date. */
function dayStart(year: string, month: string, day: string): number {
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day));
  const date = new Date(ms);
  return date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day) ? ms : Number.NaN;
}

/**
 * A 400. The body too large (TagoCore, and proxies in front of a server, say so with a 400, not a
 * 413): split, as for a 413. Not TagoIO's envelope (a proxy's page, garbage): no proof that a record
 * is bad, so back off. Then the device refused, a retention window, or records to isolate.
 */
function classify400(envelope: Envelope | undefined, message: string): Verdict {
  const namesRecord = NAMES_RECORD.test(message);
  if (TOO_LARGE_TEXT.test(message) && !namesRecord) return { action: "split", failure: "too-large", message };
  if (envelope === undefined) return { action: "back-off", failure: "unexpected", message, retryAfterMs: undefined };
  for (let i = 0; i < DEVICE_REFUSALS.length; i++) {
    if (DEVICE_REFUSALS[i].test(message)) return { action: "refused", failure: "refused", message };
  }
  const window = RETENTION.exec(message);
  if (window !== null) {
    const fromMs = dayStart(window[1], window[2], window[3]);
    const toMs = dayStart(window[4], window[5], window[6]) + DAY_MS;
    // A window that cannot be read cannot justify a drop: the device is refused instead.
    if (!(fromMs < toMs)) return { action: "refused", failure: "refused", message };
    return { action: "retention", failure: "retention", message, fromMs, toMs };
  }
  return { action: "bisect", failure: "invalid", message, namesRecord: namesRecord || envelope.fieldErrors };
}

const RETRY_AFTER_IN_TEXT = /retry-after:?\s*(\d{1,7})/i;

/** Seconds from a Retry-After header (delta-seconds or an HTTP date) or from TagoIO's message text. */
export function retryAfterMs(header: string | undefined, message: string, wallMs: number): number | undefined {
  if (header !== undefined) {
    const h = header.trim();
    if (/^\d{1,7}$/.test(h)) return Number(h) * 1000;
    const date = Date.parse(h);
    if (!Number.isNaN(date) && wallMs >= 0) return Math.max(0, date - wallMs);
  }
  const m = RETRY_AFTER_IN_TEXT.exec(message);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** Classifies one upload exchange. `wallMs` is the trusted wall time or -1. */
export function classify(result: HttpResult, wallMs: number): Verdict {
  if (!result.ok) {
    const failure = TRANSPORT_FAILURE[result.error] ?? "network";
    // The class goes before the message: the transport's kind is added only where it says more
    // ("network: refused: ...", never "tls: tls: ...").
    const message = failure === result.error ? result.message : `${result.error}: ${result.message}`;
    return { action: "back-off", failure, message: clean(message), retryAfterMs: undefined };
  }
  const { status, headers, body, truncated } = result.response;
  const text = decode(body);
  const envelope = truncated ? undefined : envelopeOf(parseJson(text));
  const message = envelope?.message || `HTTP ${status}${text ? ": " + clean(text) : ""}`;
  const retryHeader = headers["retry-after"];

  if (status >= 200 && status < 300) {
    if (envelope?.success === true) return { action: "acknowledge" };
    return {
      action: "back-off",
      failure: "not-acknowledged",
      message: clean(`HTTP ${status} without a TagoIO success envelope${truncated ? " (body over the read bound)" : ""}: ${text}`),
      retryAfterMs: undefined,
    };
  }
  if (status === 429) {
    return { action: "rate-limited", failure: "rate-limited", message, retryAfterMs: retryAfterMs(retryHeader, message, wallMs) };
  }
  if (status === 413) return { action: "split", failure: "too-large", message };
  if (status === 400) return classify400(envelope, message);
  if (status === 401 || status === 403) return { action: "auth", failure: "auth", message };
  if (status >= 500 && status < 600) {
    return { action: "back-off", failure: "server", message, retryAfterMs: retryAfterMs(retryHeader, "", wallMs) };
  }
  return { action: "back-off", failure: "unexpected", message, retryAfterMs: undefined };
}
