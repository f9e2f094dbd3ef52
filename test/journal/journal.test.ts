// The flash journal on the NOR emulator: what was appended and not released comes back after a
// reboot, exactly and in order; releases hold; the ring of sectors wraps with an erased sector
// always ahead and even wear; the full policies drop or refuse what they say and count it; torn
// and corrupt frames are skipped and counted, their readings dropped as corrupt; a damaged sector
// header costs no reading; a previous boot's uptime is never sent as a time.

import { describe, expect, it } from "vitest";
import { Journal, journalProblems, type JournalReading } from "../../firmware/core/journal.js";
import { HEADER_BYTES } from "../../firmware/core/frame.js";
import { parseFrame, type Frame } from "../../firmware/core/reading-frame.js";
import type { Flash } from "../../firmware/ports.js";
import { FLAG_GROUPED, FLAG_NO_TIME, FLAG_UPTIME } from "../../firmware/core/ring.js";
import { SeededRandom } from "../../firmware/simulated/prng.js";
import { NorFlash, PowerCut } from "../../firmware/fakes/nor-flash.js";
import { ABC, FIRST_FRAME, Harness, readingsOf, sample, type Sample } from "./harness.js";
import type { Variable } from "../../firmware/core/variables.js";

function readingsOfRange(from: number, to: number): JournalReading[] {
  const out: JournalReading[] = [];
  for (let id = from; id < to; id++) out.push(...readingsOf(sample(id)));
  return out;
}

describe("Journal: append, release, recover", () => {
  it("hands back every unreleased reading after a reboot, exactly and in order", () => {
    const h = new Harness({ sectors: 8 });
    for (let id = 0; id < 50; id++) expect(h.append(sample(id))).toBe(3);
    expect(h.journal.waiting).toBe(150);
    expect(h.take(20)).toEqual(readingsOfRange(0, 50).slice(0, 20));
    h.journal.release(14);
    expect(h.journal.stats().held).toBe(136);

    const j = h.reboot();
    expect(j.recovered).toBe(136);
    expect(j.stats()).toMatchObject({ held: 136, corruptSkipped: 0, foreign: 0 });
    expect(h.take()).toEqual(readingsOfRange(0, 50).slice(14));
  });

  it("never hands back a released reading, across any number of reboots", () => {
    const h = new Harness({ sectors: 7 });
    let next = 0;
    let released = 0;
    for (let boot = 0; boot < 10; boot++) {
      for (let i = 0; i < 12; i++) h.append(sample(next++));
      const taken = h.take(25);
      expect(taken[0]).toEqual(readingsOfRange(0, next)[released]);
      h.journal.release(taken.length - 5);
      released += taken.length - 5;
      h.reboot();
      expect(h.journal.recovered).toBe(next * 3 - released);
    }
    expect(h.take()).toEqual(readingsOfRange(0, next).slice(released));
  });

  it("refuses a flash too small for it, and strings that cannot fit a frame", () => {
    expect(journalProblems(new NorFlash({ sectorCount: 2 }), 256, ABC)).toEqual([expect.stringMatching(/^journal: .*2 sectors/)]);
    expect(journalProblems(new NorFlash({ sectorCount: 8, sectorSize: 128 }), 16, ABC)).toEqual([expect.stringMatching(/^journal: /)]);
    expect(journalProblems(new NorFlash({ sectorCount: 8, sectorSize: 4096 }), 256, ABC)).toEqual([]);
    // 4096 - 30 (header) - 17 (the list) - 20 - 4, over 4 bytes a character.
    expect(journalProblems(new NorFlash({ sectorCount: 8, sectorSize: 4096 }), 2000, ABC)).toEqual([expect.stringMatching(/^maxStringLength: 2000 .*beside the variable list.*at most 1006/)]);
  });

  it("refuses a variable list that leaves a sector no room for readings", () => {
    // 4 + 40 x (1 + 100 + 1 + 25) + 4 bytes.
    const names = Array.from({ length: 40 }, (_, i) => ({ name: "v".repeat(97) + String(i).padStart(3, "0"), unit: "u".repeat(25) }));
    expect(journalProblems(new NorFlash({ sectorCount: 8, sectorSize: 4096 }), 16, names)).toEqual([
      expect.stringMatching(/^variables: the list of 40 variables takes 5088 bytes at the start of every 4096-byte journal sector/),
    ]);
    expect(journalProblems(new NorFlash({ sectorCount: 8, sectorSize: 4096 }), 16, names.slice(0, 20))).toEqual([]);
  });

  it("splits a sample too large for one frame over several", () => {
    const h = new Harness({ sectors: 4, sectorSize: 256, variables: [...ABC, { name: "d" }] });
    const big = { id: 1, variables: [0, 1, 2, 3], values: ["a".repeat(100), "b".repeat(100), "c".repeat(100), 7], time: 1, flags: 0 };
    expect(h.append(big)).toBe(4);
    h.reboot();
    expect(h.take().map((r) => r.value)).toEqual(big.values);
  });
});

describe("Journal: the ring of sectors", () => {
  it("wraps around many times with an erased sector always ahead and wear spread evenly", () => {
    const h = new Harness({ sectors: 5 });
    for (let id = 0; id < 3000; id++) {
      h.append(sample(id));
      h.journal.release(h.take().length);
      expect(h.spareSectors()).toBeGreaterThanOrEqual(1);
      expect(h.journal.stats().held).toBe(0);
    }
    const counts = Array.from(h.flash.eraseCounts);
    expect(Math.min(...counts)).toBeGreaterThan(40);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    h.reboot();
    expect(h.journal.recovered).toBe(0);
    expect(h.droppedLoaded + h.droppedUnloaded).toBe(0);
  });

  it("writes a release frame only when the floor moves, and keeps bytes per reading small", () => {
    const h = new Harness({ sectors: 16, sectorSize: 4096 });
    for (let id = 0; id < 600; id++) {
      h.append({ id, variables: [0, 1, 2], values: [21 + (id % 300) / 100, 45.5 + (id % 7) / 10, 101000 + id], time: 1_780_000_000_000 + id * 1000, flags: FLAG_GROUPED });
      // An upload a minute: 20 samples of 3 readings.
      if (id % 20 === 19) h.journal.release(h.take().length);
    }
    h.journal.release(0);
    const perReading = h.journal.stats().bytesWritten / 1800;
    expect(perReading).toBeGreaterThan(11);
    expect(perReading).toBeLessThan(11.5);
  });
});

describe("Journal: when full", () => {
  it("drop-oldest drops the oldest sector's unreleased readings, counts them, and keeps the newest", () => {
    const h = new Harness({ sectors: 4, whenFull: "drop-oldest" });
    let id = 0;
    for (; id < 20; id++) h.append(sample(id));
    const handedOut = h.take(10);
    for (; id < 200; id++) expect(h.append(sample(id))).toBe(3);
    const dropped = h.droppedLoaded + h.droppedUnloaded;
    expect(h.droppedLoaded).toBe(handedOut.length);
    expect(dropped).toBeGreaterThan(300);
    const held = h.journal.stats().held;
    expect(held).toBe(600 - dropped);
    // Nothing handed out is left: the journal held 3 sectors of data at most.
    expect(held).toBeLessThan((3 * 512) / 11);

    h.reboot();
    expect(h.journal.recovered).toBe(held);
    expect(h.take()).toEqual(readingsOfRange(0, 200).slice(600 - held));
  });

  it("drop-newest refuses new readings when full, keeps the oldest, and takes new ones once a sector is released", () => {
    const h = new Harness({ sectors: 4, whenFull: "drop-newest" });
    let id = 0;
    while (h.append(sample(id)) === 3) id++;
    const kept = id * 3;
    expect(h.droppedLoaded + h.droppedUnloaded).toBe(0);
    expect(h.append(sample(id + 1))).toBe(0);
    expect(h.journal.stats().held).toBe(kept);

    const out = h.take(60);
    expect(out).toEqual(readingsOfRange(0, 20));
    h.journal.release(60);
    // The release frame could not be written (no room), yet the floor is kept and carried.
    let more = 0;
    while (h.append(sample(1000 + more)) === 3) more++;
    expect(more).toBeGreaterThan(0);
    h.reboot();
    expect(h.journal.recovered).toBe(kept - 60 + more * 3);
    expect(h.take().slice(0, 3)).toEqual(readingsOf(sample(20)));
  });
});

describe("Journal: damage", () => {
  it("skips a corrupt frame in the middle, counts it and its readings lost, and recovers the frames around it", () => {
    const h = new Harness({ sectors: 4 });
    for (let id = 0; id < 10; id++) h.append(sample(id));
    const starts: number[] = [];
    for (let at = FIRST_FRAME; starts.length < 10; ) {
      starts.push(at);
      at += (parseFrame(h.flash.bytes, at, 512) as Frame).length;
    }
    h.flash.bytes[starts[4] + 20] ^= 0x04;
    h.flash.bytes[starts[7] + 1] ^= 0x80; // its length: the reader must find the next frame by itself
    h.reboot();
    // Recovered counts every unreleased reading found at boot, the 6 in the two frames among them (dropped, corrupt).
    expect(h.journal.stats()).toMatchObject({ corruptSkipped: 2, recovered: 30, corruptLost: 6, held: 24 });
    expect(h.droppedUnloaded).toBe(6);
    expect(h.take()).toEqual([...readingsOfRange(0, 4), ...readingsOfRange(5, 7), ...readingsOfRange(8, 10)]);
  });

  it("drops and counts readings whose frame rots after boot, and carries on", () => {
    const h = new Harness({ sectors: 4 });
    for (let id = 0; id < 10; id++) h.append(sample(id));
    h.reboot();
    expect(h.journal.recovered).toBe(30);
    h.flash.bytes[FIRST_FRAME + 3 * 30 + 20] ^= 0x10;
    const out = h.take();
    expect(out).toHaveLength(27);
    expect(h.droppedUnloaded).toBe(3);
    expect(h.journal.stats()).toMatchObject({ corruptSkipped: 1, held: 27 });
    h.append(sample(10));
    expect(h.take()).toEqual(readingsOf(sample(10)));
  });

  it("counts a frame that rots after boot as soon as the reader passes it, once, even if releases pass it before a reboot", () => {
    const h = new Harness({ sectors: 4 });
    for (let id = 0; id < 10; id++) h.append(sample(id));
    h.reboot();
    h.flash.bytes[FIRST_FRAME + 3 * 30 + 20] ^= 0x10;
    expect(h.take(12)).toEqual([...readingsOfRange(0, 3), ...readingsOf(sample(4))]);
    expect(h.droppedUnloaded).toBe(3);
    h.journal.release(12);
    h.reboot();
    expect(h.journal.stats()).toMatchObject({ recovered: 15, corruptLost: 0, held: 15 });
    expect(h.droppedUnloaded).toBe(0);
    expect(h.take()).toEqual(readingsOfRange(5, 10));
  });

  it("skips a torn append, counts it, and writes on in a fresh sector", () => {
    const h = new Harness({ sectors: 4 });
    for (let id = 0; id < 5; id++) h.append(sample(id));
    h.flash.armCut(0, 12);
    expect(() => h.append(sample(5))).toThrow(PowerCut);
    h.reboot();
    expect(h.journal.stats().corruptSkipped).toBe(1);
    expect(h.journal.recovered).toBe(15);
    h.append(sample(6));
    h.reboot();
    expect(h.journal.stats().corruptSkipped).toBe(1);
    expect(h.take()).toEqual([...readingsOfRange(0, 5), ...readingsOf(sample(6))]);
  });

  it("brings back neither released nor dropped readings after a torn erase", () => {
    for (const mode of ["released", "dropped"]) {
      for (const atByte of [0, 40, 300, 511]) {
        const nor = new NorFlash({ sectorCount: 4, sectorSize: 512, seed: atByte + 1 });
        let armed = true;
        // Cuts the first erase of a sector that held data: the oldest sector, erased ahead of the writer.
        const flash: Flash = {
          sectorSize: 512,
          sectorCount: 4,
          read: (offset, length) => nor.read(offset, length),
          write: (offset, data) => nor.write(offset, data),
          erase: (sector) => {
            if (armed && nor.eraseCounts[sector] > 0) nor.armCut(0, atByte);
            nor.erase(sector);
          },
        };
        let dropped = 0;
        const open = () => new Journal(flash, { whenFull: "drop-oldest", variables: ABC, onDrop: (l, u) => (dropped += l + u) });
        const journal = open();
        let held: JournalReading[] = [];
        let id = 0;
        expect(() => {
          for (;;) {
            const s = sample(id++);
            journal.append(s.variables, s.values, s.time, s.flags);
            held.push(...readingsOf(s));
            held = held.slice(dropped);
            dropped = 0;
            if (mode === "released") {
              let n = 0;
              for (; journal.peek() !== undefined; n++) journal.take();
              journal.release(n);
              held = [];
            }
          }
        }).toThrow(PowerCut);
        // The drop was reported before the erase began; the sample being appended never got written.
        held = held.slice(dropped);
        nor.powerOn();
        armed = false;
        const back = open();
        const out: JournalReading[] = [];
        for (let r = back.peek(); r !== undefined; r = back.peek()) {
          out.push(r);
          back.take();
        }
        expect(out).toEqual(held);
        if (mode === "dropped") expect(held.length).toBeGreaterThan(0);
      }
    }
  });
});

describe("Journal: damaged sector headers", () => {
  /** A journal of 4 sectors of 512 bytes: samples 0 to `samples`, the first `released` readings released as they come. */
  function filled(samples: number, released: number): Harness {
    const h = new Harness({ sectors: 4 });
    let left = released;
    for (let id = 0; id < samples; id++) {
      h.append(sample(id));
      const n = h.take(left).length;
      h.journal.release(n);
      left -= n;
    }
    return h;
  }

  it("recovers every reading when one bit flips in any sector's header, and brings back nothing released", () => {
    // 14 samples fill one sector, 40 three; with releases the log wraps past sector 0.
    for (const [samples, released] of [[14, 0], [40, 0], [40, 60], [70, 165]]) {
      const reference = filled(samples, released);
      reference.reboot();
      const expected = reference.take();
      expect(expected).toEqual(readingsOfRange(0, samples).slice(released));
      for (let sector = 0; sector < 4; sector++) {
        for (const byte of [1, 5, 13, 19, 23]) {
          const h = filled(samples, released);
          h.flash.bytes[sector * 512 + byte] ^= 0x02;
          h.reboot();
          const why = `${samples} samples, ${released} released, sector ${sector} byte ${byte}`;
          expect(h.take(), why).toEqual(expected);
          expect(h.droppedUnloaded, why).toBe(0);
          // And it writes on: a new sample comes back after another reboot, behind the others.
          h.append(sample(samples));
          h.reboot();
          expect(h.take(), why).toEqual([...expected, ...readingsOf(sample(samples))]);
        }
      }
    }
  });

  it("brings back no release made as a sector was opened, should the new sector's header rot", () => {
    const opened = (b: Uint8Array) => [0, 1, 2, 3].filter((s) => b[s * 512 + 12] !== 0xff);
    const h = new Harness({ sectors: 4 });
    let seen = 0;
    for (let id = 0; id < 300; id++) {
      h.append(sample(id));
      const before = opened(h.flash.bytes);
      h.journal.release(h.take().length);
      const sector = opened(h.flash.bytes).find((s) => !before.includes(s));
      if (sector === undefined) continue;
      // That release found no room left in the head: the next sector's header took its floor.
      seen++;
      const copy = new NorFlash({ sectorCount: 4, sectorSize: 512 });
      copy.bytes.set(h.flash.bytes);
      copy.bytes[sector * 512 + 19] ^= 0x02;
      const back = new Journal(copy, { whenFull: "drop-oldest", variables: ABC, onDrop: () => undefined });
      expect(back.recovered, `sample ${id}`).toBe(0);
    }
    expect(seen).toBeGreaterThan(0);
  });

  it("counts the readings of a sector whose frames were wiped as lost to corruption, not silently", () => {
    const h = filled(40, 0);
    const lost: number[] = [];
    h.flash.bytes.fill(0, 512 + HEADER_BYTES, 1024);
    const j = new Journal(h.flash, { whenFull: "drop-oldest", variables: ABC, onDrop: (l, u, corrupt) => lost.push(l, u, corrupt ? 1 : 0) });
    expect(lost).toEqual([0, 42, 1]);
    expect(j.recovered).toBe(120);
    expect(j.stats()).toMatchObject({ held: 78, damagedHeaders: 0 });
  });

  it("reports a flash whose headers are all unreadable instead of taking it for an empty one", () => {
    const h = filled(40, 0);
    h.flash.bytes.fill(0);
    h.reboot();
    expect(h.journal.stats()).toMatchObject({ recovered: 0, damagedHeaders: 4 });
  });
});

describe("Journal: time and schema", () => {
  it("sends a previous boot's uptime readings without time, grouped apart; keeps wall times", () => {
    const h = new Harness({ sectors: 4 });
    h.append(sample(1, FLAG_UPTIME | FLAG_GROUPED, 5_000));
    h.append(sample(2, FLAG_UPTIME | FLAG_GROUPED, 6_000));
    h.append(sample(3));
    // In the boot that took them, uptime readings keep their uptime (they can still be rebased).
    expect(h.take(1)[0]).toMatchObject({ time: 5_000, flags: FLAG_UPTIME | FLAG_GROUPED });
    h.reboot();
    const back = h.take();
    expect(back).toHaveLength(9);
    for (const r of back.slice(0, 6)) {
      expect(r.flags & FLAG_UPTIME).toBe(0);
      expect(r.flags & FLAG_NO_TIME).toBe(FLAG_NO_TIME);
      expect(r.time).toBeGreaterThanOrEqual(2 ** 47);
    }
    expect(new Set(back.slice(0, 6).map((r) => r.time)).size).toBe(2);
    expect(back.slice(6)).toEqual(readingsOf(sample(3)));
  });

  const THP: Variable[] = [{ name: "temperature", unit: "°C" }, { name: "humidity", unit: "%" }, { name: "pressure", unit: "Pa" }];
  const TPH: Variable[] = [THP[0], THP[2], THP[1]];
  /** A reading as sent: its value under the name and unit it was taken with. */
  const named = (j: Journal, r: JournalReading) => ({ ...j.variablesOf(r.list)[r.variable], value: r.value });
  const namedOf = (list: Variable[], s: Sample) => s.values.map((value, i) => ({ ...list[s.variables[i]], value }));

  it("hands out readings journaled under another variable list with that list, and back again", () => {
    const h = new Harness({ sectors: 4, variables: THP });
    for (let id = 0; id < 5; id++) h.append(sample(id));
    h.variables = TPH;
    h.reboot();
    expect(h.journal.stats()).toMatchObject({ recovered: 15, foreign: 15, held: 15, corruptLost: 0 });
    h.append(sample(10));
    h.append(sample(11));
    const taken = h.take();
    expect(taken.map((r) => named(h.journal, r))).toEqual([
      ...[0, 1, 2, 3, 4].flatMap((id) => namedOf(THP, sample(id))),
      ...namedOf(TPH, sample(10)),
      ...namedOf(TPH, sample(11)),
    ]);
    expect(taken.slice(15).every((r) => r.list === 0)).toBe(true);
    // Back to the first list: its readings are this boot's list again, the others the earlier one.
    h.variables = THP;
    h.reboot();
    expect(h.journal.stats()).toMatchObject({ recovered: 21, foreign: 6, held: 21 });
    const again = h.take();
    expect(again.slice(0, 15).every((r) => r.list === 0)).toBe(true);
    expect(again.map((r) => named(h.journal, r))).toEqual([
      ...[0, 1, 2, 3, 4].flatMap((id) => namedOf(THP, sample(id))),
      ...namedOf(TPH, sample(10)),
      ...namedOf(TPH, sample(11)),
    ]);
  });

  it("takes a unit changed as another list", () => {
    const h = new Harness({ sectors: 4, variables: THP });
    h.append(sample(0));
    h.variables = [{ name: "temperature", unit: "K" }, THP[1], THP[2]];
    h.reboot();
    expect(h.journal.stats()).toMatchObject({ recovered: 3, foreign: 3 });
    expect(named(h.journal, h.take(1)[0])).toEqual({ name: "temperature", unit: "°C", value: sample(0).values[0] });
  });

  it("takes a rotted list frame's list from another sector with the same id; with none left, counts its readings corrupt", () => {
    const h = new Harness({ sectors: 6, variables: THP });
    let id = 0;
    while (h.journal.stats().held < 100) h.append(sample(id++));
    const size = h.flash.sectorSize;
    const listed = [...Array(6).keys()].filter((s) => h.flash.bytes[s * size + HEADER_BYTES] === 0x3c);
    expect(listed.length).toBeGreaterThanOrEqual(3);
    h.flash.bytes[listed[0] * size + HEADER_BYTES + 6] ^= 0x08;
    h.variables = TPH;
    h.reboot();
    expect(h.journal.stats()).toMatchObject({ recovered: 3 * id, foreign: 3 * id, corruptLost: 0 });
    expect(h.take().map((r) => named(h.journal, r))).toEqual([...Array(id).keys()].flatMap((i) => namedOf(THP, sample(i))));

    // Every copy rotted: the readings no list names are dropped as corrupt, and counted.
    const g = new Harness({ sectors: 6, variables: THP });
    for (let i = 0; i < id; i++) g.append(sample(i));
    for (const s of listed) g.flash.bytes[s * size + HEADER_BYTES + 6] ^= 0x08;
    g.variables = TPH;
    g.reboot();
    const stats = g.journal.stats();
    expect(stats).toMatchObject({ recovered: 3 * id, foreign: 0, held: 0, corruptLost: 3 * id });
    expect(g.droppedUnloaded).toBe(3 * id);
    expect(g.take()).toEqual([]);
    // New readings go on under this boot's list.
    g.append(sample(100));
    expect(g.take().map((r) => named(g.journal, r))).toEqual(namedOf(TPH, sample(100)));
  });
});

describe("Journal: against a model", () => {
  it("matches a plain list through random appends, hand-outs, releases, drops and reboots", () => {
    for (let seed = 1; seed <= 12; seed++) {
      const random = new SeededRandom(seed);
      const h = new Harness({ sectors: 3 + (seed % 4), sectorSize: 256 + 64 * (seed % 3) });
      let model: JournalReading[] = [];
      let loaded = 0;
      let id = 0;
      // Any write (a release frame too) may need the oldest sector when full: drops come first.
      const applyDrops = () => {
        const dropped = h.droppedLoaded + h.droppedUnloaded;
        expect(h.droppedLoaded).toBe(Math.min(dropped, loaded));
        model = model.slice(dropped);
        loaded -= h.droppedLoaded;
        h.droppedLoaded = h.droppedUnloaded = 0;
      };
      for (let step = 0; step < 1500; step++) {
        const op = random.next();
        if (op < 0.5) {
          const s = sample(id++);
          expect(h.append(s)).toBe(3);
          model.push(...readingsOf(s));
          applyDrops();
        } else if (op < 0.75) {
          const out = h.take(random.below(20));
          expect(out).toEqual(model.slice(loaded, loaded + out.length));
          loaded += out.length;
        } else if (op < 0.97) {
          const n = random.below(loaded + 1);
          h.journal.release(n);
          model = model.slice(n);
          loaded -= n;
          applyDrops();
        } else {
          h.reboot();
          loaded = 0;
          expect(h.journal.recovered).toBe(model.length);
        }
        expect(h.journal.stats().held).toBe(model.length);
        expect(h.journal.waiting).toBe(model.length - loaded);
      }
    }
  });
});
