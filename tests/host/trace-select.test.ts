import { describe, it, expect, beforeAll } from "vitest";
import { firmware, ofKind } from "./support.js";
import { Machine } from "../../js/host/machine.js";
import type { TraceEvent } from "../../js/host/trace.js";

// Two tasks switching, one that toggles PD12 and one that panics after a while holding a mutex:
// scheduling records (which a host keeping no trace does not read), GPIO records (read while the
// pin is watched) and panic / task-end / mutex-release records (always read).
const APP = `
import { task, mmio, panic, Mutex } from "hoprt";
const RCC_AHB1ENR: u32 = 0x40023830;
const GPIOD_MODER: u32 = 0x40020C00;
const GPIOD_ODR: u32 = 0x40020C14;
// A thousand rounds, then the priority-13 unwinding of the panicked task gets the CPU.
function pinger(arg: u32): void {
  for (let i = 0; i < 1000; i++) task.yieldCurrent();
}
function toggler(arg: u32): void {
  mmio.write32(RCC_AHB1ENR, mmio.read32(RCC_AHB1ENR) | (1 << 3));
  mmio.write32(GPIOD_MODER, 1 << 24);
  let odr: u32 = 0;
  for (let i = 0; i < 1000; i++) {
    odr ^= 1 << 12;
    mmio.write32(GPIOD_ODR, odr);
    task.yieldCurrent();
  }
}
const held = new Mutex();
function doomed(arg: u32): void {
  for (let i = 0; i < 100; i++) task.yieldCurrent();
  held.lock();
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
    all.runFor("10ms");
    const quiet = Machine.loadSync(wasm, { collectTrace: false });
    quiet.runFor("10ms");
    // Thousands of switches, each six records when everything is written.
    expect(ofKind(all.trace.events(), "task_switch_in").length).toBeGreaterThan(1000);
    expect(written(all)).toBeGreaterThan(6000);
    // Without a trace: the panic, the doomed task's end (task_end, task_cpu, task_delete) and nothing else.
    const kinds = ["panic", "task_exit", "task_end", "task_cpu", "task_delete", "unwind_done", "error", "restart", "mutex_unlock"];
    const needed = all.trace.events().filter((e) => kinds.includes(e.kind));
    expect(needed.length).toBeGreaterThan(0);
    expect(written(quiet)).toBe(needed.length);
    // What the host reads from them is the same either way, the mutex the kernel released for the panicking task included.
    expect(all.panics()[0].released?.mutexes.length).toBe(1);
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

describe("the kept trace (records kept as written, made into objects when asked for)", () => {
  it("a window keeps exactly the latest events: the tail of what a machine keeping them all has", () => {
    const all = Machine.loadSync(wasm, { traceWindow: Infinity });
    const windowed = Machine.loadSync(wasm, { traceWindow: 5000 });
    for (const m of [all, windowed]) {
      m.runFor("100us");
      m.trace.events(); // made into objects half-way: the rest of a chunk is added to them later
      m.runFor("3ms");
    }
    const everything = all.trace.events();
    expect(everything.length).toBeGreaterThan(3 * 4096); // past several chunks
    expect(windowed.trace.events().map(key)).toEqual(everything.slice(-5000).map(key));
    expect(windowed.trace.discarded).toBe(everything.length - 5000);
    // Asked again: the same objects, nothing made twice.
    expect(windowed.trace.events()[0]).toBe(windowed.trace.events()[0]);
  });

  it("eventsSince reads every event once and in order, however far the window has moved", () => {
    const all = Machine.loadSync(wasm, { traceWindow: Infinity });
    const live = Machine.loadSync(wasm, { traceWindow: 3000 });
    const seen: TraceEvent[] = [];
    let read = 0;
    for (let i = 0; i < 40; i++) {
      live.runFor("100us");
      const got = live.trace.eventsSince(read);
      read += got.length;
      seen.push(...got);
    }
    all.runFor(live.cycles - all.cycles);
    expect(live.trace.discarded).toBeGreaterThan(3000);
    // Where the host stopped each run is its own record (run_stop); the rest is one trace.
    const model = (events: TraceEvent[]) => events.filter((e) => e.kind !== "run_stop").map(key);
    expect(model(seen)).toEqual(model(all.trace.events()));
  });

  it("records the ring lost are reported in place, as an event of the host's", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("10us");
    const before = m.trace.events().length;
    // Each raise writes a record with no run to drain the ring: 5000 of them overflow its 4096.
    for (let i = 0; i < 5000; i++) m.irq.raise(5);
    const events = m.trace.events().slice(before);
    expect(events.length).toBe(1 + 4096);
    expect(events[0]).toMatchObject({ kind: "trace_lost", context: 0xFFFF, a: 5000 - 4096, b: 5000 - 4096 });
    expect(events[0].cycle).toBe(events[1].cycle);
    expect(events.slice(1).every((e) => e.kind === "irq_raise" && e.a === 16 + 5)).toBe(true);
    expect(m.trace.overflow).toBe(5000 - 4096);
  });
});
