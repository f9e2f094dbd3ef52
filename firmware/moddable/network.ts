// The Network port: online only while the link has an address and, when requests use TLS, the
// clock has been set by SNTP, so no HTTPS request is attempted before certificate dates can be
// checked. While offline the agent keeps sampling and buffering. In sleep mode the link is not
// started at boot: `up()` starts it, on the wakes that upload, so the others never power the radio.

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

  up(): void {
    this.link.start?.();
  }
}
