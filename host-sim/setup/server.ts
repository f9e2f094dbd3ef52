// The set-up page in the host simulator: the same SetupSite a board serves from its access point,
// on Node's http server (no access point, no DNS: a browser opens the printed URL), offering a
// simulated list of nearby networks. `saved` resolves once good settings are stored and the
// confirmation has been sent: where a board would restart.
// Policy when failing: a body over MAX_FORM_BYTES is answered 413 at once; the rest is read and dropped.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { NearbyNetwork } from "../../firmware/core/setup-form.js";
import { SetupSite, type SetupResponse } from "../../firmware/core/setup-site.js";
import type { SettingsStore } from "../../firmware/ports.js";

/** What the simulated Wi-Fi scan finds. */
export const SIMULATED_NETWORKS: readonly NearbyNetwork[] = [
  { ssid: "greenhouse", rssi: -52, secure: true },
  { ssid: "barn-2.4GHz", rssi: -67, secure: true },
  { ssid: "farm-guest", rssi: -79, secure: false },
];

export interface SetupServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** The address to listen on; loopback unless told otherwise. */
  listen?: string;
  networks?: readonly NearbyNetwork[];
}

export interface SetupServer {
  url: string;
  /** Resolves once settings were stored and the confirmation sent. */
  saved: Promise<void>;
  close(): Promise<void>;
}

export async function serveSetup(store: SettingsStore, options: SetupServerOptions): Promise<SetupServer> {
  const listen = options.listen ?? "127.0.0.1";
  const networks = options.networks ?? SIMULATED_NETWORKS;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, listen, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${listen.includes(":") ? `[${listen}]` : listen}:${port}`;
  const site = new SetupSite({ store, networks: () => networks, origin });
  let markSaved = (): void => {};
  const saved = new Promise<void>((resolve) => (markSaved = resolve));

  const send = (res: ServerResponse, answer: SetupResponse): void => {
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(answer.body, () => {
      if (answer.restart) markSaved();
    });
  };

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let refused = false;
    // Answered at once and the rest of the body read and dropped: nothing of it is kept.
    const refuse = (): void => {
      refused = true;
      res.setHeader("Connection", "close");
      send(res, site.tooLarge());
    };
    if (!site.accepts(Number(req.headers["content-length"] ?? 0))) refuse();
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      bytes += chunk.length;
      if (site.accepts(bytes)) chunks.push(chunk);
      else refuse();
    });
    req.on("end", () => {
      if (!refused) send(res, site.respond(req.method ?? "GET", req.url ?? "/", Buffer.concat(chunks).toString("utf8")));
    });
  });
  return {
    url: `${origin}/`,
    saved,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
