import { task, irq } from "hoprt";
export let handled: u32 = 0;
function onIrq(): void { handled++; }
function trigger(arg: u32): void {
  while (true) irq.pend(5);
}
export function main(): void {
  irq.attach(5, onIrq, 1);
  irq.enable(5);
  task.build().entry(trigger).priority(8).spawn();
}
