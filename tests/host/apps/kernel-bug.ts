// A kernel bug on purpose (tests/host/kernel-bug.test.ts): a task corrupts
// the kernel's own structure with a raw memory write — the head of a
// semaphore's wait queue now points far outside memory — then gives the
// semaphore. The kernel follows that head with its lock held and traps:
// its state may be half-updated, so the machine must halt ("kernel bug"),
// not recover the trap as the task's panic.
import { task, time, debug, unwind, Semaphore } from "hoprt";

const sem = new Semaphore(1, 0);

function never(arg: u32): void { debug.print("cleanup ran (it must not: the machine halted)"); }
function waiter(arg: u32): void {
  sem.take();
  debug.print("waiter woke (never)");
}
function corrupter(arg: u32): void {
  unwind.defer(never, 0);
  debug.print("corrupting the wait queue");
  // The semaphore's wait queue object; its first field is the head (kernel/sync/waitqueue.ts).
  const queue = load<usize>(changetype<usize>(sem) + offsetof<Semaphore>("waiters"));
  store<usize>(queue, 0xFFFF_FF00);
  sem.give();
  debug.print("give returned (never)");
}
/** The control: the same kind of trap outside the kernel is the task's own panic, recovered as usual. */
function ordinary(arg: u32): void {
  unwind.defer(ordinaryCleanup, 0);
  unreachable();
}
function ordinaryCleanup(arg: u32): void { debug.print("ordinary trap unwound"); }

export function main(): void {
  task.build().entry(waiter).name("waiter").priority(4).spawn();
  task.build().entry(ordinary).name("ordinary").priority(5).spawn();
  time.sleepMs(1);
  task.build().entry(corrupter).name("corrupter").priority(4).spawn();
  time.sleepMs(1);
  debug.print("main goes on (never)");
}
