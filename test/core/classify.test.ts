// Every row of the uplink policy table, and hostile answers that must be classified, not thrown.

import { describe, expect, it } from "vitest";
import { classify, parseJson, retryAfterMs } from "../../firmware/core/classify.js";
import type { HttpResult } from "../../firmware/ports.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";

const WALL = Date.UTC(2026, 10, 26, 12, 45, 9);

function answer(status: number, body: string | Uint8Array, headers: Record<string, string> = {}, truncated = false): HttpResult {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return { ok: true, response: { status, headers, body: bytes, truncated } };
}

describe("classify: the policy table", () => {
  it("acknowledges a 2xx with a TagoIO success envelope, whatever its text", () => {
    expect(classify(answer(200, '{"status":true,"result":"3 Data Added"}'), WALL)).toEqual({ action: "acknowledge" });
    expect(classify(answer(201, '{"status":true,"result":[],"message":"warning"}'), WALL).action).toBe("acknowledge");
  });

  it.each([
    ["a captive portal's page", "<html><body>Sign in to Wi-Fi</body></html>"],
    ["an empty body", ""],
    ["garbage", "\u0000\u0001\u0002garbage"],
    ["a failure envelope", '{"status":false,"message":"nope"}'],
    ["a bare string", '"3 Data Added"'],
    ["an array", "[true]"],
  ])("keeps the batch on a 2xx with %s", (_what, body) => {
    const v = classify(answer(200, body), WALL);
    expect(v.action).toBe("back-off");
    expect(v.action === "back-off" && v.failure).toBe("not-acknowledged");
  });

  it("does not take a truncated 2xx body as an acknowledgement", () => {
    expect(classify(answer(200, '{"status":true,"result":"1 Data Added"}', {}, true), WALL).action).toBe("back-off");
  });

  it("reads Retry-After from TagoIO's message text on 429", () => {
    const v = classify(answer(429, '{"status":false,"message":"Too many requests (Retry-After: 8)"}'), WALL);
    expect(v).toEqual({ action: "rate-limited", failure: "rate-limited", message: "Too many requests (Retry-After: 8)", retryAfterMs: 8000 });
  });

  it("reads Retry-After from the header, seconds or an HTTP date", () => {
    const seconds = classify(answer(429, "", { "retry-after": "12" }), WALL);
    expect(seconds.action === "rate-limited" && seconds.retryAfterMs).toBe(12_000);
    const date = classify(answer(429, "", { "retry-after": new Date(WALL + 51_000).toUTCString() }), WALL);
    expect(date.action === "rate-limited" && date.retryAfterMs).toBe(51_000);
  });

  it("leaves the wait unset on a 429 that names none (the agent waits for the next calendar minute)", () => {
    const v = classify(answer(429, "<html>slow down</html>"), WALL);
    expect(v.action === "rate-limited" && v.retryAfterMs).toBeUndefined();
  });

  it.each([500, 502, 503, 504, 599])("backs off on %i", (status) => {
    const v = classify(answer(status, "<html><h1>Bad Gateway</h1></html>"), WALL);
    expect(v.action === "back-off" && v.failure).toBe("server");
  });

  it("splits on 413 and bisects on 400", () => {
    expect(classify(answer(413, '{"status":false,"message":"Payload too large"}'), WALL).action).toBe("split");
    const bad = classify(answer(400, '{"status":false,"result":{"message":"variable: invalid"}}'), WALL);
    expect(bad).toEqual({ action: "bisect", failure: "invalid", message: "variable: invalid", namesRecord: true });
  });

  it.each([
    [401, '{"status":false,"result":"Authorization denied"}', "Authorization denied"],
    [403, '{"status":false,"message":"Device is not active"}', "Device is not active"],
    [401, "<html>denied</html>", "HTTP 401: <html>denied</html>"],
  ])("stops on %i and names the reason", (status, body, message) => {
    expect(classify(answer(status, body), WALL)).toEqual({ action: "auth", failure: "auth", message });
  });

  it("classifies other statuses as unexpected and backs off", () => {
    for (const status of [0, 100, 302, 404, 405, 418, 999]) {
      const v = classify(answer(status, "x"), WALL);
      expect(v.action === "back-off" && v.failure).toBe("unexpected");
    }
  });

  it("maps transport failures to their classes", () => {
    const of = (error: "timeout" | "dns" | "refused" | "reset" | "tls" | "cancelled" | "other") =>
      classify({ ok: false, error, message: "m", bodySent: false }, WALL);
    expect(of("timeout")).toMatchObject({ action: "back-off", failure: "timeout" });
    // The agent writes "<class>: <message>": the kind is named only where it is not the class.
    expect(of("timeout")).toMatchObject({ message: "m" });
    expect(of("tls")).toMatchObject({ action: "back-off", failure: "tls", message: "m" });
    for (const e of ["dns", "refused", "reset", "cancelled", "other"] as const) expect(of(e)).toMatchObject({ failure: "network", message: `${e}: m` });
  });
});

describe("classify: a 400 about the device is not a bad record", () => {
  // TagoCore v0.7.0's answers (issue 16), word for word.
  it("refuses the device when it is deactivated, on POST and GET alike", () => {
    expect(classify(answer(400, '{"status":false,"message":"Device is deactivated"}'), WALL)).toEqual({
      action: "refused",
      failure: "refused",
      message: "Device is deactivated",
    });
  });

  it("refuses the device when a mutable device holds its limit of records", () => {
    const body = '{"status":false,"message":"The device has reached the limit of 50000 data registers"}';
    expect(classify(answer(400, body), WALL)).toEqual({
      action: "refused",
      failure: "refused",
      message: "The device has reached the limit of 50000 data registers",
    });
  });

  it("reads the retention window of an immutable device, both days inclusive", () => {
    const v = classify(answer(400, '{"status":false,"message":"Time must be between 2026-11-27 and 2026-11-29"}'), WALL);
    expect(v).toEqual({
      action: "retention",
      failure: "retention",
      message: "Time must be between 2026-11-27 and 2026-11-29",
      fromMs: Date.UTC(2026, 10, 27),
      toMs: Date.UTC(2026, 10, 30),
    });
  });

  it.each([
    ["a month that does not exist", "Time must be between 2026-13-01 and 2026-11-29"],
    ["a day that does not exist", "Time must be between 2026-11-27 and 2026-02-30"],
    ["a window that ends before it starts", "Time must be between 2026-11-29 and 2026-11-27"],
  ])("refuses the device, dropping nothing, for a retention window with %s", (_what, message) => {
    expect(classify(answer(400, JSON.stringify({ status: false, message })), WALL)).toEqual({ action: "refused", failure: "refused", message });
  });

  it("takes a proxy's 400 without TagoIO's envelope as no proof of a bad record", () => {
    const proxy = "<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>";
    expect(classify(answer(400, proxy), WALL)).toMatchObject({ action: "split", failure: "too-large" });
    expect(classify(answer(400, "request entity too large"), WALL)).toEqual({ action: "split", failure: "too-large", message: "HTTP 400: request entity too large" });
    expect(classify(answer(400, '{"status":false,"message":"request entity too large"}'), WALL)).toMatchObject({ action: "split" });
    for (const body of ["<html><body><h1>400 Bad Request</h1></body></html>", "", "\u0000garbage", '"Device is deactivated"', '{"message":"Device is deactivated"}']) {
      expect(classify(answer(400, body), WALL)).toMatchObject({ action: "back-off", failure: "unexpected" });
    }
    expect(classify(answer(400, '{"status":false,"message":"Device is deactivated"}', {}, true), WALL).action).toBe("back-off");
  });

  it("says whether a record-level 400 names a record or field", () => {
    const of = (body: unknown) => classify(answer(400, JSON.stringify(body)), WALL);
    expect(of({ status: false, message: "Invalid data[3]: unit must be a string of at most 25 characters" })).toMatchObject({ action: "bisect", namesRecord: true });
    expect(of({ status: false, message: "Invalid data", field_errors: { "2": ["too long"] } })).toMatchObject({ action: "bisect", namesRecord: true });
    expect(of({ status: false, message: "Invalid data", field_errors: {} })).toMatchObject({ action: "bisect", namesRecord: false });
    expect(of({ status: false, message: "Your profile is out of data input" })).toMatchObject({ action: "bisect", namesRecord: false });
  });
});

describe("classify: hostile answers", () => {
  it("survives deep nesting without parsing it", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(classify(answer(200, deep), WALL).action).toBe("back-off");
    const nested = '{"status":false,"result":' + "{".repeat(5000) + "}".repeat(5000) + "}";
    expect(classify(answer(401, nested), WALL).action).toBe("auth");
  });

  it("refuses a flood of tiny values unparsed, and reads what strings hold as text", () => {
    // 8 KB, a landing check's page in the firmware builds: thousands of items or objects, more than a board's heaps hold.
    for (const flood of ["[" + "0,".repeat(4095) + "0]", "[" + "{},".repeat(2730) + "{}]", '{"status":true,"result":[' + "[],".repeat(2700) + "[]]}"]) {
      expect(parseJson(flood)).toBeUndefined();
      expect(classify(answer(200, flood), WALL).action).toBe("back-off");
    }
    // A full page of stored records as TagoIO answers them (about 230 characters, 9 values each) parses.
    const record = (i: number) => ({ id: "6750f0c1a2b3c4d5e6f70" + String(i).padStart(3, "0"), variable: "temperature", value: 21.53, unit: "°C", group: "m3xk2a1", time: "2026-11-29T07:00:00.000Z", created_at: "2026-11-29T07:00:01.123Z", device: "6750f0c1a2b3c4d5e6f70999", origin: "6750f0c1a2b3c4d5e6f70999" });
    const page = JSON.stringify({ status: true, result: Array.from({ length: 62 }, (_, i) => record(i)) });
    expect((parseJson(page) as { result: unknown[] }).result).toHaveLength(62);
    // Brackets, commas and escaped quotes inside a string are text, not structure.
    const text = '{"status":false,"message":"' + '[[{,,\\"'.repeat(400) + '"}';
    expect(parseJson(text)).toEqual(JSON.parse(text));
    expect(parseJson("[0]")).toEqual([0]);
  });

  it("survives invalid UTF-8 and keeps messages printable and short", () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0x0a, 0x1b, 0x5b, 0x32, 0x4a]);
    const v = classify(answer(503, bytes), WALL);
    expect(v.action).toBe("back-off");
    if (v.action !== "back-off") return;
    expect(v.message).toMatch(/^[\x20-\x7e]*$/);
    const long = classify(answer(500, "x".repeat(5000)), WALL);
    expect(long.action === "back-off" && long.message.length).toBeLessThanOrEqual(200);
  });

  it("never throws on random bytes under any status", () => {
    const random = new SeededRandom(99);
    for (let i = 0; i < 3000; i++) {
      const body = new Uint8Array(random.below(64));
      for (let j = 0; j < body.length; j++) body[j] = random.below(256);
      const status = [200, 204, 400, 401, 403, 413, 429, 500, 503, random.below(1000)][random.below(10)];
      const headers: Record<string, string> = random.below(2) ? { "retry-after": String.fromCharCode(...body.slice(0, 8)) } : {};
      expect(() => classify(answer(status, body, headers, random.below(4) === 0), WALL)).not.toThrow();
    }
  });
});

describe("retryAfterMs", () => {
  it("prefers the header, then the message, and ignores nonsense", () => {
    expect(retryAfterMs("3", "Retry-After: 9", WALL)).toBe(3000);
    expect(retryAfterMs(undefined, "Too many requests (Retry-After: 9)", WALL)).toBe(9000);
    expect(retryAfterMs("soon", "no number here", WALL)).toBeUndefined();
    expect(retryAfterMs(new Date(WALL - 5000).toUTCString(), "", WALL)).toBe(0);
    expect(retryAfterMs(new Date(WALL + 5000).toUTCString(), "", -1)).toBeUndefined();
  });
});
