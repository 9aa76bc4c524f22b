import { describe, it, expect } from "vitest";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/machine.js";
import type { TraceEvent } from "../../js/host/trace.js";

const APP = `
import { task, time, irq, debug } from "hoprt";
let events: u32 = 0;
function onIrq(): void { events++; debug.mark(events); }
function worker(arg: u32): void {
  let x: u32 = arg;
  for (let i = 0; i < 200; i++) {
    for (let j = 0; j < 300; j++) x = x * 1664525 + 1013904223;
    if ((x & 7) == 0) time.sleepMs(1); else task.yieldCurrent();
  }
  debug.print("worker " + arg.toString() + " " + x.toString());
}
export function main(): void {
  irq.attach(5, onIrq, 2);
  irq.enable(5);
  for (let i: u32 = 1; i <= 3; i++) task.build().entry(worker).arg(i).priority(<i32>(4 + (i & 1))).spawn();
}
`;

function serialize(events: TraceEvent[]): string {
  return events.filter((e) => e.kind !== "run_stop").map((e) => `${e.cycle} ${e.kind} ${e.context} ${e.a} ${e.b} ${e.c}`).join("\n");
}

function drive(m: Machine, slices: number): void {
  m.irq.schedule(5, 1_000_000n);
  m.irq.schedule(5, 3_333_333n);
  m.runFor(50_000);
  m.irq.raise(5);
  const total = 20_000_000;
  const end = m.cycles + BigInt(total);
  for (let i = 0; i < slices - 1; i++) m.runFor(Math.floor(total / slices));
  m.runFor(end - m.cycles);
}

describe("determinism", () => {
  it("two runs with the same injections give byte-identical traces", async () => {
    const wasm = await firmware("determinism", APP);
    const a = Machine.loadSync(wasm);
    const b = Machine.loadSync(wasm);
    drive(a, 1);
    drive(b, 1);
    expect(a.console.lines.length).toBe(3);
    expect(serialize(b.trace.events())).toBe(serialize(a.trace.events()));
    expect(b.console.lines).toEqual(a.console.lines);
  });

  it("how the host slices a run does not change what happens", async () => {
    const wasm = await firmware("determinism", APP);
    const whole = Machine.loadSync(wasm);
    const sliced = Machine.loadSync(wasm);
    drive(whole, 1);
    drive(sliced, 997);
    expect(serialize(sliced.trace.events())).toBe(serialize(whole.trace.events()));
    expect(sliced.cycles).toBe(whole.cycles);
  });

  it("reset() starts over: the same run again gives the same trace", async () => {
    const m = Machine.loadSync(await firmware("determinism", APP));
    const booted = m.cycles;
    drive(m, 1);
    const first = serialize(m.trace.events());
    m.reset();
    // Fresh again: it boots at its next use, to the same cycle.
    expect(m.cycles).toBe(booted);
    drive(m, 1);
    expect(serialize(m.trace.events())).toBe(first);
  });
});
