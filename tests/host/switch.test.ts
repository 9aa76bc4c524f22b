import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

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
});
