import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

const DEEP = `
import { task, time, debug } from "hoprt";
function recurse(n: u32, acc: u32): u32 {
  if (n == 0) { let x: u32 = 0; for (let i: u32 = 0; i < 20000; i++) x += i ^ acc; return x; }
  return recurse(n - 1, acc * 3 + n) + 1;
}
function deep(arg: u32): void {
  while (true) { debug.print("r " + recurse(arg, 1).toString()); time.sleepMs(1); }
}
function spin(arg: u32): void { while (true) {} }
export function main(): void {
  task.build().entry(deep).arg(20).priority(5).name("d20").spawn();
  task.build().entry(deep).arg(60).priority(5).name("d60").staticStack(8192).spawn();
  task.build().entry(spin).arg(0).priority(5).name("spin").spawn();
}
`;

describe("stack: saved state is physical", () => {
  it("measure", async () => {
    const m = await machine("stack-deep", DEEP);
    m.runFor("30ms");
    console.log(m.tasks());
    console.log(m.panics());
  });
});
