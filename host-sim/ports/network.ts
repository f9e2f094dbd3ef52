// The network port for the host: online unless a test or the command line switches it off, to play
// Wi-Fi dropping out.

import type { Network } from "../../firmware/ports.js";

export class SwitchableNetwork implements Network {
  private up = true;

  online(): boolean {
    return this.up;
  }

  set(online: boolean): void {
    this.up = online;
  }
}
