// Reads a request body without ever holding more than the limit. Past the limit the bytes are
// counted and dropped so the 413 can go back on a connection the client is not still writing to
// (closing mid-upload makes many clients report a reset instead of the answer); past
// DRAIN_FACTOR times the limit the reader gives up and the caller closes the connection.

import type { IncomingMessage } from "node:http";

const DRAIN_FACTOR = 8;

export type BodyResult =
  | { kind: "ok"; body: Buffer }
  | { kind: "too-large"; drained: boolean }
  | { kind: "aborted" };

export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers["content-length"]);
    const drainLimit = maxBytes * DRAIN_FACTOR;
    if (declared > drainLimit) {
      resolve({ kind: "too-large", drained: false });
      return;
    }
    let chunks: Buffer[] | undefined = [];
    let total = 0;
    const finish = (result: BodyResult): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("aborted", onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total <= maxBytes) {
        chunks?.push(chunk);
        return;
      }
      chunks = undefined;
      if (total > drainLimit) {
        req.pause();
        finish({ kind: "too-large", drained: false });
      }
    };
    const onEnd = (): void =>
      finish(chunks === undefined ? { kind: "too-large", drained: true } : { kind: "ok", body: Buffer.concat(chunks) });
    const onAbort = (): void => finish({ kind: "aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("aborted", onAbort);
  });
}
