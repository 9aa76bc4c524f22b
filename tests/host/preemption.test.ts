import { describe, it, expect } from "vitest";
import { machine, ofKind, TICK_CYCLES, SYSTICK_EXCEPTION, PENDSV_EXCEPTION } from "./support.js";
import { EXCEPTION_TAIL_CHAIN } from "../../js/compiler/weights.js";

const APP = `
import { task, time, debug } from "hoprt";
let counter: u32 = 0;
function sleeper(arg: u32): void {
  time.sleepMs(5);
  debug.print("woke at tick " + time.ticks().toString());
  while (true) time.sleepMs(1000);
}
function busy(arg: u32): void {
  while (true) counter++;
}
export function main(): void {
  task.build().entry(sleeper).name("sleeper").priority(2).spawn();
  task.build().entry(busy).name("busy").priority(8).spawn();
}
`;

describe("preemption", () => {
  it("a busy-looping P8 task is preempted at the tick that wakes a P2 sleeper", async () => {
    const m = await machine("preempt", APP);
    m.runFor("8ms");
    expect(m.console.lines).toEqual(["woke at tick 5"]);
    const events = m.trace.events();
    const sleeperId = [...m.taskNames].find(([, n]) => n === "sleeper")![0];
    const busyId = [...m.taskNames].find(([, n]) => n === "busy")![0];

    // SysTick raises exactly every 168 000 cycles (LOAD = 167 999, processor clock).
    const ticks = ofKind(events, "irq_raise").filter((e) => e.a === SYSTICK_EXCEPTION);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i].cycle - ticks[i - 1].cycle).toBe(TICK_CYCLES);

    const block = ofKind(events, "task_block").find((e) => e.context === sleeperId)!;
    expect(block.b).toBe(5); // wakes at tick 5
    const tick5 = ticks[4]; // the fifth SysTick
    const afterTick = events.slice(events.indexOf(tick5));
    const kinds = afterTick.slice(0, 8).map((e) => `${e.kind}:${e.kind.startsWith("isr") ? e.a : e.context}`);
    expect(kinds).toEqual([
      `irq_raise:0`,
      `isr_enter:${SYSTICK_EXCEPTION}`,
      `tick:0`,
      `task_ready:${sleeperId}`,
      `irq_raise:0`, // PendSV pended by the tick handler
      `isr_exit:${SYSTICK_EXCEPTION}`,
      `isr_enter:${PENDSV_EXCEPTION}`,
      `task_switch_out:${busyId}`,
    ]);
    const [raise, enter, , , , exit, pendsv, out] = afterTick;
    // The busy loop notices the tick at its next check point: within one loop iteration.
    const noticed = enter.cycle - 12n - raise.cycle;
    expect(noticed >= 0n && noticed < 16n).toBe(true);
    expect(enter.b).toBe(12); // full exception entry
    expect(pendsv.b).toBe(6); // PendSV tail-chains
    expect(pendsv.cycle - exit.cycle).toBe(BigInt(EXCEPTION_TAIL_CHAIN));
    const into = afterTick[8];
    expect(into.kind).toBe("task_switch_in");
    expect(into.context).toBe(sleeperId);
    // One PendSV switches: the probe records the switch-out and the switch-in together, at the switch.
    expect(into.cycle).toBe(out.cycle);
    // The preemption happens in the same tick, far before the next one.
    expect(into.cycle - raise.cycle < 1000n).toBe(true);
  });

  it("preempts at exactly the same cycle on every run", async () => {
    const first = await machine("preempt", APP);
    const second = await machine("preempt", APP);
    first.runFor("8ms");
    second.runFor("8ms");
    const cycleOf = (m: typeof first) => ofKind(m.trace.events(), "task_switch_out").map((e) => e.cycle);
    expect(cycleOf(first)).toEqual(cycleOf(second));
  });
});
