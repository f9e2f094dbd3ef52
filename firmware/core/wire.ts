// One request on the wire at a time, with the Device-Token. The port bounds the exchange in time;
// a guard timer cancels one the port failed to end. Plain HTTP goes only when the configuration
// says so, with a warning at every request. Every outcome reaches `settled` as an HttpResult: a
// port that throws or rejects, against its contract, counts as a failure before anything was sent.

import type { HttpExchange, HttpMethod, HttpResult, Ports, TimerHandle } from "../ports.js";
import type { AgentConfig } from "./config.js";
import { errorMessage } from "./text.js";

const GUARD_SLACK_MS = 5_000;

export class Wire {
  private readonly config: AgentConfig;
  private readonly ports: Ports;
  private exchange: HttpExchange | undefined;
  private guard: TimerHandle | undefined;

  constructor(config: AgentConfig, ports: Ports) {
    this.config = config;
    this.ports = ports;
  }

  get busy(): boolean {
    return this.exchange !== undefined;
  }

  /**
   * Sends one request; `settled` gets its result once, and `failed` anything `settled` threw (so
   * the caller never stalls).
   */
  send(
    request: { method: HttpMethod; path: string; body: Uint8Array | undefined; maxResponseBytes: number; token: string },
    settled: (result: HttpResult) => void,
    failed: (e: unknown) => void,
  ): void {
    const config = this.config;
    const headers: Array<[string, string]> = request.body === undefined ? [] : [["Content-Type", "application/json"]];
    headers.push(["Device-Token", request.token]);
    if (!config.https) {
      headers.push(["_ssl", "false"]);
      this.ports.logger.log("warn", "upload: plain HTTP (https=false): readings and credentials cross the network unencrypted");
    }
    const end = (result: HttpResult): void => {
      this.exchange = undefined;
      if (this.guard !== undefined) this.ports.timers.clear(this.guard);
      this.guard = undefined;
      settled(result);
    };
    let exchange: HttpExchange;
    try {
      exchange = this.ports.http.request({
        method: request.method,
        tls: config.https,
        host: config.host,
        port: config.port,
        path: request.path,
        headers,
        body: request.body,
        timeoutMs: config.requestTimeoutMs,
        maxResponseBytes: request.maxResponseBytes,
      });
    } catch (e) {
      end({ ok: false, error: "other", message: errorMessage(e), bodySent: false });
      return;
    }
    this.exchange = exchange;
    this.guard = this.ports.timers.set(() => {
      this.guard = undefined;
      exchange.cancel();
    }, config.requestTimeoutMs + GUARD_SLACK_MS);
    exchange.result.then(end, (e: unknown) => end({ ok: false, error: "other", message: String(e), bodySent: false })).catch(failed);
  }

  /** Abandons the exchange on the wire, if any: its result comes back as "cancelled". */
  cancel(): void {
    if (this.exchange !== undefined) this.exchange.cancel();
  }
}
