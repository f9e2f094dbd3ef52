// Bytes one request takes on the wire before TLS, as the Moddable SDK's classic http module writes
// it: request line, Connection: close, the port's headers, Content-Length, Host, a blank line, the
// body. Portable.

import type { HttpRequest } from "../firmware/ports.js";

const utf8 = new TextEncoder();

export function wireBytes(request: HttpRequest): number {
  const body = request.body?.length ?? 0;
  let head = `${request.method} ${request.path} HTTP/1.1\r\nConnection: close\r\n`;
  for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
  if (body > 0) head += `Content-Length: ${body}\r\n`;
  head += `Host: ${request.host}\r\n\r\n`;
  return head.length + body;
}

/** UTF-8 bytes of a JSON text. */
export function jsonBytes(value: unknown): number {
  return utf8.encode(JSON.stringify(value)).byteLength;
}
