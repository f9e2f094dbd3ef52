// The Network port: online only while the link has an address and, when requests use TLS, the
// clock has been set by SNTP, so no HTTPS request is attempted before certificate dates can be
// checked. While offline the agent keeps sampling and buffering.

import type { Clock, Network } from "../ports.js";
import type { Link } from "./wifi.js";

export class GatedNetwork implements Network {
  private readonly link: Link;
  private readonly clock: Clock;
  private readonly needsClock: boolean;

  constructor(link: Link, clock: Clock, needsClock: boolean) {
    this.link = link;
    this.clock = clock;
    this.needsClock = needsClock;
  }

  online(): boolean {
    return this.link.up() && (!this.needsClock || this.clock.wallTrusted());
  }
}
