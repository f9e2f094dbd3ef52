// The HTTP port on node:https (node:http only for tls=false). Each exchange is bounded in time by
// one real timer over connect, TLS, send and receive, and in bytes: past `maxResponseBytes` reading
// stops and the socket is destroyed, so a huge answer is never buffered. Every failure resolves as
// a TransportErrorKind; nothing rejects or throws.
// Trust: the system roots, or the given CA (PEM) instead of them. Verification is off only when the
// host passes verifyTls=false from an explicit configuration, and that is logged as a warning.
// Connections are kept alive (one agent per client) so back-to-back uploads skip the handshake; an
// idle socket is closed after 4 s, before common servers drop it (Node's default is 5 s), so a
// reused socket is rarely found dead.

import * as http from "node:http";
import * as https from "node:https";
import type { HttpClient, HttpExchange, HttpRequest, HttpResult, Logger, TransportErrorKind } from "../../firmware/ports.js";
import { errorMessage } from "../../firmware/core/text.js";

const IDLE_SOCKET_MS = 4_000;

export interface NodeHttpOptions {
  logger: Logger;
  /** Trust anchor(s) in PEM, used instead of the system roots. */
  ca?: string;
  /** Where `ca` came from, for error messages (e.g. the file path). */
  caName?: string;
  /** Defaults to true; false must come from an explicit configuration. */
  verifyTls?: boolean;
  /** What to tell the user when the server's chain is not trusted, e.g. "give --ca <file>". */
  trustHint?: string;
}

/** OpenSSL verification results that mean "no trusted root for this chain". */
const UNTRUSTED_CHAIN = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
]);

const NETWORK_KINDS: Readonly<Record<string, TransportErrorKind>> = {
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_FAIL: "dns",
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  ECONNABORTED: "reset",
  ETIMEDOUT: "timeout",
};

interface NodeError {
  code?: unknown;
  message?: unknown;
  /** A host-name mismatch: the certificate the server sent. */
  cert?: { subjectaltname?: unknown };
}

/** The names a certificate covers, from Node's "DNS:localhost, IP Address:127.0.0.1". */
function certificateNames(cert: NodeError["cert"]): string {
  const names = typeof cert?.subjectaltname === "string" ? cert.subjectaltname : "";
  return names.replace(/(DNS|IP Address):/g, "") || "none";
}

function isTlsError(code: string, text: string): boolean {
  return (
    code.startsWith("ERR_SSL_") ||
    code.startsWith("ERR_TLS_") ||
    UNTRUSTED_CHAIN.has(code) ||
    /CERT|SIGNATURE|HOSTNAME_MISMATCH/.test(code) ||
    text.includes("SSL routines")
  );
}

function lowerCaseHeaders(raw: readonly string[]): Record<string, string> {
  // Null prototype: header names come from an untrusted server.
  const out: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i].toLowerCase()] = raw[i + 1];
  return out;
}

export class NodeHttpClient implements HttpClient {
  private readonly verifyTls: boolean;
  private readonly caGiven: boolean;
  private readonly trustName: string;
  private readonly trustHint: string;
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;
  /** Connections opened (a TLS handshake each over https), for the energy model's counts. */
  connections = 0;
  private readonly sockets = new WeakSet<object>();

  constructor(options: NodeHttpOptions) {
    this.verifyTls = options.verifyTls ?? true;
    this.caGiven = options.ca !== undefined;
    this.trustName = options.ca === undefined ? "the system roots" : (options.caName ?? "the given CA");
    this.trustHint = options.trustHint ?? "give the server's root CA (PEM)";
    if (!this.verifyTls) {
      options.logger.log("warn", "tls: certificate verification is OFF (verifyTls=false): any server can pose as this endpoint");
    }
    const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    this.httpsAgent = new https.Agent({ ...agentOptions, ca: options.ca, rejectUnauthorized: this.verifyTls });
    this.httpAgent = new http.Agent(agentOptions);
  }

  request(request: HttpRequest): HttpExchange {
    let resolve!: (result: HttpResult) => void;
    const result = new Promise<HttpResult>((r) => (resolve = r));
    let done = false;
    /** Every byte of the request was flushed to the socket ('finish'): the server may have it whole. */
    let bodySent = false;
    let outgoing: http.ClientRequest | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    /** Ends the exchange once; `abandon` destroys the socket (anything but a fully read answer). */
    const finish = (r: HttpResult, abandon: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (abandon) outgoing?.destroy();
      resolve(r);
    };
    const fail = (error: TransportErrorKind, message: string): void => finish({ ok: false, error, message, bodySent }, true);

    try {
      const headers: Record<string, string | number> = {};
      for (const [name, value] of request.headers) headers[name] = value;
      if (request.body !== undefined) headers["Content-Length"] = request.body.length;
      const options: https.RequestOptions = {
        method: request.method,
        host: request.host,
        port: request.port,
        path: request.path,
        headers,
      };
      outgoing = request.tls
        ? https.request({ ...options, agent: this.httpsAgent })
        : http.request({ ...options, agent: this.httpAgent });
      timer = setTimeout(
        () => fail("timeout", `no complete answer from ${request.host}:${request.port} within ${request.timeoutMs} ms`),
        request.timeoutMs,
      );
      outgoing.on("error", (e: NodeError) => {
        const { error, message } = this.describe(e, request);
        fail(error, message);
      });
      outgoing.on("socket", (socket) => {
        if (this.sockets.has(socket)) return;
        this.sockets.add(socket);
        this.connections++;
      });
      outgoing.on("finish", () => (bodySent = true));
      outgoing.on("response", (incoming: http.IncomingMessage) => this.read(incoming, request.maxResponseBytes, finish, () => bodySent));
      outgoing.end(request.body);
    } catch (e) {
      fail("other", errorMessage(e));
    }
    return { result, cancel: () => fail("cancelled", "cancelled") };
  }

  /** Closes idle kept-alive sockets so the process can exit; the client still works (a deep sleep closes them too). */
  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  private read(incoming: http.IncomingMessage, max: number, finish: (r: HttpResult, abandon: boolean) => void, bodySent: () => boolean): void {
    const chunks: Buffer[] = [];
    let size = 0;
    const answer = (truncated: boolean): HttpResult => ({
      ok: true,
      response: {
        status: incoming.statusCode ?? 0,
        headers: lowerCaseHeaders(incoming.rawHeaders),
        body: Buffer.concat(chunks, size),
        truncated,
      },
    });
    incoming.on("data", (chunk: Buffer) => {
      if (size + chunk.length > max) {
        chunks.push(chunk.subarray(0, max - size));
        size = max;
        finish(answer(true), true);
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    incoming.on("end", () => finish(answer(false), false));
    incoming.on("error", (e: NodeError) => finish({ ok: false, error: "reset", message: `answer cut off: ${String(e.message)}`, bodySent: bodySent() }, true));
    incoming.on("close", () => {
      if (!incoming.complete) finish({ ok: false, error: "reset", message: "connection closed before the answer ended", bodySent: bodySent() }, true);
    });
  }

  private describe(e: NodeError, request: HttpRequest): { error: TransportErrorKind; message: string } {
    const code = typeof e.code === "string" ? e.code : "";
    const text = typeof e.message === "string" ? e.message : String(e);
    const where = `${request.host}:${request.port}`;
    if (isTlsError(code, text)) {
      // OpenSSL's own errors read "write EPROTO 80...:error:0A00010B:SSL routines:fn:reason:file:line".
      // What to do comes first and the whole stays short: the agent cuts messages at 160 characters.
      const reason = /SSL routines:[^:]*:([^:]+)/.exec(text)?.[1] ?? text.trim();
      const context = `(${where}, trusting ${this.trustName})`;
      let message = `${reason} ${context}`;
      if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
        message =
          `the server's certificate does not name ${request.host} (it names ${certificateNames(e.cert)}; ${where}); ` +
          `a local endpoint adds the name with --name ${request.host}`;
      } else if (UNTRUSTED_CHAIN.has(code)) {
        // A CA was given (the hint would repeat the option): say that it is the wrong one.
        message = this.caGiven ? `${this.trustName} did not sign the server's certificate (${reason}; ${where})` : `${reason}: ${this.trustHint} ${context}`;
      } else if (/wrong version number/i.test(text)) message = `${reason}: is the server speaking plain HTTP? ${context}`;
      return { error: "tls", message };
    }
    const kind = NETWORK_KINDS[code] ?? (text === "socket hang up" ? "reset" : "other");
    const withCode = code !== "" && !text.includes(code) ? `${text} (${code})` : text;
    return { error: kind, message: text.includes(where) ? withCode : `${withCode} at ${where}` };
  }
}
