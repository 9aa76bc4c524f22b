import { describe, it, expect, beforeAll } from "vitest";
import { firmware, ofKind } from "./support.js";
import { Machine } from "../../js/host/machine.js";
import type { TraceEvent } from "../../js/host/trace.js";

// Two tasks switching, one that toggles PD12 and one that panics after a while: scheduling
// records (which a host keeping no trace does not read), GPIO records (read while the pin is
// watched) and panic / task-end records (always read).
const APP = `
import { task, mmio, panic } from "hoprt";
const RCC_AHB1ENR: u32 = 0x40023830;
const GPIOD_MODER: u32 = 0x40020C00;
const GPIOD_ODR: u32 = 0x40020C14;
function pinger(arg: u32): void {
  while (true) task.yieldCurrent();
}
function toggler(arg: u32): void {
  mmio.write32(RCC_AHB1ENR, mmio.read32(RCC_AHB1ENR) | (1 << 3));
  mmio.write32(GPIOD_MODER, 1 << 24);
  let odr: u32 = 0;
  while (true) {
    odr ^= 1 << 12;
    mmio.write32(GPIOD_ODR, odr);
    task.yieldCurrent();
  }
}
function doomed(arg: u32): void {
  for (let i = 0; i < 100; i++) task.yieldCurrent();
  panic("doomed");
}
export function main(): void {
  task.build().entry(pinger).arg(1).name("ping").priority(5).spawn();
  task.build().entry(pinger).arg(2).name("pong").priority(5).spawn();
  task.build().entry(toggler).name("toggler").priority(5).spawn();
  task.build().entry(doomed).name("doomed").priority(5).spawn();
}
`;

let wasm: Uint8Array;
beforeAll(async () => { wasm = await firmware("trace-select", APP); }, 120_000);

/** Records the firmware has written into its trace ring since boot (the ring header's `written`). */
function written(m: Machine): number {
  return new DataView(m.exports.memory.buffer).getUint32(m.exports.hoprt_trace_base(), true);
}

const key = (e: TraceEvent) => JSON.stringify(e, (_, v) => (typeof v === "bigint" ? v.toString() : v));

describe("the trace kinds the host reads (hoprt_trace_select)", () => {
  it("a host that keeps no trace gets no scheduling records written, and still its panics and ended tasks", () => {
    const all = Machine.loadSync(wasm);
    all.runFor("2ms");
    const quiet = Machine.loadSync(wasm, { collectTrace: false });
    quiet.runFor("2ms");
    // Thousands of switches, each six records when everything is written.
    expect(ofKind(all.trace.events(), "task_switch_in").length).toBeGreaterThan(1000);
    expect(written(all)).toBeGreaterThan(6000);
    // Without a trace: the panic, the doomed task's end (task_end, task_cpu, task_delete) and nothing else.
    const kinds = ["panic", "task_exit", "task_end", "task_cpu", "task_delete", "unwind_done", "error", "restart"];
    const needed = all.trace.events().filter((e) => kinds.includes(e.kind));
    expect(needed.length).toBeGreaterThan(0);
    expect(written(quiet)).toBe(needed.length);
    // What the host reads from them is the same either way.
    expect(quiet.panics()).toEqual(all.panics());
    expect(quiet.tasks({ ended: true })).toEqual(all.tasks({ ended: true }));
    expect(quiet.cycles).toBe(all.cycles);
  });

  it("a listener attached mid-run sees from then on exactly the events of a machine that wrote every kind", () => {
    const all = Machine.loadSync(wasm);
    const quiet = Machine.loadSync(wasm, { collectTrace: false });
    quiet.runFor("300us");
    const from = quiet.cycles;
    const seen: TraceEvent[] = [];
    quiet.trace.on("event", (e) => seen.push(e));
    quiet.runFor("300us");
    all.runFor(quiet.cycles - all.cycles);
    const expected = all.trace.events().filter((e) => e.cycle >= from && e.kind !== "run_stop");
    const got = seen.filter((e) => e.kind !== "run_stop");
    expect(got.length).toBeGreaterThan(1000);
    expect(got.map(key)).toEqual(expected.map(key));
  });

  it("a watched pin gets every change, with no other trace kept", () => {
    const all = Machine.loadSync(wasm);
    all.runFor("500us");
    const quiet = Machine.loadSync(wasm, { collectTrace: false });
    const changes: Array<[number, bigint]> = [];
    quiet.gpio("PD12").on("change", (level, cycle) => changes.push([level, cycle]));
    quiet.runFor("500us");
    const expected = ofKind(all.trace.events(), "gpio").filter((e) => e.a === 60).map((e) => [e.b, e.cycle]);
    expect(expected.length).toBeGreaterThan(50);
    expect(changes).toEqual(expected);
    // Pin changes and panics only: no switch records.
    expect(written(quiet)).toBeLessThan(expected.length + 16);
  });
});
