import { task, debug, irq, Semaphore } from "hoprt";
const sem = new Semaphore(1, 0);
function onIrq(): void { sem.giveFromIsr(); }
function taker(arg: u32): void { while (true) { sem.take(); debug.mark(2); } }
function pender(arg: u32): void { while (true) { debug.mark(1); irq.pend(5); } }
export function main(): void {
  irq.attach(5, onIrq, 1);
  irq.enable(5);
  task.build().entry(taker).priority(2).spawn();
  task.build().entry(pender).priority(8).spawn();
}
