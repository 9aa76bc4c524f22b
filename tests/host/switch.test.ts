import { describe, it, expect } from "vitest";
import { machine, firmware, ofKind } from "./support.js";
import { Machine } from "../../js/host/machine.js";

export const PING_PONG = `
import { task, debug } from "hoprt";
function pinger(arg: u32): void {
  while (true) task.yieldCurrent();
}
export function main(): void {
  task.build().entry(pinger).arg(1).name("ping").priority(5).spawn();
  task.build().entry(pinger).arg(2).name("pong").priority(5).spawn();
}
`;

describe("context switch", () => {
  it("two equal-priority tasks that yield alternate strictly, at a constant modelled cost", async () => {
    const m = await machine("pingpong", PING_PONG);
    m.runFor("200us");
    const ins = ofKind(m.trace.events(), "task_switch_in").slice(3); // past boot and main's exit
    expect(ins.length).toBeGreaterThan(50);
    for (let i = 1; i < ins.length; i++) expect(ins[i].context).not.toBe(ins[i - 1].context);
    const gaps = new Set<bigint>();
    for (let i = 1; i < ins.length; i++) gaps.add(ins[i].cycle - ins[i - 1].cycle);
    expect(gaps.size).toBe(1); // every switch costs the same
    const [cost] = [...gaps];
    // yield + PendSV entry (12) + scheduler + exit (10): more than the hardware floor, far below 1000.
    expect(cost > 22n && cost < 1000n).toBe(true);
    console.log(`modelled yield-to-yield context switch: ${cost} cycles`);
  });

  // The prologue calls the stack guard's slow path only at a new depth (ABI memory field 12 counts
  // the calls). A handler once reset its watermark at every entry, so the PendSV handler's first
  // frame took the slow path at every switch, and every handler with a frame at every interrupt.
  const guardHits = (m: Machine) => m.exports.hoprt_memory_info(12);

  /** Past the first 200 us: how many `kind` events 1 ms more brings, and the slow-path calls in it. */
  const steady = (m: Machine, kind: string) => {
    m.runFor("200us");
    const before = guardHits(m);
    const events = ofKind(m.trace.events(), kind).length;
    m.runFor("1ms");
    expect(before).toBeGreaterThan(0n); // the field counts: the first frames of boot and the tasks took it
    return { events: ofKind(m.trace.events(), kind).length - events, guardHits: guardHits(m) - before };
  };

  it("a steady switch never takes the stack guard's slow path", async () => {
    const run = steady(await machine("pingpong", PING_PONG), "task_switch_in");
    expect(run.events).toBeGreaterThan(500);
    expect(run.guardHits).toBe(0n);
  });

  it("nor does an interrupt whose handler has a frame", async () => {
    const m = await machine("guard-irq", GUARD_IRQ);
    const run = steady(m, "isr_enter");
    expect(run.events).toBeGreaterThan(200);
    expect(m.console.lines).toEqual([]);
    expect(run.guardHits).toBe(0n);
  });
});

/**
 * `wasm` with a counter of entries per function (an Asyncify rewind re-enters every frame it
 * resumes: each is a wasm call the engine makes), and a reader of the counters by function name.
 */
async function countingCalls(wasm: Uint8Array): Promise<{ bytes: Uint8Array; counts: (m: Machine) => Map<string, number> }> {
  const binaryen = (await import("binaryen")).default;
  const mod = binaryen.readBinary(wasm);
  const names: string[] = [];
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = mod.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(f);
    if (!info.body) continue;
    const counter = `calls${names.length}`;
    mod.addGlobal(counter, binaryen.i32, true, mod.i32.const(0));
    mod.addGlobalExport(counter, counter);
    const bump = mod.global.set(counter, mod.i32.add(mod.global.get(counter, binaryen.i32), mod.i32.const(1)));
    (binaryen as any)._BinaryenFunctionSetBody(f, mod.block(null, [bump, info.body], info.results));
    names.push(info.name);
  }
  const bytes = mod.emitBinary();
  mod.dispose();
  const counts = (m: Machine) => new Map(names.map((name, i) => [name, (m.exports as any)[`calls${i}`].value as number]));
  return { bytes, counts };
}

describe("the context switch's path through the engine", () => {
  // What a steady yield-to-yield switch costs the host: every wasm call it makes, counted
  // with no trace kept (the way `hoprt run` runs). Each Asyncify frame is entered once more to
  // rewind it. The list is exact: a change that adds a call (or a frame) to the switch shows here.
  const EXPECTED: Record<string, number> = {
    "machine/dispatchStep": 3,      // the exception's entry and handler, its return, the next task
    "kernel/sched/onPendSV": 1,     // the PendSV handler
    "probe/schedrecords/recordSwitch": 1,
    "kernel/task/taskMain": 1,      // rewound: the task's bottom frame
    "pinger": 1,                    // rewound
    "index/task.yieldCurrent": 2,   // rewound, then called again by the task's loop
    "probe/schedrecords/recordReady": 1,
    "mcu/bus/write32": 1,           // ICSR.PENDSVSET
    "mcu/core/checkpoint": 2,       // the one that ends the rewind, the one that suspends
  };

  it("makes exactly the calls it needs, and runs its turns of the dispatch loop as calls of their own", async () => {
    const { bytes, counts } = await countingCalls(await firmware("pingpong", PING_PONG));
    const m = Machine.loadSync(bytes, { collectTrace: false });
    m.runFor("200us");
    const ids = [...Array(m.exports.hoprt_max_tasks()).keys()];
    const switches = () => ids.reduce((sum, id) => sum + Math.max(0, Number(m.exports.hoprt_task_info(id, 3))), 0);
    const before = counts(m);
    const switchesBefore = switches();
    m.runFor("20ms");
    const n = switches() - switchesBefore;
    expect(n).toBeGreaterThan(10_000);
    const perSwitch: Record<string, number> = {};
    for (const [name, count] of counts(m)) {
      const calls = (count - before.get(name)!) / n;
      if (calls < 0.01) continue; // the SysTick's handler, once every 860 switches, and the run itself
      const key = Object.keys(EXPECTED).find((k) => name.endsWith("/" + k)) ?? name;
      perSwitch[key] = Math.round(calls * 100) / 100;
    }
    expect(perSwitch).toEqual(EXPECTED);
    // The 20 ms ran as one slice: the loop that runs a slice is entered once, its turns thousands of times.
    const run = [...counts(m)].find(([name]) => name.endsWith("/hoprt_run"))!;
    expect(run[1] - before.get(run[0])!).toBe(1);
  });
});

// The handler's frame: a managed local lives on the shadow stack.
const GUARD_IRQ = `
import { task, irq, debug } from "hoprt";
let words: Array<u32> = [1, 2, 3];
let sum: u32 = 0;
function total(list: Array<u32>): u32 { let s: u32 = 0; for (let i = 0; i < list.length; i++) s += list[i]; return s; }
function onIrq(): void { const list = words; sum += total(list); }
function trigger(arg: u32): void {
  while (true) { irq.pend(5); if (sum == 0) debug.print("not handled"); }
}
export function main(): void {
  irq.attach(5, onIrq, 1);
  irq.enable(5);
  task.build().entry(trigger).priority(8).spawn();
}
`;
