// The wake state's record (wake-state.ts) in a state area on the NOR-flash emulator: what one
// sleep writes the next wake reads back whole, and a record whose fields are not what they must
// be is refused with a warning naming the field (the wake then starts afresh).

import { describe, expect, it } from "vitest";
import { FlashRegion } from "../../firmware/core/flash-region.js";
import { StateArea } from "../../firmware/core/state-area.js";
import { freshWakeState, readWakeState, writeWakeState, type WakeState } from "../../firmware/core/wake-state.js";
import { NorFlash } from "../../firmware/fakes/nor-flash.js";

function area(flash: NorFlash): StateArea {
  const a = new StateArea(new FlashRegion(flash, 1, 2));
  a.read();
  return a;
}

function logged(): { warnings: string[]; logger: { log: (level: string, text: string) => void } } {
  const warnings: string[] = [];
  return { warnings, logger: { log: (level, text) => void (level === "warn" && warnings.push(text)) } };
}

function saved(): WakeState {
  const s = freshWakeState();
  Object.assign(s, { wakes: 40, sinceUpload: 39, lastUpload: 1_767_225_600_050, nextSample: 1_767_228_000_000, landingUnknown: true });
  Object.assign(s.totals, { sampled: 120, delivered: 3, buffered: 117, requests: 1, acknowledged: 1 });
  s.totals.dropped[2] = 5;
  s.journal = {
    schema: 3_498_771_233,
    head: 1,
    tail: 0,
    headGeneration: 7,
    erases: [[2, 1], [59, 0]],
    headEnd: 1410,
    nextSeq: 120,
    floor: 3,
    sectors: [[0, 100, 103, 4096, 1010], [1, 17, 120, 1410, 30]],
    gaps: [10, 12],
    newest: [21.05, null, "on", true],
  };
  return s;
}

describe("wake state", () => {
  it("reads back what the last sleep wrote, with and without the journal's snapshot", () => {
    const flash = new NorFlash({ sectorCount: 3 });
    const { warnings, logger } = logged();
    const full = saved();
    writeWakeState(area(flash), full);
    expect(readWakeState(area(flash), logger)).toEqual(full);
    const bare = saved();
    delete bare.journal;
    writeWakeState(area(flash), bare);
    expect(readWakeState(area(flash), logger)).toEqual(bare);
    expect(warnings).toEqual([]);
  });

  it("refuses a record whose fields are wrong, naming the first, and one of another layout", () => {
    const cases: Array<[unknown, string]> = [
      [{ wakes: 1 }, "the record"],
      [[1, 2, 3, -1, 0, 0, 0, false, [0, 0, 0, 0, 0, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0]]], "uploadNotBefore"],
      [[1, 2, 3, 0, 0, 0, 0, "no", [0, 0, 0, 0, 0, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0]]], "landingUnknown"],
      [[1, 2, 3, 0, 0, 0, 0, false, [0, 0, 0, 0.5, 0, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0]]], "totals.buffered"],
      [[1, 2, 3, 0, 0, 0, 0, false, [0, 0, 0, 0, 0, 0, 0, [0, 0]]], "totals.dropped"],
      [[1, 2, 3, 0, 0, 0, 0, false, [0, 0, 0, 0, 0, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0]], [1, 0, 0, 0, 0, 0, 0, [[1, 2, 3]], [], [], []]], "journal.erases"],
    ];
    for (const [record, field] of cases) {
      const flash = new NorFlash({ sectorCount: 3 });
      area(flash).write(new TextEncoder().encode(JSON.stringify(record)));
      const { warnings, logger } = logged();
      expect(readWakeState(area(flash), logger)).toBeUndefined();
      expect(warnings).toEqual([`sleep: the saved state is not usable (${field}); starting afresh, the journal recovered in full`]);
    }
  });
});
