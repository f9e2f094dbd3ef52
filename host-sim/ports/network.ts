// The network port for the host: online unless a test or the command line switches it off, to play
// Wi-Fi dropping out. It counts the times the radio came up (joins), for the energy model: the
// returns after an outage and, in sleep mode, each upload wake's `up` (the first start is the host's to add).

import type { Network } from "../../firmware/ports.js";

export class SwitchableNetwork implements Network {
  /** Times the radio came up and joined. */
  joins = 0;
  private connected = true;

  online(): boolean {
    return this.connected;
  }

  /** The radio comes up: a join, whether or not the network is there to join. */
  up(): void {
    this.joins++;
  }

  /** Back after an outage counts as a join. */
  set(online: boolean): void {
    if (online && !this.connected) this.joins++;
    this.connected = online;
  }
}
