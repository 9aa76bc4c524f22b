/**
 * Loop versioning (js/compiler/instrument.ts versionLoop) changes no modelled
 * cycle: a counted loop runs an unchecked copy only for the trips that end
 * before the clock's deadline, charging what the checked loop charges. The
 * same app built with and without it (BuildOptions.loopVersioning) must give
 * the same console, trace and final cycle, however the host slices the run,
 * wherever an interrupt lands, and when a loop traps (the fault's cycle).
 * Nor does charging a copy's pure trips at once (instrument.ts hoistTrip),
 * nor the inlining of call-free functions after Asyncify (transform.ts).
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { build, type BuildResult } from "../../js/compiler/build.js";
import { Machine } from "../../js/host/machine.js";
import { firmware, codeSection } from "./support.js";

const ROOT = path.resolve(__dirname, "../..");
const KERNELS = fs.readFileSync(path.join(ROOT, "tests", "fidelity", "kernels.ts"), "utf8");

// The fidelity kernels, loops with breaks, unequal paths, signed and empty ranges, a
// division in the body, a loop long enough to span SysTick periods, and two tasks
// that trap inside a loop (division by zero, an access past the end of memory).
const APP = KERNELS + `
import { task, time, irq, debug } from "hoprt";
let hits: u32 = 0;
let sink: u32 = 0;
function onIrq(): void { hits++; }
function divTrap(arg: u32): void {
  let s: u32 = 0;
  for (let i: u32 = 0; i < 100; i++) s += 100000 / (arg - i);
  sink = s;
}
function oobTrap(arg: u32): void {
  let s: u32 = 0;
  const end = (<usize>memory.size() << 16) - (<usize>arg << 2);
  for (let i: u32 = 0; i < 1000; i++) s += load<u32>(end + (<usize>i << 2));
  sink = s;
}
function mixed(n: u32, a: usize): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (i & 1) s += i * 7; else s ^= load<u32>(a + (<usize>(i & 255) << 2));
    if (s == 0x1234567) break;
  }
  return s;
}
function divisions(n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) s += 1000000 / (i + 1);
  return s;
}
function signedRange(lo: i32, hi: i32): i32 {
  let s: i32 = 0;
  for (let i = lo; i < hi; i++) s += i * 3;
  return s;
}
function find(a: usize, n: u32, key: u32): i32 {
  let at: i32 = -1;
  for (let i: u32 = 0; i < n; i++) {
    if (load<u32>(a + (<usize>i << 2)) == key) { at = <i32>i; break; }
  }
  return at;
}
function clocked(n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) s += <u32>time.cycles();
  return s;
}
function say(what: string, value: u32): void {
  debug.print(what + " " + value.toString() + " at " + time.cycles().toString());
}
function run(arg: u32): void {
  const a = heap.alloc(1024), b = heap.alloc(1024), c = heap.alloc(1024);
  for (let i: u32 = 0; i < 256; i++) { store<u32>(a + (<usize>i << 2), i * 2654435761); store<f32>(b + (<usize>i << 2), <f32>i * 0.5); }
  debug.mark(1);
  for (let round: u32 = 0; round < 3; round++) {
    say("count", count(1000 + round * 700, round));
    say("crc", crc32(a, 256 + round * 100, 0));
    copyWords(c, a, 256);
    say("dot", <u32>dot(a, b, 64));
    insertionSort(c, 64);
    firQ15(a, b, c + 512, 32, 16);
    say("fmt", formatU32(1234567890 + round, c + 600, c + 700));
    say("mixed", mixed(3000, a));
    say("div", divisions(500));
    say("signed", <u32>signedRange(-500 + <i32>round, 700));
    say("empty", <u32>signedRange(5, 3));
    say("find", <u32>find(a, 256, (200 + round) * 2654435761));
    say("clocked", clocked(50));
  }
  debug.mark(2);
  say("long", count(60000, 7));
  say("hits", hits);
}
export function main(): void {
  irq.attach(5, onIrq, 2);
  irq.enable(5);
  task.build().entry(divTrap).arg(40).priority(3).name("divTrap").spawn();
  task.build().entry(oobTrap).arg(64).priority(3).name("oobTrap").spawn();
  task.build().entry(run).priority(5).name("run").spawn();
}
`;

const TOTAL = 3_000_000n;

let on: BuildResult;
let off: BuildResult;
let plainCalls: BuildResult;

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-loop-versioning-"));
  try {
    const app = path.join(dir, "app.ts");
    fs.writeFileSync(app, APP);
    on = await build({ app, sourceLines: false });
    off = await build({ app, sourceLines: false, loopVersioning: false });
    plainCalls = await build({ app, sourceLines: false, speedInlining: false });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

const text = (m: Machine, end?: bigint) => m.trace.events()
  .filter((e) => e.kind !== "run_stop" && (end === undefined || e.cycle < end))
  .map((e) => `${e.cycle} ${e.kind} ${e.context} ${e.a} ${e.b} ${e.c}`).join("\n");

function whole(wasm: Uint8Array, irqAt?: bigint, total = TOTAL): Machine {
  const m = Machine.loadSync(wasm);
  if (irqAt !== undefined) m.irq.schedule(5, irqAt);
  m.runFor(total);
  return m;
}

describe("loop versioning changes no modelled cycle", () => {
  it("versions the counted loops, and only those", () => {
    const versioned = (suffix: string) => on.report.functions.filter((f) => f.name.endsWith(suffix)).reduce((n, f) => n + f.versionedLoops, 0);
    for (const name of ["/crc32", "/count", "/copyWords", "/dot", "/firQ15", "/mixed", "/signedRange", "/find", "/divTrap", "/oobTrap", "/run"]) {
      expect(versioned(name), name).toBeGreaterThan(0);
    }
    // crc32: its outer loop (with the 8-trip inner loop inside) and the inner loop of its checked copy.
    expect(versioned("/crc32")).toBe(2);
    expect(off.report.functions.every((f) => f.versionedLoops === 0)).toBe(true);
    // A copy's pure trips (local arithmetic only) are charged all at once before their loop: the counting
    // loop, the signed range, crc32's 8-trip bit loop (in both of its copies); never a trip that loads,
    // stores, divides (it may trap: the budget must be exact there) or branches on data.
    const hoisted = (suffix: string) => on.report.functions.filter((f) => f.name.endsWith(suffix)).reduce((n, f) => n + f.hoistedLoops, 0);
    for (const name of ["/count", "/signedRange"]) expect(hoisted(name), name).toBeGreaterThan(0);
    expect(hoisted("/crc32")).toBe(2);
    for (const name of ["/copyWords", "/dot", "/firQ15", "/mixed", "/find", "/divTrap", "/oobTrap", "/divisions", "/clocked"]) expect(hoisted(name), name).toBe(0);
    expect(off.report.functions.every((f) => f.hoistedLoops === 0)).toBe(true);
    expect(Buffer.compare(Buffer.from(on.wasm), Buffer.from(off.wasm))).not.toBe(0);
    // The same check points (none added or lost) and the same interrupt-latency bound.
    const points = (r: BuildResult) => r.report.functions.reduce((n, f) => n + f.checkPoints, 0);
    expect(points(on)).toBe(points(off));
    expect(on.report.bounds).toEqual(off.report.bounds);
  });

  it("the same console, trace and final cycle, the two traps' cycles included", () => {
    // Stack use too: the copies add no local that Asyncify saves when a context is suspended.
    expectSameRun(whole(on.wasm), whole(off.wasm));
  });

  // The names match tests/host/slicing.test.ts's, so the firmware cache serves the versioned builds.
  for (const [name, file] of [["example-demo", "examples/demo/app.ts"], ["hardrt", "tests/host/apps/hardrt.ts"]]) {
    it(`${name}: the same console, trace and final cycle`, async () => {
      const source = fs.readFileSync(path.join(ROOT, file), "utf8");
      const a = whole(await firmware(name, source), 700_000n, 12_000_000n);
      const b = whole(await firmware(name, source, { loopVersioning: false }), 700_000n, 12_000_000n);
      expect(a.trace.events().length).toBeGreaterThan(100);
      expect(a.console.lines).toEqual(b.console.lines);
      expect(text(a) === text(b), `${name}: the traces differ`).toBe(true);
      expect(a.cycles).toBe(b.cycles);
      expect(a.tasks()).toEqual(b.tasks());
      expect(a.memory()).toEqual(b.memory());
    }, 120_000);
  }

  it("a host slice ending at every cycle of a stretch of versioned loops gives one trace", () => {
    // Each slice length from 1,500 to 1,700 cycles puts the deadlines at other cycles of the loops.
    const end = 600_000n;
    const reference = whole(off.wasm, undefined, end);
    const differing: number[] = [];
    for (let slice = 1500; slice <= 1700; slice++) {
      const m = Machine.loadSync(on.wasm);
      while (m.cycles < end) m.runFor(slice);
      if (text(m, end) !== text(reference, end)) differing.push(slice);
    }
    expect(differing).toEqual([]);
    expect(reference.panics().length).toBe(2);
  });

  it("an interrupt at every cycle of a versioned loop's stretch enters at the same cycle", () => {
    const mark = whole(off.wasm).trace.events().find((e) => e.kind === "user_mark" && e.a === 1)!;
    const differing: bigint[] = [];
    let entered = 0;
    for (let at = mark.cycle + 50n; at < mark.cycle + 650n; at++) {
      const a = whole(on.wasm, at, at + 3_000n);
      const b = whole(off.wasm, at, at + 3_000n);
      if (text(a) !== text(b)) differing.push(at);
      if (a.trace.events().some((e) => e.kind === "isr_enter" && e.a === 16 + 5)) entered++;
    }
    expect(differing).toEqual([]);
    expect(entered).toBe(600);
  });
});

describe("the inlining after Asyncify (transform.ts) changes nothing modelled", () => {
  it("the same console, trace, final cycle, stack use and trap reports; fewer functions", () => {
    expect(Buffer.compare(Buffer.from(on.wasm), Buffer.from(plainCalls.wasm))).not.toBe(0);
    // Small call-free helpers inlined into every caller are gone as functions.
    expect(countFunctions(on.wasm)).toBeLessThan(countFunctions(plainCalls.wasm));
    // Asyncify saves the same bytes (a suspended task holds the same stack), and a trap is still
    // reported in the application's function (no instrumented function is inlined).
    expectSameRun(whole(on.wasm, 700_000n), whole(plainCalls.wasm, 700_000n));
  });
});

/** Two builds ran the same: console, trace, final cycle, stack use, memory, and the two traps' reports. */
function expectSameRun(a: Machine, b: Machine): void {
  expect(a.console.lines.some((l) => l.startsWith("hits "))).toBe(true);
  expect(a.console.lines).toEqual(b.console.lines);
  expect(text(a) === text(b)).toBe(true);
  expect(a.cycles).toBe(b.cycles);
  expect(a.tasks()).toEqual(b.tasks());
  expect(a.memory()).toEqual(b.memory());
  expect(a.panics().map((p) => p.message)).toEqual(["divide by zero in app/divTrap", "memory access out of bounds in app/oobTrap"]);
  expect(a.panics()).toEqual(b.panics());
}

/** The functions a module defines (its code section's count, the section's first LEB128). */
function countFunctions(wasm: Uint8Array): number {
  const code = codeSection(wasm);
  let n = 0, shift = 0, j = 0;
  for (;;) { const byte = code[j++]; n |= (byte & 0x7f) << shift; shift += 7; if (byte < 0x80) return n; }
}
