/**
 * First-stacklet hints (assembly/kernel/stack/stacklet.ts): a task's first
 * stacklet is held for the task's life; once a task of one kind (its entry
 * function; a breathing task's wait function) has been suspended in its
 * first stacklet, the next tasks of that kind get first stacklets sized to
 * what it held then, not the guess for a kind never seen waiting. And the
 * stacklet pool gives a block back before an allocation its return would
 * evict it for, so the two are never held at once.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { Machine } from "../../js/host/machine.js";
import { firmware, ofKind } from "./support.js";
import type { TraceEvent } from "../../js/host/trace.js";

const APP = `
import { task, time, debug } from "hoprt";
function nest(n: u32, ms: u32): u32 {
  if (n == 0) { time.sleepMs(ms); return 1; }
  return nest(n - 1, ms) + 1;
}
// Waits in a sleep; arg 1 and up wait that many calls deeper.
function waiter(arg: u32): void {
  while (true) {
    if (arg == 0) time.sleepMs(3);
    else nest(arg * 8, 3);
  }
}
function other(arg: u32): void { while (true) time.sleepMs(5); }
class State { n: u32 = 0; }
function init(arg: u32): State { return new State(); }
function wait(s: State): u32 { time.sleepMs(4); return s.n++; }
function work(s: State, item: u32): void { if (item == 0xFFFFFFFF) debug.print("never"); }
function recurse(n: u32, acc: u32): u32 { if (n == 0) return acc; return recurse(n - 1, acc ^ n) + 1; }
// A deep phase after a wait: p1's comes after p0's, both first stacklets taken before either.
function phase(arg: u32): void {
  time.sleepMs(1 + arg);
  recurse(30, arg);
  while (true) time.sleepMs(5);
}
let deepDone: u32 = 0;
// Twice: the second pass wants one stacklet of the size the first learned, bigger than the pooled one.
function deep(arg: u32): void { recurse(arg, arg); recurse(arg, arg + 1); deepDone++; }
export function main(): void {
  for (let i = 0; i < 4; i++) task.build().entry(waiter).arg(0).priority(5).name("w" + i.toString()).spawn();
  task.build().entry(other).priority(5).name("other").spawn();
  for (let i = 0; i < 2; i++) task.build().entry(phase).arg(i).priority(5).name("p" + i.toString()).spawn();
  for (let i = 0; i < 3; i++) task.buildBreathing<State>().init(init).wait(wait).work(work).priority(5).name("b" + i.toString()).spawn();
  time.sleepMs(10);
  // A waiter that waits deeper than its kind's hint, and one spawned after it.
  task.build().entry(waiter).arg(1).priority(5).name("deeper").spawn();
  time.sleepMs(10);
  task.build().entry(waiter).arg(0).priority(5).name("after").spawn();
  time.sleepMs(10);
  task.build().entry(deep).arg(60).priority(4).name("d60").spawn();
  time.sleepMs(2);
  debug.print("deep " + deepDone.toString());
  while (true) time.sleepMs(100);
}
`;

// More kinds than the hint table keeps (16): two rounds of one task per kind, each waiting
// at its own depth (kind k waits 2k calls deep: deeper than the kinds before it by more than
// a hint's margin), so every hint is overwritten before it is used.
const KINDS = 20;
const MANY_KINDS = `
import { task, time, debug } from "hoprt";
function nest(n: u32): void { if (n == 0) time.sleepMs(2); else nest(n - 1); }
let rounds: u32 = 0;
${Array.from({ length: KINDS }, (_, k) => `function kind${k}(arg: u32): void { while (true) { nest(${2 * k}); rounds++; } }`).join("\n")}
const kinds: ((arg: u32) => void)[] = [${Array.from({ length: KINDS }, (_, k) => `kind${k}`).join(", ")}];
export function main(): void {
  for (let r = 0; r < 2; r++) {
    for (let k = 0; k < ${KINDS}; k++) task.build().entry(kinds[k]).priority(5).name("k" + k.toString() + "r" + r.toString()).spawn();
    time.sleepMs(5);
  }
  time.sleepMs(20);
  debug.print("rounds " + rounds.toString());
}
`;

describe("first-stacklet hints and the pool's early release", () => {
  let wasm: Uint8Array;
  beforeAll(async () => {
    wasm = await firmware("stacklet-first-hint", APP);
  }, 300_000);

  /** Per task name: the bytes of its first stacklet (the first it took). */
  function firstStacklets(m: Machine, events: TraceEvent[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of ofKind(events, "stacklet_alloc")) {
      const name = m.nameAt(e.context, e.cycle);
      if (!out.has(name)) out.set(name, e.a);
    }
    return out;
  }

  it("the first task of a kind gets the guess; the next ones of its kind get what it held waiting", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("8ms");
    expect(m.panics()).toEqual([]);
    const first = firstStacklets(m, m.trace.events());
    const tasks = new Map(m.tasks().map((t) => [t.name, t]));
    const guess = first.get("w0")!;
    expect(guess).toBeGreaterThan(256);
    for (const name of ["w1", "w2", "w3"]) {
      const bytes = first.get(name)!;
      // Sized to w0's waiting state (frames + saved state), the margin, the metadata and TLSF's
      // header and rounding: well under the guess, and it holds the task's wait.
      expect(bytes).toBeLessThan(guess - 64);
      expect(bytes).toBeGreaterThanOrEqual(tasks.get(name)!.stackUsed + 28);
      expect(bytes).toBeLessThanOrEqual(tasks.get("w0")!.stackUsed + 28 + 16 + 32);
      // Waiting, it holds that one stacklet and no save block.
      expect(tasks.get(name)!.stacklets).toBe(1);
    }
    // Another kind knows nothing of the waiters: the guess.
    expect(first.get("other")).toBe(guess);
    // Breathing tasks are of their wait function's kind: b0 the guess, the next ones hinted.
    expect(first.get("b0")!).toBeGreaterThan(256);
    for (const name of ["b1", "b2"]) {
      expect(first.get(name)!).toBeLessThan(first.get("b0")!);
      expect(first.get(name)!).toBeLessThanOrEqual(tasks.get("b0")!.stackUsed + 28 + 16 + 32);
      expect(tasks.get(name)!.stacklets).toBe(1);
    }
    // Every byte of stack memory is in the stacklets: no task's saved state needed a block.
    const mem = m.memory();
    expect(mem.stackDynamicBytes).toBe(mem.stackletBytes);
  });

  it("a task's first deep phase takes one stacklet the size its kind's deep phases have held, not a chain", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("8ms");
    expect(m.panics()).toEqual([]);
    const takes = (name: string) => ofKind(m.trace.events(), "stacklet_alloc").filter((e) => m.nameAt(e.context, e.cycle) === name);
    // p0 learned its 30 levels a stacklet at a time; p1, of its kind, takes one that holds what
    // p0's took (and one more for the levels its tighter first stacklet does not hold).
    expect(takes("p0").length).toBeGreaterThan(4);
    expect(takes("p1").length).toBeLessThanOrEqual(3);
    expect(takes("p1")[1].a).toBeGreaterThan(20 * 16);
  });

  it("more kinds than the table keeps: every task waits as its kind's first did, none sized by another kind's hint", async () => {
    const m = Machine.loadSync(await firmware("stacklet-many-kinds", MANY_KINDS, { maxTasks: 64 }));
    m.runFor("40ms");
    expect(m.panics()).toEqual([]);
    const rounds = Number(m.console.lines.find((l) => l.startsWith("rounds "))!.split(" ")[1]);
    // Every task keeps waking (each sleeps 2 ms, for 25 ms and more).
    expect(rounds).toBeGreaterThanOrEqual(2 * KINDS * 5);
    const tasks = m.tasks().filter((t) => /^k\d+r\d$/.test(t.name));
    expect(tasks.length).toBe(2 * KINDS);
    const byName = new Map(tasks.map((t) => [t.name, t]));
    for (let k = 0; k < KINDS; k++) {
      // Round two's task of a kind holds what round one's does: no other kind's hint sized it.
      const [one, two] = [byName.get(`k${k}r0`)!, byName.get(`k${k}r1`)!];
      expect([k, two.stacklets]).toEqual([k, one.stacklets]);
      // The shallow waits (up to 6 calls deep) fit in one stacklet, the guess's or their own kind's.
      if (k <= 3) expect(two.stacklets).toBe(1);
    }
  }, 120_000);

  it("a task waiting deeper than its kind's hint runs on, its wait in a stacklet above its first", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("40ms");
    expect(m.panics()).toEqual([]);
    const events = m.trace.events();
    const first = firstStacklets(m, events);
    const tasks = new Map(m.tasks().map((t) => [t.name, t]));
    const deeper = tasks.get("deeper")!;
    // It waits 8 calls deeper than w0 each time: more than its hinted first stacklet holds.
    expect(deeper.stackUsed).toBeGreaterThan(tasks.get("w1")!.stackUsed + 64);
    expect(first.get("deeper")!).toBe(first.get("w1")!);
    expect(deeper.stacklets).toBe(2);
    // It keeps running (its sleeps return). The hint learns only waits in a first stacklet, so a
    // deep phase that waits does not size every later task of its kind: "after" is as w1.
    const runs = ofKind(events, "task_switch_in").filter((e) => m.nameAt(e.context, e.cycle) === "deeper");
    expect(runs.length).toBeGreaterThanOrEqual(5);
    expect(first.get("after")!).toBe(first.get("w1")!);
    expect(tasks.get("after")!.stacklets).toBe(1);
  });

  it("a deep phase that the pooled block cannot hold gives that block back before it allocates", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("30ms");
    expect(m.panics()).toEqual([]);
    const events: TraceEvent[] = [];
    m.trace.on("event", (e: TraceEvent) => events.push(e));
    // Samples while d60's second pass runs in its one learned stacklet (its first one below it).
    const pooledWhileDeep: number[] = [];
    for (let i = 0; i < 1000; i++) {
      m.runFor("1us");
      const d60 = m.tasks().find((t) => t.name === "d60");
      if (d60 && d60.stacklets === 2 && d60.stackUsed > 600) pooledWhileDeep.push(m.memory().stackletsPooled);
    }
    m.runFor("2ms");
    expect(m.panics()).toEqual([]);
    expect(m.console.lines).toContain("deep 1");
    expect(pooledWhileDeep.length).toBeGreaterThan(0);
    // The pool held the smallest block of the first pass's chain; it went back before the allocation.
    expect(pooledWhileDeep.every((n) => n === 0)).toBe(true);
    const takes = ofKind(events, "stacklet_alloc").filter((e) => m.nameAt(e.context, e.cycle) === "d60");
    const frees = ofKind(events, "stacklet_free").filter((e) => m.nameAt(e.context, e.cycle) === "d60");
    expect(Math.max(...takes.map((e) => e.a))).toBeGreaterThan(60 * 16);
    // It has ended: every stacklet it took is back.
    expect(frees.length).toBe(takes.length);
  });
});
