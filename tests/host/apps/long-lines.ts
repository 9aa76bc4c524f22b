// Console lines longer than the probe's ring, a boot line that cannot fit, a sleep between
// (tests/host/untrusted.test.ts, slicing.test.ts).
import { task, time, debug } from "hoprt";
debug.print("boot " + "b".repeat(10000));
function talker(arg: u32): void {
  debug.print("short");
  debug.print("x".repeat(12000) + "|end");
  debug.print("y".repeat(2048));
  debug.print("z".repeat(1024));
  debug.print("after");
  time.sleepMs(1);
  debug.print("w".repeat(9000));
}
export function main(): void { task.build().entry(talker).name("talker").spawn(); }
