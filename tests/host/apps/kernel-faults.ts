// A stack overflow swept through kernel calls (tests/host/unwind.test.ts):
// each worker fills its static stack to a different depth, then calls
// spawn, Semaphore.give, Channel.send or a sleep, and recurses on until it
// overflows. Where the overflow is noticed inside the kernel, the panic
// must wait until the kernel lock is let go (nothing half-done).
import { task, time, debug, Semaphore, Channel, unwind } from "hoprt";

const sem = new Semaphore(100000, 0);
const chan = new Channel<u32>(4);
let op: u32 = 0;
let unwound: u32 = 0;

function child(arg: u32): void {}
function deep(n: u32): u32 { return n == 0 ? 0 : deep(n - 1) + 1; }
function kernelCall(): u32 {
  if (op == 0) task.build().entry(child).priority(4).spawn();
  else if (op == 1) sem.give();
  else if (op == 2) chan.send(7);
  else time.sleepTicks(1);
  return deep(100000);
}
function pad(n: u32): u32 { return n == 0 ? kernelCall() : pad(n - 1) + 1; }
// One frame 8 bytes bigger than pad's: with it the sweep moves in 8-byte steps (frames are 8-byte aligned).
function padWide(n: u32): u64 { let wide: u64 = <u64>n << 32; return <u64>pad(n) + (wide >> 32); }
function counted(arg: u32): void { unwound++; }
function worker(depth: u32): void {
  unwind.defer(counted, 0);
  debug.print("never " + ((depth & 1) != 0 ? padWide(depth >> 1) : <u64>pad(depth >> 1)).toString());
}

export function main(): void {
  let bad = 0;
  let runs: u32 = 0;
  for (op = 0; op < 4; op++) {
    for (let depth: u32 = 0; depth < 96; depth++) {
      task.build().entry(worker).arg(depth).priority(3).staticStack(1024).spawn();
      time.sleepTicks(2);
      runs++;
      while (chan.tryReceive()) {}
      const audit = debug.auditKernel();
      if (audit != 0) { bad++; debug.print("audit " + audit.toString() + " op " + op.toString() + " depth " + depth.toString()); }
    }
  }
  debug.print("sweep runs " + runs.toString() + " unwound " + unwound.toString() + " bad " + bad.toString() + " tasks " + task.count().toString());
}
