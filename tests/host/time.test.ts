import { describe, it, expect } from "vitest";
import { machine, ofKind, TICK_CYCLES, SYSTICK_EXCEPTION } from "./support.js";

const APP = `
import { task, time, debug } from "hoprt";
function sleeper(arg: u32): void {
  for (let i = 0; i < 5; i++) {
    const before = time.ticks();
    time.sleepMs(10);
    debug.print(before.toString() + "->" + time.ticks().toString());
  }
  const a = time.ticks();
  time.sleepMs(0);
  debug.print("zero " + a.toString() + "->" + time.ticks().toString());
  debug.print("nowMs " + time.nowMs().toString() + " ticks " + time.ticks().toString() + " hz " + time.tickHz().toString());
}
export function main(): void {
  task.build().entry(sleeper).name("sleeper").priority(4).spawn();
}
`;

describe("time", () => {
  it("sleepMs(10) at 1 kHz lasts exactly 10 ticks; sleep(0) one tick", async () => {
    const m = await machine("sleep", APP);
    m.runFor("100ms");
    const lines = m.console.lines;
    expect(lines).toHaveLength(7);
    for (let i = 0; i < 5; i++) {
      const [from, to] = lines[i].split("->").map(Number);
      expect(to - from).toBe(10);
      if (i > 0) expect(from).toBe(Number(lines[i - 1].split("->")[1]));
    }
    const zero = /^zero (\d+)->(\d+)$/.exec(lines[5])!;
    expect(Number(zero[2]) - Number(zero[1])).toBe(1);
    expect(lines[6]).toBe("nowMs 51 ticks 51 hz 1000");
  });

  it("a sleeper resumes right after the SysTick of its wake tick", async () => {
    const m = await machine("sleep", APP);
    m.runFor("100ms");
    const events = m.trace.events();
    const ticks = ofKind(events, "irq_raise").filter((e) => e.a === SYSTICK_EXCEPTION);
    const sleeper = [...m.taskNames].find(([, n]) => n === "sleeper")![0];
    const blocks = ofKind(events, "task_block").filter((e) => e.context === sleeper);
    expect(blocks.map((e) => e.b)).toEqual([10, 20, 30, 40, 50, 51]);
    for (const block of blocks) {
      const wake = ticks[block.b - 1]; // tick n is the n-th SysTick
      const resumed = events.find((e) => e.kind === "task_switch_in" && e.context === sleeper && e.cycle > wake.cycle)!;
      // entry 12 + tick handler + tail-chain 6 + PendSV: a few hundred cycles, well inside the tick.
      expect(resumed.cycle - wake.cycle > 18n).toBe(true);
      expect(resumed.cycle - wake.cycle < 1000n).toBe(true);
    }
    // The machine really was idle in between: ticks stay exactly one period apart.
    for (let i = 1; i < ticks.length; i++) expect(ticks[i].cycle - ticks[i - 1].cycle).toBe(TICK_CYCLES);
  });
});
