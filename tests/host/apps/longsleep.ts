// Long sleeps and timeouts at a 10 kHz tick (tests/host/wheel.test.ts).
import { task, time, debug, errors, Semaphore, Config } from "hoprt";

export function configure(cfg: Config): void {
  cfg.tickHz = 10000;
}

const never = new Semaphore(1, 0);

function forever(arg: u32): void {
  debug.mark(3, arg);
  if (arg == 0) time.sleepTicks(0xFFFFFFFF);
  else time.sleepMs(400_000_000); // 4e9 ticks: fits, just
  debug.print("forever " + arg.toString() + " woke at " + time.ticks().toString());
}

function exact(arg: u32): void {
  const before = time.ticks();
  time.sleepTicks(arg);
  debug.print("slept " + arg.toString() + ": " + (time.ticks() - before).toString());
}

function main2(arg: u32): void {
  // 430 000 000 ms at 10 kHz is 4.3e12 ticks: refused, never cut.
  const code = time.sleepMsChecked(430_000_000);
  const timed = never.takeTimeout(430_000_000);
  debug.print("too long " + code.toString() + " " + (timed ? "T" : "F") + " at " + time.ticks().toString());
  for (let n: u32 = 1; n <= 4; n++) task.build().entry(exact).arg(n == 1 ? 63 : n == 2 ? 64 : n == 3 ? 65 : 4097).priority(3).spawn();
  task.build().entry(forever).arg(0).priority(4).spawn();
  task.build().entry(forever).arg(1).priority(4).spawn();
}

export function main(): void {
  task.build().entry(main2).priority(2).spawn();
}
