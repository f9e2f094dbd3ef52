// The Health port on Node: free memory is what V8's heap may still grow by
// (`total_available_size`: the figure closest to a device's free heap, unlike the heap's current
// slack); the boot count and reset reason are the simulated device's own, which made every boot
// (when it knows them all). No Wi-Fi here, so no RSSI.

import { getHeapStatistics } from "node:v8";
import type { Health } from "../../firmware/ports.js";

/** Why a simulated device booted. */
export type ResetReason = "power-on" | "reboot" | "power-cut" | "deep-sleep";

/** The health of a boot: its number (undefined when earlier boots are unknown) and why it came. */
export function nodeHealth(boot: number | undefined, reason: ResetReason): Health {
  return {
    freeMemory: () => getHeapStatistics().total_available_size,
    bootCount: () => boot,
    resetReason: () => reason,
  };
}
