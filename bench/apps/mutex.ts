import { task, debug, Mutex, Semaphore } from "hoprt";
const m = new Mutex();
const go = new Semaphore(1, 0);
// low holds the mutex and lets high block on it; low's unlock hands it over.
function high(arg: u32): void { while (true) { go.take(); m.lock(); debug.mark(2); m.unlock(); } }
function low(arg: u32): void { while (true) { m.lock(); go.give(); debug.mark(1); m.unlock(); } }
export function main(): void {
  task.build().entry(high).priority(2).spawn();
  task.build().entry(low).priority(5).spawn();
}
