import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";
import type { Machine } from "../../js/host/machine.js";

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
