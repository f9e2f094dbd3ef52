// What a conformance run keeps of a landing check's answer, on XS as on Node: its body text when
// it was a 2xx to a GET (so the checks can see what it found), nothing otherwise.

import type { HttpRequest, HttpResult } from "../../firmware/ports.js";

export function checkAnswer(request: HttpRequest, result: HttpResult | undefined): { answer?: string } {
  if (request.method !== "GET" || result === undefined || !result.ok || result.response.status >= 300) return {};
  return { answer: new TextDecoder().decode(result.response.body) };
}
