import { task, time, debug } from "hoprt";

function worker(arg: u32): void {
  for (let i = 0; i < 3; i++) {
    debug.print("worker " + arg.toString() + " tick " + i.toString() + " at " + time.ticks().toString());
    time.sleepMs(10 * arg);
  }
}

export function main(): void {
  debug.print("hello from main");
  task.build().entry(worker).arg(1).priority(8).spawn();
  task.build().entry(worker).arg(2).priority(9).spawn();
}
