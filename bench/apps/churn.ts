// gc: two tasks of one level allocate strings and arrays, preempting each other at every tick.
import { task, debug } from "hoprt";
function churn(arg: u32): void {
  let kept = new Array<string>(0);
  for (let i: u32 = 0; ; i++) {
    const s = "item " + i.toString() + " of " + arg.toString();
    const a = new Array<u32>(16);
    a[0] = i;
    if ((i & 7) == 0) kept.push(s);
    if (kept.length > 64) kept = new Array<string>(0);
    if (a[0] != i) debug.print("corrupt");
  }
}
export function main(): void {
  task.build().entry(churn).arg(1).priority(6).timeslice(1).spawn();
  task.build().entry(churn).arg(2).priority(6).timeslice(1).spawn();
}
