// A hostile HTTPS server for the fault campaign: it answers the way broken or overloaded servers
// and captive portals do, over real TLS (with the local endpoint's identity, so the device trusts
// it), so the device's real HTTP client meets them: 5xx, 429 with Retry-After, 413, an HTML page,
// garbage, a body cut off mid-way, 10 MB, a reset, or no answer at all. It stores nothing. The
// answer to give is set just before each request (the device sends one at a time).

import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { ServerResponse } from "node:http";
import { SeededRandom } from "../../firmware/simulated/prng.js";

export type HostileAnswer = "5xx" | "429" | "413" | "401" | "html" | "garbage" | "truncated" | "huge" | "reset" | "hang";

const HUGE_BYTES = 10 * 1024 * 1024;
const CHUNK = new Uint8Array(64 * 1024).fill(0x20);
const PORTAL = "<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head><body><h1>Welcome!</h1><p>Please accept the terms to continue.</p></body></html>";

export class HostileServer {
  readonly port: number;
  private readonly server: Server;
  private readonly random: SeededRandom;
  private next: HostileAnswer = "5xx";

  private constructor(server: Server, random: SeededRandom) {
    this.server = server;
    this.random = random;
    this.port = (server.address() as AddressInfo).port;
  }

  static async start(identity: { key: string; cert: string }, seed: number): Promise<HostileServer> {
    let hostile: HostileServer | undefined;
    const server = createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
      const answer = hostile?.next ?? "5xx";
      res.on("error", () => undefined);
      if (answer === "reset") {
        req.socket.destroy();
        return;
      }
      if (answer === "hang") return;
      req.resume();
      req.on("end", () => hostile?.answer(answer, res));
    });
    // Clients hang up on purpose here (timeouts, 10 MB answers): their sockets' errors are expected.
    server.on("secureConnection", (socket) => socket.on("error", () => undefined));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    hostile = new HostileServer(server, new SeededRandom(seed));
    return hostile;
  }

  /** The answer to the next request. */
  expect(answer: HostileAnswer): void {
    this.next = answer;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private answer(answer: Exclude<HostileAnswer, "reset" | "hang">, res: ServerResponse): void {
    const random = this.random;
    switch (answer) {
      case "5xx": {
        const status = [500, 502, 503, 504][random.below(4)];
        const headers: Record<string, string> = random.next() < 0.3 ? { "Retry-After": String(1 + random.below(90)) } : {};
        const json = random.next() < 0.5;
        res.writeHead(status, { "Content-Type": json ? "application/json" : "text/html", ...headers });
        res.end(json ? JSON.stringify({ status: false, message: "Internal Server Error" }) : `<html><body><h1>${status} Bad Gateway</h1></body></html>`);
        return;
      }
      case "429": {
        const seconds = String(1 + random.below(120));
        const inHeader = random.next() < 0.5;
        res.writeHead(429, { "Content-Type": "application/json", ...(inHeader ? { "Retry-After": seconds } : {}) });
        res.end(JSON.stringify({ status: false, message: inHeader ? "Too many requests" : `Too many requests (Retry-After: ${seconds})` }));
        return;
      }
      case "401":
        // The token refused, as TagoIO answers it.
        res.writeHead(401, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ status: false, result: "Authorization denied" }));
        return;
      case "413":
        res.writeHead(413, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ status: false, message: "Payload too large" }));
        return;
      case "html":
        res.writeHead(200, { "Content-Type": "text/html" });
        res.end(PORTAL);
        return;
      case "garbage": {
        const body = new Uint8Array(random.below(4000));
        for (let i = 0; i < body.length; i++) body[i] = random.below(256);
        res.writeHead([200, 201, 202, 302, 404, 500][random.below(6)], { "Content-Type": "application/octet-stream" });
        res.end(body);
        return;
      }
      case "truncated":
        // Promises a whole envelope, sends part of it, and drops the connection.
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "2000" });
        res.write('{"status":true,"result":"1 Data Ad');
        setImmediate(() => res.socket?.destroy());
        return;
      case "huge":
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(HUGE_BYTES) });
        this.stream(res, HUGE_BYTES);
    }
  }

  /** Writes `left` bytes as fast as the client takes them, stopping when it goes away. */
  private stream(res: ServerResponse, left: number): void {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(CHUNK.subarray(0, n))) {
        res.once("drain", () => this.stream(res, left));
        return;
      }
    }
    if (!res.destroyed) res.end();
  }
}
