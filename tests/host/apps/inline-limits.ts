// An ISR -> task path (a semaphore given in a handler, taken by a waiting task) and a loop of
// small helpers, for tests/host/inline-limits.test.ts: built with Binaryen's inlining limits at
// 20, 40 and 65, the kernel's helpers and these are inlined differently unless the build pins it.
import { task, time, debug, irq, Semaphore } from "hoprt";
const sem = new Semaphore(1, 0);
let hits: u32 = 0;
function scale(x: u32, k: u32): u32 { return x * k + (x >> 3); }
function clampAdd(a: u32, b: u32): u32 { const s = a + b; return s < a ? 0xFFFF_FFFF : s; }
function helperLoop(n: u32): u32 {
  let acc: u32 = 1;
  for (let i: u32 = 0; i < n; i++) acc = clampAdd(acc, scale(i, 3));
  return acc;
}
function onIrq(): void { hits++; sem.give(); }
function waiter(arg: u32): void {
  while (true) { sem.take(); debug.mark(2); }
}
function runner(arg: u32): void {
  const t0 = time.cycles();
  const v = helperLoop(1000);
  const t1 = time.cycles();
  debug.print("helper " + (t1 - t0).toString() + " " + v.toString());
  for (let k = 0; k < 5; k++) { debug.mark(1); irq.pend(20); time.sleepTicks(1); }
}
export function main(): void {
  irq.attach(20, onIrq, 4);
  irq.enable(20);
  task.build().entry(waiter).priority(3).spawn();
  task.build().entry(runner).priority(5).spawn();
}
