// The firmware the C host example runs: two tasks taking turns, a panic
// that is recovered from (a trap: the kernel ends that task, the rest
// goes on), and a line longer than one console record.
import { task, time, debug } from "hoprt";

function counter(arg: u32): void {
  for (let i: u32 = 0; i < 4; i++) {
    debug.print("task " + arg.toString() + " count " + i.toString() + " at " + time.nowMs().toString() + " ms");
    time.sleepMs(5 * arg);
  }
}

function faulty(arg: u32): void {
  time.sleepMs(7);
  const zero = arg - arg;
  debug.print("divide: " + (arg / zero).toString()); // traps: integer division by zero
}

export function main(): void {
  debug.print("héllo from HopRT ✓ " + "=".repeat(1500));
  task.build().entry(counter).arg(1).name("one").spawn();
  task.build().entry(counter).arg(2).name("two").spawn();
  task.build().entry(faulty).arg(3).name("faulty").spawn();
}
