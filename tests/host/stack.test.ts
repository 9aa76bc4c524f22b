import { describe, it, expect } from "vitest";
import { buildApp, machine, ofKind } from "./support.js";
import { Machine } from "../../js/host/machine.js";

// A deep task suspended in the middle of its recursion, next to a shallow one.
const DEEP = `
import { task, time, debug } from "hoprt";
function recurse(n: u32, acc: u32): u32 {
  if (n == 0) { let x: u32 = 0; for (let i: u32 = 0; i < 100000; i++) x += i ^ acc; return x; } // several ticks: a tick lands inside
  return recurse(n - 1, acc * 3 + n) + 1;
}
function deep(arg: u32): void {
  for (let k = 0; k < 3; k++) { debug.print("r " + recurse(arg, 1).toString()); time.sleepMs(1); }
  while (true) time.sleepMs(1000);
}
function spin(arg: u32): void { while (true) {} }
export function main(): void {
  task.build().entry(deep).arg(60).priority(5).name("deep").staticStack(8192).spawn();
  task.build().entry(spin).arg(0).priority(5).name("spin").spawn();
}
`;

// 16 priority levels, each handler with a few hundred bytes of frames, each pending the next higher one.
const NESTING = `
import { irq, mmio, debug } from "hoprt";
const LEVELS: i32 = 16;
let entered: i32 = 0;
let order = "";
function frames(n: u32, acc: u64): u64 {
  if (n == 0) return acc;
  const a = acc * 31 + <u64>n; const b = a ^ (a >> 7); const c = b * 17;
  return frames(n - 1, c) + a - b;
}
function handler(): void {
  const line = <i32>(mmio.read32(0xE000ED04) & 0x1FF) - 16;
  entered++;
  const before = frames(12, <u64>line);
  if (line + 1 < LEVELS) irq.pend(line + 1);
  const after = frames(12, <u64>line);
  order += line.toString() + (before == after ? "" : "!") + " ";
}
export function main(): void {
  for (let i = 0; i < LEVELS; i++) {
    irq.attach(i, handler, <u8>(LEVELS - 1 - i));
    irq.enable(i);
  }
  irq.pend(0);
  debug.print("entered " + entered.toString());
  debug.print(order);
}
`;

describe("stack: saved state is physical", () => {
  it("a suspended task occupies its frames plus its saved state, in its own stack, no more", async () => {
    const m = await machine("stack-deep", DEEP);
    m.runFor("60ms");
    expect(m.console.lines.filter((l) => l.startsWith("r "))).toHaveLength(3);
    expect(m.panics()).toEqual([]);
    const deep = m.tasks().find((t) => t.name === "deep")!;
    // Suspended inside a 60-deep recursion: its saved state (exception frame + Asyncify data) is counted.
    expect(deep.savePeak).toBeGreaterThan(32 + 60 * 4);
    expect(deep.stackPeak).toBeGreaterThan(deep.savePeak + 60 * 8);
    // Now it sleeps: what it occupies is what it needs there, the exception frame included.
    expect(deep.stackUsed).toBeGreaterThan(32);
    expect(deep.stackUsed).toBeLessThan(deep.stackPeak / 4);
    expect(deep.stackPeak).toBeLessThan(8192);
    // A task's memory is its control block and its stack: no save area of the stack's size.
    expect(deep.stackBytes).toBe(8192);
    const create = ofKind(m.trace.events(), "task_create").find((e) => m.taskNames.get(e.context) === "deep")!;
    expect(create.b).toBe(8192);
  });

  it("handlers nest to all 16 priority levels, each suspended with a few hundred bytes of frames", async () => {
    const m = await machine("stack-nesting", NESTING);
    m.runFor("2ms");
    expect(m.panics()).toEqual([]);
    expect(m.console.lines).toEqual([
      "entered 16",
      "15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 ",
    ]);
    // Sixteen handlers active at once.
    let depth = 0, deepest = 0;
    for (const e of ofKind(m.trace.events(), "isr_enter", "isr_exit")) {
      if (e.a < 16) continue;
      depth += e.kind === "isr_enter" ? 1 : -1;
      deepest = Math.max(deepest, depth);
    }
    expect(deepest).toBe(16);
  });
});

const STATS = `
import { task, time, debug, stack } from "hoprt";
let base: i32 = 0;
let deepest: i32 = 0;
function recurse(n: u32): u32 {
  if (n == 0) { deepest = stack.used(); return 0; }
  return recurse(n - 1) + n;
}
function sleeper(arg: u32): void { while (true) time.sleepMs(10); }
function measured(arg: u32): void {
  base = stack.used();
  recurse(10);
  debug.print("frames " + (deepest - base).toString());
  debug.print("peak>=deepest " + (stack.peak() >= deepest ? "yes" : "no"));
  debug.print("other " + stack.used(2).toString() + " " + stack.peak(2).toString());
  // Machine-wide: idle's static stack plus what the two live segmented tasks hold (main has ended, its stacklets freed).
  const held = stack.stackletsOf(2) + stack.stackletsOf();
  debug.print("none " + stack.used(99).toString() + " stacklets " + (stack.stacklets() - 1 - held).toString() + " held " + (held >= 2 ? "yes" : "no") + " extensions " + (stack.extensions() >= held ? "yes" : "no"));
}
export function main(): void {
  task.build().entry(sleeper).priority(3).name("sleeper").spawn();
  task.build().entry(measured).priority(4).name("measured").spawn();
}
`;

describe("stack statistics", () => {
  it("stack.used/peak count frames exactly, and a suspended task's saved state", async () => {
    const result = await buildApp("stack-stats", STATS);
    const frame = result.report.functions.find((f) => f.name.endsWith("stack-stats/recurse"))!.frameBytes;
    const { Machine } = await import("../../js/host/machine.js");
    const m = Machine.loadSync(result.wasm);
    m.runFor("5ms");
    const sleeper = m.tasks().find((t) => t.name === "sleeper")!;
    expect(m.console.lines).toEqual([
      `frames ${11 * frame}`,          // recurse(10) .. recurse(0): eleven frames
      "peak>=deepest yes",
      `other ${sleeper.stackUsed} ${sleeper.stackPeak}`,
      "none -1 stacklets 0 held yes extensions yes",
    ]);
    // The sleeper is suspended: what it holds includes its exception frame and saved state.
    expect(sleeper.stackUsed).toBeGreaterThan(sleeper.savePeak - 1);
    expect(sleeper.savePeak).toBeGreaterThan(32);
  });
});

// Tasks blocked in each kind of wait, at the bottom of their own code.
const BLOCKED = `
import { task, time, Semaphore, Channel, Mutex } from "hoprt";
const sem = new Semaphore(1, 0);
const inbox = new Channel<u32>(2);
const full = new Channel<u32>(1);
const held = new Mutex();
function sleeper(arg: u32): void { time.sleepMs(1000000); }
function taker(arg: u32): void { sem.take(); }
function receiver(arg: u32): void { inbox.receive(); }
function sender(arg: u32): void { full.send(1); full.send(2); }
function locker(arg: u32): void { held.lock(); }
export function main(): void {
  held.lock();
  task.build().entry(sleeper).priority(9).name("sleeper").spawn();
  task.build().entry(taker).priority(9).name("taker").spawn();
  task.build().entry(receiver).priority(9).name("receiver").spawn();
  task.build().entry(sender).priority(9).name("sender").spawn();
  task.build().entry(locker).priority(9).name("locker").spawn();
  time.sleepMs(1000000);
}
`;

describe("stack: a blocked task's saved state", () => {
  it("holds its own frames and the one kernel call it waits in, not the kernel's bookkeeping below it", async () => {
    const built = await buildApp("stack-blocked", BLOCKED);
    // What a function holds while its code runs: its frame and AssemblyScript's shadow-stack pushes below it.
    const held = (suffix: string) => {
      const found = built.report.functions.filter((f) => f.name.endsWith(suffix));
      expect(found.map((f) => f.name), suffix).toHaveLength(1);
      return found[0].frameBytes + found[0].shadowBytes;
    };
    const m = Machine.loadSync(built.wasm);
    m.runFor("5ms");
    expect(m.panics()).toEqual([]);
    // The kernel call each waits in; the queue and timing-wheel bookkeeping (waitqueue.ts enqueueCurrent,
    // time.ts fileSleeper) has returned before the switch.
    const waits: Array<[string, string[]]> = [
      ["sleeper", ["kernel/time/sleepMs"]], ["taker", ["Semaphore#take"]], ["receiver", ["Channel<u32>#receive"]],
      ["sender", ["Channel<u32>#send"]], ["locker", ["Mutex#lock", "Mutex#acquire"]],
    ];
    for (const [name, calls] of waits) {
      const t = m.tasks().find((task) => task.name === name)!;
      // Suspended once, there: its saved state is the largest it has had.
      const frames = t.stackUsed - t.savePeak;
      const chain = ["kernel/task/taskMain", `stack-blocked/${name}`, ...calls].reduce((sum, f) => sum + held(f), 0);
      expect(frames, name).toBe(chain);
    }
  });
});
