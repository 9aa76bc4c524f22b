/**
 * Nothing the host does changes modelled time: every app of examples/ and
 * tests/host/apps, and an app that reads time.cycles(), allocates until the
 * collector runs and prints, gives the same trace byte for byte and ends at
 * the same cycle whether the host runs it in 1, 97 or 9,973 slices, and
 * whatever it reads between slices (cycles, tasks(), memory()).
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { firmware } from "./support.js";
import { Machine, TERMINAL_STOPS } from "../../js/host/machine.js";
import type { BuildOptions } from "../../js/compiler/build.js";

const ROOT = path.resolve(__dirname, "../..");
const read = (...p: string[]) => fs.readFileSync(path.join(ROOT, ...p), "utf8");
const TICKS = read("tests", "host", "apps", "ticks.ts");

// Cycles read by the firmware, garbage for the collector, console lines, an ISR.
const CLOCK_READER = `
import { task, time, irq, debug } from "hoprt";
let hits: u32 = 0;
function onIrq(): void { hits++; debug.print("irq at " + time.cycles().toString()); }
function reader(arg: u32): void {
  let last: i64 = 0;
  for (let round = 0; round < 80; round++) {
    const now = time.cycles();
    const words = new Array<string>();
    for (let i: u32 = 0; i < 40; i++) words.push((<u32>(now - last) + i).toString());
    last = now;
    if (round % 20 == 0) debug.print("round " + round.toString() + " " + words.join(",").length.toString() + " at " + now.toString());
    if ((round & 3) == 0) time.sleepMs(1); else task.yieldCurrent();
  }
  debug.print("reader done at " + time.cycles().toString() + " irqs " + hits.toString());
}
export function main(): void {
  irq.attach(5, onIrq, 2);
  irq.enable(5);
  task.build().entry(reader).arg(1).priority(5).spawn();
  task.build().entry(reader).arg(2).priority(5).spawn();
}
`;

const app = (file: string) => read("tests", "host", "apps", file);
const example = (name: string) => read("examples", name, "app.ts");

// The names (and build options) match the other suites' so the firmware cache serves them all.
const APPS: Array<[string, string, Omit<BuildOptions, "app">?]> = [
  ["clock-reader", CLOCK_READER],
  ["example-blinky", read("examples", "blinky", "app.ts")],
  ["example-button", read("examples", "button", "app.ts")],
  ["example-uart-echo", read("examples", "uart-echo", "app.ts")],
  ["example-demo", read("examples", "demo", "app.ts")],
  ["hardrt", read("tests", "host", "apps", "hardrt.ts")],
  ["property", read("tests", "host", "apps", "property.ts")],
  ["sync", read("tests", "host", "apps", "sync.ts")],
  ["ticks-1000", `const TICK_HZ: u32 = 1000;\nconst START_TICK: u32 = 0;\n` + TICKS.replace("cfg.tickSource = TICK_SOURCE;", "cfg.tickSource = TickSource.SysTick;")],
  ["example-breathing", example("breathing")],
  ["example-priority-inversion", example("priority-inversion")],
  ["example-restart", example("restart")],
  ["stacklets", app("stacklets.ts")],
  ["gcprop", app("gcprop.ts")],
  ["race", app("race.ts")],
  ["unwind", app("unwind.ts")],
  ["panic-sources", app("panic-sources.ts")],
  ["kernel-faults", app("kernel-faults.ts")],
  ["kernel-bug", app("kernel-bug.ts")],
  ["longsleep", app("longsleep.ts")],
  ["fault-storm", app("fault-storm.ts"), { tickHz: 10_000 }],
  ["atomic-panics", app("atomic-panics.ts"), { tickHz: 10_000 }],
];

/**
 * Interrupts on the lines the apps attach handlers to (spawning workers, allocating, sending,
 * auditing), at fixed cycles spread over the run: the same inputs whatever the slicing.
 */
const IRQ_LINES = [11, 12, 1, 2, 3, 10, 13, 4, 14, 15, 16, 17, 7, 6, 12, 11];
const INJECTIONS = Array.from({ length: 48 }, (_, i) => ({ line: IRQ_LINES[i % IRQ_LINES.length], at: 300_000n + BigInt(i) * 243_711n }));

const TOTAL = 12_000_000n;

/** The modelled events (where the host stopped a run is not one), before `end` if given, one line each. */
function modelTrace(m: Machine, end?: bigint): string {
  return m.trace.events().filter((e) => e.kind !== "run_stop" && (end === undefined || e.cycle < end))
    .map((e) => `${e.cycle} ${e.kind} ${e.context} ${e.a} ${e.b} ${e.c}`).join("\n");
}

interface Outcome { trace: string; cycles: bigint; console: string[]; halted: boolean }

function drive(wasm: Uint8Array, slices: number, readBetween: boolean): Outcome {
  const m = Machine.loadSync(wasm);
  // Injections at fixed cycles: the same whatever the slicing.
  m.irq.schedule(5, 700_000n);
  m.irq.schedule(5, 4_100_000n);
  for (const { line, at } of INJECTIONS) m.irq.schedule(line, at);
  m.gpio("PA0").setAt(2_000_000n, 1);
  m.gpio("PA0").setAt(2_500_000n, 0);
  m.uart(2).writeAt(3_000_000n, [0x68, 0x69, 0x0a]);
  // Each slice runs to an absolute cycle; a run ends at the first check point past its end.
  let halted = false;
  for (let i = 0; i < slices; i++) {
    const next = (TOTAL * BigInt(i + 1)) / BigInt(slices);
    if (next > m.cycles && !halted) halted = TERMINAL_STOPS.includes(m.runFor(next - m.cycles).reason);
    if (readBetween) {
      void m.cycles;
      m.tasks();
      m.memory();
      void m.cycles;
    }
  }
  const trace = modelTrace(m);
  return { trace, cycles: m.cycles, console: [...m.console.lines], halted };
}

// Console lines longer than the probe's ring (tests/host/untrusted.test.ts), a sleep, and SysTick meanwhile.
const LONG_LINES = read("tests", "host", "apps", "long-lines.ts");

describe("host slicing and reads never change modelled time", () => {
  it("a check point that lands on an alarm's very cycle takes it whatever the host's slice ended just before: every slice length from 1,900 to 2,300 cycles gives one trace", async () => {
    // Once a check point fell exactly on SysTick's cycle: armed for SysTick it let it by (it fired at
    // the next check point), armed for a slice end a few cycles earlier it fired it (slices of 2,113).
    const wasm = await firmware("untrusted-long", LONG_LINES);
    const run = (slice: number) => {
      const m = Machine.loadSync(wasm);
      for (let done = 0; done + slice <= 3_360_000; done += slice) m.runFor(slice);
      return m;
    };
    const whole = Machine.loadSync(wasm);
    whole.runFor(3_360_000);
    const differing: number[] = [];
    for (let slice = 1900; slice <= 2300; slice++) {
      const m = run(slice);
      const end = m.cycles < whole.cycles ? m.cycles : whole.cycles;
      if (modelTrace(m, end) !== modelTrace(whole, end)) differing.push(slice);
    }
    expect(differing).toEqual([]);
    expect(whole.trace.events().filter((e) => e.kind === "tick").length).toBeGreaterThan(10);
  });

  for (const [name, source, options] of APPS) {
    it(`${name}: 1, 97 and 9,973 slices, with and without host reads, give one trace`, async () => {
      const wasm = await firmware(name, source, options);
      const whole = drive(wasm, 1, false);
      // Or it halted for good (apps/kernel-bug.ts): at the same cycle however sliced.
      expect(whole.cycles >= TOTAL || whole.halted).toBe(true);
      expect(whole.trace.length).toBeGreaterThan(0);
      // clock-reader collects while tasks are suspended at slice ends: a suspension only the host asked
      // for leaves no word in SRAM (kernel/stack/layout.ts parks it), so the collector's scans match.
      const cases: Array<[number, boolean]> = [[97, false], [97, true], [9973, false], [9973, true]];
      for (const [slices, reads] of cases) {
        const sliced = drive(wasm, slices, reads);
        expect(sliced.cycles, `${slices} slices`).toBe(whole.cycles);
        expect(sliced.halted, `${slices} slices`).toBe(whole.halted);
        expect(sliced.console, `${slices} slices`).toEqual(whole.console);
        expect(sliced.trace === whole.trace, `${name}: trace under ${slices} slices${reads ? " with reads" : ""} differs`).toBe(true);
      }
      if (name === "clock-reader") {
        expect(whole.console.some((l) => l.startsWith("reader done"))).toBe(true);
        expect(whole.console.some((l) => l.startsWith("irq at"))).toBe(true);
        expect(whole.trace).toMatch(/ gc /); // the collector ran
      }
    });
  }
});

// Workers spawned by interrupts recurse across stacklet boundaries while allocating handlers preempt them.
describe("segmented stacks under host stops", () => {
  const SPAWN_SHALLOW = 10, SPAWN_DEEP = 11, CHURN = 12, AUDIT = 13;
  const END = 1_300_000n;
  type Step = { gap: number; line: number };

  function traceWith(wasm: Uint8Array, steps: Step[], stops: bigint[]): string {
    const m = Machine.loadSync(wasm);
    m.runFor("1ms");
    m.irq.raise(AUDIT);
    m.runFor("1ms");
    let at = m.cycles;
    for (const s of steps) { at += BigInt(s.gap); m.irq.schedule(s.line, at); }
    for (const stop of [...stops].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))) {
      if (stop > m.cycles) m.runFor(stop - m.cycles);
      m.tasks();
      m.memory();
    }
    if (END > m.cycles) m.runFor(END - m.cycles);
    return modelTrace(m, END);
  }

  it("a host stop while a task runs in a stacklet leaves no trace in a later collection", async () => {
    // Once a stop here moved a stacklet free 36,000 cycles later by 16 cycles: resuming from the stop
    // left the task's control block holding where it was resumed, a stack address the collector
    // scanned as a possible reference (kernel/stack/roots.ts).
    const wasm = await firmware("stacklets", app("stacklets.ts"));
    const steps = [{ gap: 1663, line: SPAWN_DEEP }, { gap: 15, line: SPAWN_DEEP }, { gap: 948, line: CHURN }, { gap: 425, line: CHURN }];
    const whole = traceWith(wasm, steps, []);
    expect(whole).toMatch(/ stacklet_free /);
    expect(whole).toMatch(/ gc /);
    for (const stop of [1_122_500n, 1_130_000n, 1_135_000n, 1_137_500n]) {
      expect(traceWith(wasm, steps, [stop]) === whole, `a stop at ${stop} changes the trace`).toBe(true);
    }
  }, 120_000);

  it("property: random spawns, depths and allocating interrupts, stopped by the host at random cycles, give the unsliced trace", async () => {
    const wasm = await firmware("stacklets", app("stacklets.ts"));
    const step = fc.record({ gap: fc.integer({ min: 1, max: 3000 }), line: fc.constantFrom(SPAWN_SHALLOW, SPAWN_DEEP, CHURN, CHURN) });
    const stop = fc.bigInt({ min: 336_001n, max: END - 1n });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), fc.array(stop, { minLength: 1, maxLength: 8 }), (steps, stops) => {
        expect(traceWith(wasm, steps, stops) === traceWith(wasm, steps, []), `stops at ${stops.join(", ")}`).toBe(true);
      }),
      { numRuns: 200, seed: 0x51ce, endOnFailure: true },
    );
  }, 300_000);
});
