// The driver loop of every portable run: jump the virtual clock from timer to timer up to an end
// time, letting the promise reactions each timer queued run before the next one fires. Portable:
// only promises, so XS and Node interleave the same events in the same order.

import type { VirtualClock } from "../../firmware/fakes/virtual-clock.js";

/** Microtask turns after each timer: more than any chain in the agent or its fakes needs. */
export const TURNS = 8;

export async function runUntil(clock: VirtualClock, endMs: number): Promise<void> {
  while (clock.runNext(endMs)) {
    for (let i = 0; i < TURNS; i++) await undefined;
  }
}
