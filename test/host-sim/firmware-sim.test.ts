// The firmware commands without an SDK (CI has none): they say what is missing and exit 2. And
// the reading of the simulator's output, on lines shaped as the Moddable SDK 8.2.3 prints them
// (trace, `instruments key:`/`instruments:` samples of a debug build with no xsbug, exception
// reports), with the run's verdict: lost, doubled and unacknowledged readings.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { findSdk } from "../../host-sim/firmware/sdk.js";
import { acrossBoots, emulatedSleepMs, Instruments, isException, MemoryLog, parseStatus, verdict, wakeAwakeMs, type StoredReading } from "../../host-sim/firmware/sim-output.js";

function command(script: string, args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ["--import", "tsx", `host-sim/firmware/${script}`, ...args], { env, encoding: "utf8" });
}

describe("the firmware commands without an SDK", () => {
  const noSdk = { ...process.env };
  delete noSdk.MODDABLE;

  it("firmware:sim and firmware:esp32 say how to get one and exit 2", () => {
    for (const script of ["sim-cli.ts", "esp32-cli.ts"]) {
      const out = command(script, [], noSdk);
      expect(out.status, script).toBe(2);
      expect(out.stderr).toMatch(/no Moddable SDK: MODDABLE is not set; install the Moddable SDK as its Getting Started guide says/);
      expect(out.stdout).toBe("");
    }
  });

  it("names a MODDABLE that holds no SDK, or one whose Linux tools are not built", () => {
    const dir = mkdtempSync(join(tmpdir(), "not-an-sdk-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    expect(findSdk({ MODDABLE: dir })).toEqual({ ok: false, problem: expect.stringContaining(`no Moddable SDK at MODDABLE=${dir} (no tools/mcconfig there)`) });
    const out = command("sim-cli.ts", ["--duration", "1m"], { ...noSdk, MODDABLE: dir });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain(`MODDABLE=${dir}`);
  });

  it("refuses bad options before looking for the SDK", () => {
    for (const token of ["0b9c7a52-6f0a-4c8e-9d3e-2f1a7b6c5d4e", "my-secret-device-key"]) {
      const out = command("sim-cli.ts", ["--set", `token=${token}`], noSdk);
      expect(out.status).toBe(2);
      expect(out.stderr).toContain("--set token=...: token is set by this command (it runs its own endpoint)");
      expect(out.stderr).not.toContain(token);
    }
    const shape = command("sim-cli.ts", ["--set", "sampleIntervalMs"], noSdk);
    expect(shape.status).toBe(2);
    expect(shape.stderr).toContain("--set sampleIntervalMs: must look like key=value");
    const short = command("sim-cli.ts", ["--duration", "5s"], noSdk);
    expect(short.status).toBe(2);
    expect(short.stderr).toContain("must be a duration of at least 30s");
    const board = command("esp32-cli.ts", ["--board", "lin"], noSdk);
    expect(board.status).toBe(2);
    expect(board.stderr).toContain("expected esp32 or esp32/<board>");
  });
});

const KEY =
  "instruments key: Pixels drawn,Frames drawn,Network bytes read,Network bytes written,Network sockets,Timers,Files," +
  "Poco display list used,Piu command List used,Chunk used,Chunk available,Slot used,Slot available,Stack used," +
  "Stack available,Garbage collections,Keys used,Modules loaded,Parser used,Floating Point,Promises settled";
const sampleLine = (chunk: number, slot: number, stack: number) =>
  `instruments: 0,0,1526,2586,0,2,0,0,0,${chunk},39936,${slot},107840,${stack},12288,70,38,30,0,269,2`;

describe("the simulator's output", () => {
  it("reads the status line the firmware traces, with or without readings filtered or on the wire", () => {
    expect(parseStatus("info: status: [1m10s] idle | sampled 284 | buffered 44 | delivered 240 | dropped 0 | last upload 9s ago | next try in 51s")).toEqual({
      state: "idle",
      sampled: 284,
      buffered: 44,
      delivered: 240,
      dropped: 0,
      filtered: 0,
      onTheWire: 0,
      recovered: 0,
    });
    expect(parseStatus("info: status: [1m00s] uploading | sampled 244 | buffered 244 | delivered 0 | dropped 0 | on the wire 240 | last upload never")).toMatchObject({
      state: "uploading",
      onTheWire: 240,
    });
    expect(parseStatus("info: status: [1m00s] uploading | sampled 300 | buffered 40 | delivered 0 | dropped 0 | filtered 260 | on the wire 40 | last upload never")).toMatchObject({
      filtered: 260,
      onTheWire: 40,
    });
    expect(parseStatus("info: agent: 4 variables every 1000 ms to https://127.0.0.1:8443 as ****4869")).toBeUndefined();
  });

  it("reads the readings a boot recovered from the journal, and the emulated deep sleep's line", () => {
    const line =
      "info: status: [2s] idle | sampled 30 | buffered 30 | delivered 0 | dropped 0 | last upload never | " +
      "journal held 30, recovered 27, corrupt 0, written 1.2 KB, erased 0";
    expect(parseStatus(line)).toMatchObject({ sampled: 30, buffered: 30, recovered: 27 });
    expect(emulatedSleepMs("info: sleep: emulated deep sleep of 1000 ms (the Linux simulator has none): this run ends here")).toBe(1000);
    expect(emulatedSleepMs("info: status: [2s] idle | sampled 30")).toBeUndefined();
    // Sleep mode's measure of each wake, traced at debug level as the wake ends.
    expect(wakeAwakeMs("debug: sleep: wake 12 awake 37 ms, sleeping 963 ms")).toBe(37);
    expect(wakeAwakeMs("debug: sleep: wake 13 (upload) awake 412 ms, sleeping 588 ms")).toBe(412);
    expect(wakeAwakeMs("info: sleep: a reading crossed its alarm threshold; uploading now")).toBeUndefined();
  });

  it("counts XS exception reports, caught or not, and aborts", () => {
    expect(isException("moddable/modules/crypt/ssl/ssl_cert.js:165: exception: throw!")).toBe(true);
    expect(isException("# exception: throw!")).toBe(true);
    expect(isException("XS abort: unhandled exception")).toBe(true);
    expect(isException("SSL: close notify")).toBe(false);
    expect(isException("warn: upload of 20 readings failed: an exception: maybe")).toBe(false);
  });

  it("reads instruments by name and keeps, per stretch, the most heap in use, the heap's size and the deepest stack", () => {
    const instruments = new Instruments();
    expect(instruments.read(sampleLine(1, 2, 3))).toBeUndefined(); // no key line yet
    expect(instruments.read(KEY)).toBeUndefined();
    const log = new MemoryLog(6 * 60_000);
    for (let second = 1; second <= 330; second++) {
      const sample = instruments.read(sampleLine(36_000 + (second % 7) * 100, 100_000 + second, second === 200 ? 9000 : 3488));
      expect(sample).toBeDefined();
      log.add(sample!, second * 1000);
    }
    log.finish(330_000);
    expect(log.figures).toEqual([
      { atMinute: 1, slotUsedMax: 100_060, slotHeap: 107_840, chunkUsedMax: 36_600, chunkHeap: 39_936, stackPeak: 3488 },
      { atMinute: 5, slotUsedMax: 100_300, slotHeap: 107_840, chunkUsedMax: 36_600, chunkHeap: 39_936, stackPeak: 3488 },
      { atMinute: 5.5, slotUsedMax: 100_330, slotHeap: 107_840, chunkUsedMax: 36_600, chunkHeap: 39_936, stackPeak: 3488 },
    ]);
  });

  it("keeps the largest heap of a stretch that spans boots, so what was in use never exceeds the size beside it", () => {
    const instruments = new Instruments();
    instruments.read(KEY);
    const line = (slotUsed: number, slotHeap: number) =>
      `instruments: 0,0,1526,2586,0,2,0,0,0,36000,39936,${slotUsed},${slotHeap},3488,12288,70,38,30,0,269,2`;
    const log = new MemoryLog(2 * 60_000);
    // The first boot's heap grew to 120,000 bytes; the next boot starts afresh with a smaller one.
    for (let second = 1; second <= 30; second++) log.add(instruments.read(line(118_000, 120_000))!, second * 1000);
    for (let second = 31; second <= 60; second++) log.add(instruments.read(line(60_000, 65_536))!, second * 1000);
    expect(log.figures).toEqual([{ atMinute: 1, slotUsedMax: 118_000, slotHeap: 120_000, chunkUsedMax: 36_000, chunkHeap: 39_936, stackPeak: 3488 }]);
  });

  it("finds the deepest stack of the minute before a checkpoint", () => {
    const instruments = new Instruments();
    instruments.read(KEY);
    const log = new MemoryLog(10 * 60_000);
    for (let second = 1; second <= 300; second++) log.add(instruments.read(sampleLine(36_000, 100_000, second === 290 ? 9000 : 3488))!, second * 1000);
    expect(log.figures.map((f) => f.stackPeak)).toEqual([3488, 9000]);
  });
});

describe("the run's verdict", () => {
  const reading = (i: number): StoredReading => ({ variable: "temperature", value: 20 + i / 10, time: new Date(1_800_000_000_000 + i * 1000).toISOString(), group: i.toString(36) });
  const status = { state: "idle" as const, sampled: 12, delivered: 10, dropped: 0, buffered: 2, filtered: 0, onTheWire: 0, recovered: 0 };
  const stored = Array.from({ length: 10 }, (_, i) => reading(i));

  it("passes when every sampled reading is delivered once, dropped or buffered", () => {
    expect(verdict(status, stored)).toEqual({ sampled: 12, delivered: 10, dropped: 0, buffered: 2, filtered: 0, stored: 10, lost: 0, doubled: 0, unacknowledged: 0 });
    expect(verdict({ ...status, sampled: 15, filtered: 3 }, stored)).toMatchObject({ lost: 0 });
  });

  it("counts a delivered reading the store lacks as lost, a repeated one as doubled", () => {
    expect(verdict(status, stored.slice(1))).toMatchObject({ lost: 1, doubled: 0 });
    expect(verdict(status, [...stored, reading(3), reading(4)])).toMatchObject({ lost: 0, doubled: 2, stored: 12 });
  });

  it("counts readings the device cannot account for as lost, and stored but unacknowledged ones apart", () => {
    expect(verdict({ ...status, buffered: 0 }, stored)).toMatchObject({ lost: 2 });
    expect(verdict({ ...status, delivered: 8, buffered: 4 }, stored)).toMatchObject({ lost: 0, unacknowledged: 2 });
  });
});

describe("a run through deep sleeps", () => {
  const boot = (sampled: number, recovered: number, delivered: number, buffered: number) => ({
    state: "idle" as const,
    sampled,
    recovered,
    delivered,
    buffered,
    dropped: 0,
    filtered: 0,
    onTheWire: 0,
  });

  it("counts each reading once, though a boot counts what it recovered from the journal as sampled", () => {
    // Boot 1 samples 3 and sleeps; boot 2 recovers them, samples 3 more, delivers all 6; boot 3 samples 3.
    const total = acrossBoots([boot(3, 0, 0, 3), boot(6, 3, 6, 0), boot(3, 0, 0, 3)]);
    expect(total).toMatchObject({ sampled: 9, delivered: 6, buffered: 3, dropped: 0 });
    expect(total.sampled).toBe(total.delivered + total.dropped + total.buffered + total.filtered);
  });

  it("is the boot itself when there is one", () => {
    expect(acrossBoots([boot(12, 0, 10, 2)])).toEqual(boot(12, 0, 10, 2));
  });
});
