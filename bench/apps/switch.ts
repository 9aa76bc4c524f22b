import { task } from "hoprt";
function pinger(arg: u32): void {
  while (true) task.yieldCurrent();
}
export function main(): void {
  task.build().entry(pinger).arg(1).priority(5).spawn();
  task.build().entry(pinger).arg(2).priority(5).spawn();
}
