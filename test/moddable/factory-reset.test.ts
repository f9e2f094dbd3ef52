// The factory reset over a fake button and the SDK's timers: a hold of FACTORY_RESET.holdMs begun
// within the window after boot clears the store and restarts; a shorter one, or none, does
// nothing and the watch ends with its window; a button that cannot be read ends it too.

import { beforeEach, describe, expect, it } from "vitest";
import { MemoryLogger } from "../../firmware/fakes/memory-logger.js";
import { MemorySettings } from "../../firmware/fakes/memory-settings.js";
import { FACTORY_RESET, factoryReset, watchFactoryReset } from "../../firmware/moddable/factory-reset.js";
import { ModdableTimers } from "../../firmware/moddable/timers.js";
import { TOKEN } from "../support/fixtures.js";
import { FakeTimer } from "./fakes.js";

let timer: FakeTimer;
let logger: MemoryLogger;
let store: MemorySettings;
let restarts: number;
/** Whether the button is down, by time since boot. */
let down: (ms: number) => boolean;

function watch(): void {
  watchFactoryReset(() => down(timer.now), store, () => restarts++, new ModdableTimers(timer, logger), logger);
}

beforeEach(() => {
  timer = new FakeTimer();
  logger = new MemoryLogger();
  store = new MemorySettings({ ssid: "greenhouse", token: TOKEN, sampleIntervalMs: "5000" });
  restarts = 0;
  down = () => false;
});

describe("watchFactoryReset", () => {
  it("clears every stored setting and restarts once the button has been held long enough", () => {
    down = (ms) => ms >= 1_000;
    watch();
    timer.advance(1_000 + FACTORY_RESET.holdMs - FACTORY_RESET.pollMs);
    expect(restarts).toBe(0);
    expect(store.keys()).toHaveLength(3);
    timer.advance(FACTORY_RESET.pollMs);
    expect(restarts).toBe(1);
    expect(store.keys()).toEqual([]);
    expect(logger.text()).toContain("warn setup: factory reset, 3 stored settings removed");
    expect(timer.pending).toBe(0);
  });

  it("ignores a shorter hold, and stops watching when the window ends", () => {
    down = (ms) => ms >= 1_000 && ms < 1_000 + FACTORY_RESET.holdMs - FACTORY_RESET.pollMs;
    watch();
    timer.advance(FACTORY_RESET.windowMs);
    expect(timer.pending).toBe(0);
    expect(restarts).toBe(0);
    expect(store.keys()).toHaveLength(3);
  });

  it("lets a hold begun inside the window finish after it", () => {
    down = (ms) => ms >= FACTORY_RESET.windowMs - 1_000;
    watch();
    timer.advance(FACTORY_RESET.windowMs + FACTORY_RESET.holdMs);
    expect(restarts).toBe(1);
    expect(store.keys()).toEqual([]);
  });

  it("stops when the button cannot be read", () => {
    down = () => {
      throw new Error("pin in use");
    };
    watch();
    timer.advance(FACTORY_RESET.windowMs);
    expect(timer.pending).toBe(0);
    expect(restarts).toBe(0);
    expect(logger.text()).toContain("warn setup: the factory-reset button cannot be read (pin in use)");
  });
});

describe("factoryReset", () => {
  it("removes every stored setting", () => {
    factoryReset(store, logger);
    expect(store.keys()).toEqual([]);
  });
});
