/**
 * The host trusts nothing the firmware writes: corrupt probe rings, long
 * console lines, a full alarm queue, a machine that makes no progress,
 * huge run lengths and schedule cycles, missing exports, boot failures.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { firmware } from "./support.js";
import { Machine, trapSite } from "../../js/host/machine.js";
import { MAX_RUN_CYCLES, MAX_CYCLE } from "../../js/host/units.js";
import { HOST_ALARM_SLOTS } from "../../js/host/peripherals.js";

const APP = `
import { task, time, debug } from "hoprt";
function ticker(arg: u32): void {
  for (let i = 0; ; i++) { debug.print("tick " + i.toString()); time.sleepMs(10); }
}
export function main(): void { task.build().entry(ticker).name("ticker").spawn(); }
`;

// Lines longer than the console ring (16 KiB), printed from a task and (one) during static initialisation.
const LONG = fs.readFileSync(path.join(__dirname, "apps", "long-lines.ts"), "utf8");

const PANICKY = `
import { task, time, debug } from "hoprt";
function bad(arg: u32): void { time.sleepMs(1); assert(false, "boom"); }
export function main(): void { task.build().entry(bad).name("bad").spawn(); }
`;

let wasm: Uint8Array, long: Uint8Array, panicky: Uint8Array;
beforeAll(async () => {
  wasm = await firmware("untrusted-ticker", APP);
  long = await firmware("untrusted-long", LONG);
  panicky = await firmware("untrusted-panicky", PANICKY);
});

function consoleRing(m: Machine) {
  const base = (m.exports as any).hoprt_console_base() as number;
  const view = new DataView(m.exports.memory.buffer);
  return { base, view, written: view.getUint32(base, true), capacity: view.getUint32(base + 8, true) };
}

async function patched(bytes: Uint8Array, edit: (binaryen: any, mod: any) => void): Promise<Uint8Array> {
  const binaryen = (await import("binaryen")).default;
  const mod = binaryen.readBinary(bytes);
  edit(binaryen, mod);
  return mod.emitBinary();
}

describe("a corrupt probe ring is a clear error, never a crash, hang or replay", () => {
  it("a console record whose length word is 0x7FFFFFF0", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("15ms");
    expect(m.console.lines).toEqual(["tick 0", "tick 1"]);
    const { base, view, written, capacity } = consoleRing(m);
    const at = base + 16 + (written % capacity);
    view.setUint8(at, 1);
    view.setUint32(at + 4, 0x7FFFFFF0, true);
    view.setUint32(base, written + 16, true);
    const message = /the firmware's console ring is corrupt: the record at byte \d+ says it holds 2147483632 bytes, but only 8 were written/;
    expect(() => m.runFor("1ms")).toThrow(message);
    // Every later call gives the same error.
    expect(() => m.runFor("1ms")).toThrow(message);
    expect(() => m.cycles).toThrow(message);
    expect(() => m.irq.raise(3)).toThrow(message);
    expect(() => m.tasks()).toThrow(message);
    expect(m.console.lines).toEqual(["tick 0", "tick 1"]);
  });

  it("a bumped console counter does not replay old lines", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("15ms");
    const { base, view, written, capacity } = consoleRing(m);
    view.setUint32(base, written + capacity + 1, true);
    expect(() => m.drain()).toThrow(/console ring is corrupt: its written counter moved from \d+ to \d+ \(16385 new bytes, more than the 16384 it holds\)/);
    expect(m.console.lines).toEqual(["tick 0", "tick 1"]);
  });

  it("a console record of an unknown kind, and a trace counter moved back", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("15ms");
    const { base, view, written, capacity } = consoleRing(m);
    const at = base + 16 + (written % capacity);
    view.setUint8(at, 9);
    view.setUint32(at + 4, 0, true);
    view.setUint32(base, written + 8, true);
    expect(() => m.drain()).toThrow(/console ring is corrupt: the record at byte \d+ has kind 9 \(expected 1\.\.5\)/);

    const t = Machine.loadSync(wasm);
    t.runFor("15ms");
    const events = t.trace.events().length;
    const tb = (t.exports as any).hoprt_trace_base() as number;
    const tv = new DataView(t.exports.memory.buffer);
    tv.setUint32(tb, tv.getUint32(tb, true) - 1, true);
    expect(() => t.drain()).toThrow(/trace ring is corrupt: its written counter moved from \d+ to \d+ \(4294967295 new records/);
    expect(() => t.trace.events()).toThrow(/trace ring is corrupt/);
    expect(events).toBeGreaterThan(10);
  });

  it("a ring outside memory stops the machine at its first look", async () => {
    const bad = await patched(wasm, (binaryen, mod) => {
      mod.removeExport("hoprt_console_base");
      mod.addFunction("cb", binaryen.none, binaryen.i32, [], mod.i32.const(0x7FFF_FF00));
      mod.addFunctionExport("cb", "hoprt_console_base");
    });
    const m = Machine.loadSync(bad);
    expect(() => m.runFor(100)).toThrow(/the firmware's console ring is invalid: its header at 2147483392 is outside memory/);
    expect(() => m.runFor(100)).toThrow(/console ring is invalid/);
  });
});

describe("console lines of any length", () => {
  const expected = ["short", "x".repeat(12000) + "|end", "y".repeat(2048), "z".repeat(1024), "after", "w".repeat(9000)];

  it("arrive whole (even ones longer than the ring) and the same however the host slices the run; one that cannot fit while nothing can drain is dropped whole, counted and traced", () => {
    const whole = Machine.loadSync(long);
    whole.runFor("20ms");
    const sliced = Machine.loadSync(long);
    for (let i = 0; i < 1000; i++) sliced.runFor(2100);
    sliced.runFor(20 * 168_000 - 1000 * 2100);
    for (const m of [whole, sliced]) {
      expect(m.console.lines).toEqual(expected);
      // The boot line (static initialisation: the ring cannot be drained) is 20,010 bytes, more than the 16 KiB ring.
      expect(m.console.dropped).toBe(1);
      expect(m.trace.events().filter((e) => e.kind === "console_drop").map((e) => [e.a, e.b, e.c])).toEqual([[1, 20010, 1]]);
      expect(m.console.splits).toBe(0);
    }
    const end = sliced.cycles < whole.cycles ? sliced.cycles : whole.cycles;
    const model = (m: Machine) => m.trace.events().filter((e) => e.kind !== "run_stop" && e.cycle < end);
    expect(model(sliced)).toEqual(model(whole));
    expect(model(whole).length).toBeGreaterThan(50);
  });

  it("longer than maxLineLength: delivered in pieces, with a split event", () => {
    const m = Machine.loadSync(long, { maxLineLength: 8000 });
    const splits: unknown[] = [];
    m.console.on("split", (s) => splits.push(s));
    m.runFor("20ms");
    const long1 = "x".repeat(12000) + "|end";
    // Pieces end at the firmware's record boundaries (1024 characters), once at least maxLineLength came.
    expect(m.console.lines.slice(1, 3)).toEqual([long1.slice(0, 8192), long1.slice(8192)]);
    expect(m.console.lines.length).toBe(1 + 2 + 3 + 2);
    expect(splits).toEqual([{ context: expect.any(Number), pieces: 2, chars: 12004 }, { context: expect.any(Number), pieces: 2, chars: 9000 }]);
    expect(m.console.splits).toBe(2);
  });
});

describe("console records the firmware could not write", () => {
  it("are counted where the host sees them, from the ring's dropped counter", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("5ms");
    const { base, view } = consoleRing(m);
    view.setUint32(base + 12, view.getUint32(base + 12, true) + 3, true);
    m.runFor("10ms");
    expect(m.console.dropped).toBe(3);
    expect(m.console.lines).toEqual(["tick 0", "tick 1"]);
  });
});

describe("host-scheduled injections have their own alarm slots", () => {
  it(`${HOST_ALARM_SLOTS} pending injections are allowed, one more is refused at the call, and the firmware's own alarms keep working`, () => {
    const m = Machine.loadSync(wasm);
    m.runFor("1ms");
    for (let i = 0; i < HOST_ALARM_SLOTS / 2; i++) m.irq.schedule(40, 10n ** 12n + BigInt(i));
    for (let i = 0; i < HOST_ALARM_SLOTS / 2; i++) m.gpio("PE3").setAt(10n ** 12n + BigInt(i), i & 1);
    expect(() => m.irq.schedule(40, 10n ** 12n)).toThrow(/irq\.schedule: the host's alarm slots are full \(64 scheduled injections pending\)/);
    expect(() => m.gpio("PE3").setAt(10n ** 12n, 1)).toThrow(/setAt: the host's alarm slots are full/);
    m.runFor("50ms");
    // SysTick and the sleeping task's wake-ups still run.
    expect(m.console.lines.length).toBe(6);
    expect(m.panics()).toEqual([]);
  });

  it("a slot is free again once its injection fired", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("1ms");
    const now = m.cycles;
    for (let i = 0; i < HOST_ALARM_SLOTS; i++) m.irq.schedule(40, now + 1000n + BigInt(i));
    m.runFor(2000);
    for (let i = 0; i < HOST_ALARM_SLOTS; i++) m.irq.schedule(40, m.cycles + 1000n);
    expect(() => m.irq.schedule(40, m.cycles + 5n)).toThrow(/alarm slots are full/);
  });
});

describe("bounded run lengths and schedule cycles", () => {
  it("refuses huge, fractional and non-numeric lengths and cycles with a RangeError or TypeError", () => {
    const m = Machine.loadSync(wasm);
    expect(() => m.runFor(1e30)).toThrow(RangeError);
    expect(() => m.runFor(1e30)).toThrow(/more than the most one run may last \(9007199254740991 cycles\)/);
    expect(() => m.runFor(2n ** 63n)).toThrow(RangeError);
    expect(() => m.runFor("99999999999999999999999")).toThrow(/more than the most one run may last/);
    expect(() => m.runFor("99999999999999999999999s")).toThrow(/more than the most one run may last/);
    expect(() => m.runFor("1.5cycles")).toThrow(/cycles are whole numbers/);
    expect(() => m.irq.schedule(5, 2n ** 64n)).toThrow(/beyond the last cycle the clock reaches \(4611686018427387904\)/);
    expect(() => m.irq.schedule(5, "100" as any)).toThrow(TypeError);
    expect(() => m.irq.schedule(5, 1e300)).toThrow(RangeError);
    expect(() => m.gpio("PA0").setAt(MAX_CYCLE + 1n, 1)).toThrow(RangeError);
    expect(() => m.uart(2).writeAt("7" as any, "x")).toThrow(TypeError);
    expect(MAX_RUN_CYCLES).toBe(2n ** 53n - 1n);
    // The machine is untouched by the refusals.
    const r = m.runFor("25ms");
    expect(m.console.lines).toEqual(["tick 0", "tick 1", "tick 2"]);
    expect(r.reason).toBe("cycles");
  });
});

describe("a firmware the host cannot trust to behave", () => {
  it("whose clock never advances: runFor stops with an error instead of spinning", async () => {
    const frozen = await patched(wasm, (binaryen, mod) => {
      mod.removeExport("hoprt_cycles");
      mod.addFunction("frozen", binaryen.none, binaryen.i64, [], mod.i64.const(5, 0));
      mod.addFunctionExport("frozen", "hoprt_cycles");
    });
    const m = Machine.loadSync(frozen);
    expect(() => m.runFor("1ms")).toThrow(/runFor: the machine makes no progress: 1000 runs in a row returned "cycles" without its clock advancing \(stuck at cycle 5\)/);
    expect(() => m.runFor("1ms")).toThrow(/makes no progress/);
  });

  it("whose hoprt_run returns an unknown stop reason", async () => {
    const odd = await patched(wasm, (binaryen, mod) => {
      mod.removeExport("hoprt_run");
      mod.addFunction("odd", binaryen.createType([binaryen.i64]), binaryen.i32, [], mod.i32.const(7));
      mod.addFunctionExport("odd", "hoprt_run");
    });
    expect(() => Machine.loadSync(odd).runFor(100)).toThrow(/hoprt_run returned 7, which is not a stop reason/);
  });

  it("that lacks an export the host uses is refused at load, naming it", async () => {
    const partial = await patched(wasm, (_b, mod) => { mod.removeExport("hoprt_uart_push"); mod.removeExport("hoprt_task_info"); });
    expect(() => Machine.loadSync(partial)).toThrow("Machine.load: not a HopRT firmware (missing exports hoprt_task_info, hoprt_uart_push)");
  });

  it("that fails to boot: every later call gives the same clear error", async () => {
    const bootfail = await firmware("untrusted-bootfail", `import { debug } from "hoprt";\nassert(false, "no boot");\nexport function main(): void { debug.print("x"); }\n`);
    const m = Machine.loadSync(bootfail);
    const message = /the firmware failed while booting: no boot/;
    expect(() => m.runFor("1ms")).toThrow(message);
    expect(() => m.runFor("1ms")).toThrow(message);
    expect(() => m.gpio("PA0").set(1)).toThrow(message);
    expect(() => m.uart(2).write("x")).toThrow(message);
    expect(() => m.irq.schedule(3, 100)).toThrow(message);
    expect(() => m.tick()).toThrow(message);
    expect(() => m.memory()).toThrow(message);
  });
});

describe("bounded host memory", () => {
  it("keeps a bounded window of trace events; panics(), tasks() and listeners do not depend on it", () => {
    const m = Machine.loadSync(wasm, { traceWindow: 100 });
    let seen = 0;
    m.trace.on("event", () => seen++);
    m.runFor("200ms");
    expect(m.trace.events().length).toBe(100);
    expect(m.trace.discarded).toBe(seen - 100);
    expect(seen).toBeGreaterThan(1000);

    const off = Machine.loadSync(panicky, { collectTrace: false });
    off.runFor("5ms");
    expect(off.trace.events()).toEqual([]);
    expect(off.panics().map((p) => [p.where, p.reason, p.message])).toEqual([["task bad", "abort", expect.stringMatching(/^boom \(.*app\.ts:\d+\)$/)]]);
    const on = Machine.loadSync(panicky);
    on.runFor("5ms");
    expect(off.panics()).toEqual(on.panics());
    expect(off.tasks({ ended: true }).filter((t) => !t.alive).map((t) => [t.name, t.ended])).toEqual([["main", "exited"], ["bad", "panicked"]]);
  });
});

describe("trap sites", () => {
  it("name the trapping function, and the application function that called library code", () => {
    const v8 = new Error("x");
    v8.stack = "RuntimeError: memory access out of bounds\n    at ~lib/util/memory/memcpy (wasm://wasm/0005de4a:wasm-function[12]:0x110)\n    at app/copy (wasm://wasm/0005de4a:wasm-function[195]:0x110de)\n    at ~lib/hoprt/machine/hoprt_run (wasm://wasm/0005de4a:wasm-function[86]:0x4c87)";
    expect(trapSite(v8)).toBe("~lib/util/memory/memcpy (called from app/copy)");
    const firefox = new Error("x");
    firefox.stack = "app/faulty@wasm://wasm/0005de4a:wasm-function[195]:0x110de\n~lib/hoprt/kernel/task/taskMain@wasm://wasm/0005de4a:wasm-function[160]:0xbd69";
    expect(trapSite(firefox)).toBe("app/faulty");
    expect(trapSite(new Error("no wasm frames"))).toBeUndefined();
  });
});
