/**
 * A stack extension and a return are interruptible (kernel/stack/stacklet.ts,
 * mcu/core.ts): planned, taken, zeroed a chunk at a time and linked, with a
 * check point between steps, so no step is a long uninterruptible stretch.
 *
 * The adversary: an interrupt at every cycle across a worker's extension and
 * return. Its handler allocates and wakes a higher-priority intruder that
 * extends its own stack and runs a whole collection while the worker is
 * suspended half-way (a block in its hand, frames not yet moved). Every run:
 * the handler entered within entry + exit + the check-point gap + the longest
 * step, that step at most 500 cycles, the recursions' sums right, no panic,
 * and once both tasks end the heap and stacklet bytes exactly at their baseline.
 *
 * The same adversary across the stacklet pool's early give-back (mcu/core.ts,
 * stacklet.ts returnWouldEvict): when the pool is full and holds nothing for
 * the frame that asks, its block goes back to the heap before the new
 * stacklet is taken, so the two are never held at once. The intruder takes
 * from and gives to the pool while the worker is suspended between the
 * give-back and the allocation.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { buildApp, ofKind } from "./support.js";
import { Machine } from "../../js/host/machine.js";
import { EXCEPTION_ENTRY, EXCEPTION_EXIT } from "../../js/compiler/weights.js";

const LINE = 3;
// What both apps share: the recursion, and the handler that wakes an intruder which extends its stack and collects.
const COMMON = `
import { task, time, debug, irq, Semaphore, stack } from "hoprt";
const wake = new Semaphore(1, 0);
let kept: string = "";
function wide(n: u32, salt: u32): u32 {
  // Enough live values for a frame of its own at every level.
  let a = n * 3 + salt, b = n ^ 0x55, c = a + b, d = c * 5, e = d ^ a, f = e + 11;
  if (n == 0) return a + b + c + d + e + f;
  return wide(n - 1, salt + 1) + (a ^ b ^ c ^ d ^ e ^ f);
}
function expected(n: u32, salt: u32): u32 {
  let sum: u32 = 0;
  for (let k: u32 = 0; k <= n; k++) {
    const m = n - k, s = salt + k;
    const a = m * 3 + s, b = m ^ 0x55, c = a + b, d = c * 5, e = d ^ a, f = e + 11;
    sum += k == n ? a + b + c + d + e + f : (a ^ b ^ c ^ d ^ e ^ f);
  }
  return sum;
}
function intruder(arg: u32): void {
  wake.take();
  const ok = wide(40, 7) == expected(40, 7);
  __collect();
  debug.print("intruder " + (ok ? "ok" : "bad") + " " + kept.length.toString());
  kept = "";
}
function onIrq(): void {
  kept = "irq " + (<u32>3).toString();
  wake.give();
}
`;
const MAIN = `
export function main(): void {
  irq.attach(${LINE}, onIrq, 2);
  irq.enable(${LINE});
  task.build().entry(intruder).priority(3).name("intruder").spawn();
  task.build().entry(worker).priority(5).name("worker").spawn();
  time.sleepMs(1);
  __collect();
  debug.mark(1);
  time.sleepMs(2);
  __collect();
  debug.mark(2);
}
`;
const APP = COMMON + MAIN + `
function worker(arg: u32): void {
  let bad: u32 = 0;
  for (let round: u32 = 0; round < 6; round++) {
    if (wide(24, round) != expected(24, round)) bad++;
  }
  debug.print("worker " + (bad == 0 ? "ok" : "bad"));
}
`;
// Twice: the first pass leaves its last stacklet pooled; the second wants one of the size the first learned.
const GIVE_BACK_APP = COMMON + MAIN + `
function worker(arg: u32): void {
  let bad: u32 = 0;
  if (wide(48, 1) != expected(48, 1)) bad++;
  if (wide(48, 2) != expected(48, 2)) bad++;
  debug.print("worker " + (bad == 0 ? "ok" : "bad"));
}
`;

interface Built { wasm: Uint8Array; gap: number }
let steps: Built;
let giveBack: Built;
beforeAll(async () => {
  const built = async (name: string, source: string): Promise<Built> => {
    const result = await buildApp(name, source);
    return { wasm: result.wasm, gap: result.report.bounds.checkpointGapCycles! };
  };
  steps = await built("stacklet-steps", APP);
  giveBack = await built("stacklet-give-back", GIVE_BACK_APP);
}, 300_000);

function run(irqAt: bigint | null, { wasm } = steps) {
  const m = Machine.loadSync(wasm);
  if (irqAt !== null) {
    m.runFor(1);
    m.irq.schedule(LINE, irqAt);
  }
  m.runFor("3200us");
  return m;
}

/**
 * One run interrupted at cycle `at`: both tasks' results right, no panic, the
 * handler entered within entry + exit + the check-point gap + the longest
 * step (at most 500 cycles), and once both tasks ended their stacklets given
 * back and the heap as main left it after its first collection (`baseline`).
 */
function expectSoundRun(m: Machine, at: bigint, baseline: number, { gap } = steps): void {
  const lines = m.console.lines;
  expect(lines.filter((l) => l.startsWith("worker"))).toEqual(["worker ok"]);
  expect(lines.filter((l) => l.startsWith("intruder"))).toEqual(["intruder ok 5"]);
  expect(m.panics()).toEqual([]);
  const ev = m.trace.events();
  const raise = ofKind(ev, "irq_raise").find((e) => e.a === 16 + LINE)!;
  const enter = ofKind(ev, "isr_enter").find((e) => e.a === 16 + LINE)!;
  expect(raise.cycle).toBe(at);
  const longest = m.memory().gcMaxPauseCycles;
  expect(longest).toBeLessThanOrEqual(500);
  expect(Number(enter.cycle - raise.cycle)).toBeLessThanOrEqual(EXCEPTION_ENTRY + EXCEPTION_EXIT + gap + longest);
  expect(ofKind(ev, "user_mark").length).toBe(2);
  const mem = m.memory();
  expect(mem.stackletBytes).toBe(0);
  expect(mem.stackDynamicBytes).toBe(0);
  expect(mem.heapUsed).toBe(baseline);
}

describe("interruptible stack extension", () => {
  it("an interrupt at every cycle across an extension and a return: bounded entry, exact sums, heap back to baseline", () => {
    // Without the interrupt: where the worker's first extension and its return happen.
    const quiet = run(null);
    expect(quiet.console.lines).toEqual(["worker ok"]);
    const events = quiet.trace.events();
    const worker = { id: quiet.tasks().find((t) => t.name === "intruder")!.id + 1 }; // spawned next (it has ended)
    const allocs = ofKind(events, "stacklet_alloc").filter((e) => e.context === worker.id);
    const frees = ofKind(events, "stacklet_free").filter((e) => e.context === worker.id);
    expect(allocs.length).toBeGreaterThan(2);
    expect(frees.length).toBeGreaterThan(2);
    // Every cycle from before the first extension's planning to past its link, and across the
    // first return (the stacklet given back to the heap a step after it).
    const cycles: bigint[] = [];
    for (let at = allocs[0].cycle - 300n; at <= allocs[0].cycle + 700n; at++) cycles.push(at);
    for (let at = frees[0].cycle - 600n; at <= frees[0].cycle + 100n; at++) cycles.push(at);
    // The same end state, interrupted only once the worker is done: the heap every run must come back to.
    const late = run(BigInt(Math.round(1.2 * 168_000)));
    expect(late.console.lines).toEqual(["worker ok", "intruder ok 5"]);
    const baseline = late.memory().heapUsed;
    let runs = 0;
    for (const at of cycles) {
      expectSoundRun(run(at), at, baseline);
      runs++;
    }
    expect(runs).toBe(1702);
  });

  it("an interrupt at every cycle across a fast-path crossing (a pooled stacklet linked in one step) and its return", () => {
    const quiet = run(null);
    const worker = { id: quiet.tasks().find((t) => t.name === "intruder")!.id + 1 };
    const allocs = ofKind(quiet.trace.events(), "stacklet_alloc").filter((e) => e.context === worker.id);
    const frees = ofKind(quiet.trace.events(), "stacklet_free").filter((e) => e.context === worker.id);
    // The last round's crossing: the first stacklet has learned the whole deep phase and the pool
    // holds the block the round before returned, so it is one fast extension and one return.
    const take = allocs.at(-1)!;
    const give = frees.find((e) => e.cycle > take.cycle)!;
    expect(give.b).toBe(take.b - 1);
    const late = run(BigInt(Math.round(1.2 * 168_000)));
    const baseline = late.memory().heapUsed;
    // A pool hit: no heap allocation between just before the extension and just after the return.
    const probe = Machine.loadSync(steps.wasm);
    probe.runFor(Number(take.cycle) - 400);
    const before = probe.memory().stackletAllocations;
    probe.runFor(Number(give.cycle - take.cycle) + 800);
    expect(probe.memory().stackletAllocations).toBe(before);
    expect(give.cycle - take.cycle).toBeLessThan(4000n);
    let runs = 0;
    for (let at = take.cycle - 250n; at <= give.cycle + 150n; at++) {
      expectSoundRun(run(at), at, baseline);
      runs++;
    }
    expect(runs).toBeGreaterThan(400);
  });
  it("an interrupt at every cycle across the pool's early give-back and the allocation after it", () => {
    const quiet = run(null, giveBack);
    expect(quiet.console.lines).toEqual(["worker ok"]);
    const worker = quiet.idsNamed("worker")[0];
    const allocs = ofKind(quiet.trace.events(), "stacklet_alloc").filter((e) => e.context === worker);
    // The second pass: one stacklet, larger than every one of the first pass's chain.
    const second = allocs.reduce((big, e) => (e.a > big.a ? e : big));
    expect(allocs.filter((e) => e.cycle < second.cycle).length).toBeGreaterThan(2);
    expect(allocs.filter((e) => e.cycle < second.cycle).every((e) => e.a < second.a)).toBe(true);
    // The path is taken: from the first pass's last return the pool holds its block; it goes back to
    // the heap while the heap has not yet given the second pass its stacklet.
    const firstDone = ofKind(quiet.trace.events(), "stacklet_free").filter((e) => e.context === worker && e.cycle < second.cycle).at(-1)!;
    const probe = Machine.loadSync(giveBack.wasm);
    probe.runFor(1); // boot
    probe.runFor(Number(firstDone.cycle - probe.cycles) + 1);
    expect(probe.memory().stackletsPooled).toBe(1);
    const heapTakes = probe.memory().stackletAllocations;
    let givenBack: bigint | null = null;
    while (probe.cycles < second.cycle) {
      probe.runFor(10);
      const mem = probe.memory();
      if (givenBack === null && mem.stackletsPooled === 0) {
        givenBack = probe.cycles;
        expect(mem.stackletAllocations).toBe(heapTakes);
      }
    }
    expect(givenBack).not.toBeNull();
    expect(probe.memory().stackletAllocations).toBe(heapTakes + 1);
    const late = run(BigInt(Math.round(1.2 * 168_000)), giveBack);
    expect(late.console.lines).toEqual(["worker ok", "intruder ok 5"]);
    const baseline = late.memory().heapUsed;
    // Every cycle from before the give-back to past the new stacklet's link.
    const from = givenBack! - 400n;
    const to = second.cycle + 200n;
    for (let at = from; at <= to; at++) {
      const m = run(at, giveBack);
      expectSoundRun(m, at, baseline, giveBack);
      expect(m.memory().stackletsPooled).toBeLessThanOrEqual(1);
    }
    expect(to - from).toBeGreaterThan(800n);
  });
});
