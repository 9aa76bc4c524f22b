import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

const APP = `
import { task, time, debug } from "hoprt";
function aborts(arg: u32): void {
  debug.print("about to fail");
  assert(arg == 0, "arg must be zero");
  debug.print("not reached");
}
function recurse(n: u32): u32 { return n == 0 ? 0 : 1 + recurse(n - 1); }
function overflows(arg: u32): void {
  debug.print("depth " + recurse(arg).toString());
}
function traps(arg: u32): void {
  debug.print("trapping");
  unreachable();
}
function survivor(arg: u32): void {
  for (let i = 0; i < 4; i++) { time.sleepMs(2); debug.print("alive " + i.toString()); }
}
export function main(): void {
  task.build().entry(survivor).name("survivor").priority(2).spawn();
  task.build().entry(aborts).arg(7).name("aborts").priority(3).spawn();
  task.build().entry(overflows).arg(100000).name("overflows").priority(3).staticStack(1024).spawn();
  task.build().entry(traps).name("traps").priority(3).spawn();
  task.build().entry(overflows).arg(10).name("shallow").priority(4).staticStack(1024).spawn();
}
`;

describe("panics", () => {
  it("abort, stack overflow and a trap each kill only the offending task", async () => {
    const m = await machine("panics", APP);
    const result = m.runFor("20ms");
    expect(result.reason).toBe("cycles");
    expect(m.console.lines).toEqual([
      "about to fail",
      "trapping",
      "depth 10",
      "alive 0",
      "alive 1",
      "alive 2",
      "alive 3",
    ]);
    expect(m.console.panics[0]).toBe("arg must be zero");
    expect(result.faults).toHaveLength(1); // the trap reached the host once
    const events = m.trace.events();
    const name = (id: number) => m.taskNames.get(id);
    const panics = ofKind(events, "panic").map((e) => [name(e.context), e.a]);
    // reasons: 1 abort, 2 stack overflow, 3 trap
    expect(panics).toEqual([["aborts", 1], ["overflows", 2], ["traps", 3]]);
    const overflow = ofKind(events, "panic").find((e) => e.a === 2)!;
    // Frames used when it was caught: past the 768 bytes of frames a 1 KiB static stack allows
    // (a quarter is kept for its saved state), within the stack.
    expect(overflow.b).toBeGreaterThan(768);
    expect(overflow.b).toBeLessThanOrEqual(1024);
    // Every dead task was reclaimed; the survivor and the shallow task ran to completion.
    const deleted = ofKind(events, "task_delete").map((e) => name(e.context));
    for (const n of ["aborts", "overflows", "traps", "shallow", "survivor"]) expect(deleted).toContain(n);
  });
});
