import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";
import { EXCEPTION_TAIL_CHAIN } from "../../js/compiler/weights.js";

const TIM2 = 28, TIM3 = 29, TIM4 = 30;
const exc = (irq: number) => 16 + irq;

const APP = `
import { irq, debug } from "hoprt";
let spins: u32 = 0;
function onTim2(): void {
  debug.mark(28);
  for (let i = 0; i < 2000; i++) spins++; // long enough to be interrupted
}
function onTim3(): void { debug.mark(29); }
function onTim4(): void { debug.mark(30); }
export function main(): void {
  debug.print("attach " + irq.attach(28, onTim2, 3).toString() + " " + irq.attach(29, onTim3, 1).toString() + " " + irq.attach(30, onTim4, 3).toString());
  irq.enable(28); irq.enable(29); irq.enable(30);
  debug.print("bad line " + irq.attach(82, onTim3, 1).toString());
  debug.print("systick reserved " + irq.attach(-1, onTim3, 1).toString());
  debug.print("bad priority " + irq.attach(31, onTim3, 16).toString());
}
`;

describe("interrupts", () => {
  it("reports attach errors with codes", async () => {
    const m = await machine("irq", APP);
    m.runFor("1ms");
    expect(m.console.lines).toEqual(["attach 0 0 0", "bad line -7", "systick reserved -8", "bad priority -1"]);
    expect(ofKind(m.trace.events(), "error").map((e) => e.a | 0)).toEqual([-7, -8, -1]);
  });

  it("a line raised at cycle C enters its handler at exactly C + 12 when the core sleeps", async () => {
    const m = await machine("irq", APP);
    m.runFor(100_000);
    const C = 250_000n;
    m.irq.schedule(TIM2, C);
    m.runFor(300_000); // well past C and the handler's 2000 iterations
    const events = m.trace.events();
    const raise = ofKind(events, "irq_raise").find((e) => e.a === exc(TIM2))!;
    const enter = ofKind(events, "isr_enter").find((e) => e.a === exc(TIM2))!;
    expect(raise.cycle).toBe(C);
    expect(enter.cycle).toBe(C + 12n);
    expect(enter.b).toBe(12);
    const exit = ofKind(events, "isr_exit").find((e) => e.a === exc(TIM2))!;
    expect(exit.cycle > enter.cycle).toBe(true);
  });

  it("a raise from the host between runs is taken first thing in the next run", async () => {
    const m = await machine("irq", APP);
    m.runFor(100_000);
    const now = m.cycles;
    m.irq.raise(TIM3);
    m.runFor(1000);
    const enter = ofKind(m.trace.events(), "isr_enter").find((e) => e.a === exc(TIM3))!;
    expect(enter.cycle).toBe(now + 12n);
  });

  it("a higher-priority line nests; an equal-priority one waits and tail-chains", async () => {
    const m = await machine("irq", APP);
    m.runFor(100_000);
    m.irq.schedule(TIM2, 200_000n);
    m.irq.schedule(TIM3, 200_500n); // priority 1 beats 3: nests inside TIM2
    m.irq.schedule(TIM4, 200_600n); // priority 3 = TIM2's: waits for it
    m.runFor(200_000);
    const seq = m.trace.events().filter((e) => e.kind === "isr_enter" || e.kind === "isr_exit").filter((e) => e.a >= 16).map((e) => `${e.kind}:${e.a - 16}:${e.b}`);
    expect(seq).toEqual([
      `isr_enter:${TIM2}:12`,
      `isr_enter:${TIM3}:12`,
      `isr_exit:${TIM3}:0`,
      `isr_exit:${TIM2}:0`,
      `isr_enter:${TIM4}:6`,
      `isr_exit:${TIM4}:0`,
    ]);
    const events = m.trace.events();
    const tim3 = ofKind(events, "isr_enter").find((e) => e.a === exc(TIM3))!;
    const raise3 = ofKind(events, "irq_raise").find((e) => e.a === exc(TIM3))!;
    expect(raise3.cycle).toBe(200_500n);
    // Noticed at the handler loop's next check point, then 12 cycles of entry.
    expect(tim3.cycle - raise3.cycle >= 12n && tim3.cycle - raise3.cycle < 30n).toBe(true);
    const exit2 = ofKind(events, "isr_exit").find((e) => e.a === exc(TIM2))!;
    const enter4 = ofKind(events, "isr_enter").find((e) => e.a === exc(TIM4))!;
    expect(enter4.cycle - exit2.cycle).toBe(BigInt(EXCEPTION_TAIL_CHAIN));
  });
});
