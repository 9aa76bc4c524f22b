import { task, debug, Semaphore } from "hoprt";
const sem = new Semaphore(1, 0);
function taker(arg: u32): void { while (true) { sem.take(); debug.mark(2); } }
function giver(arg: u32): void { while (true) { debug.mark(1); sem.give(); } }
export function main(): void {
  task.build().entry(taker).priority(2).spawn();
  task.build().entry(giver).priority(5).spawn();
}
