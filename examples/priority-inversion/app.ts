/**
 * Priority inversion, and how priority inheritance ends it.
 *
 * A low-priority task takes a mutex and works with it for 3 ms. A
 * high-priority task wakes at 1 ms and needs the mutex. A medium-priority
 * task wakes at 2 ms and computes for 6 ms without touching it. Without
 * inheritance (INHERIT = false) the medium task preempts the low one while
 * it holds the mutex, and the high task waits for the medium one too: the
 * inversion (it gets the mutex at about 9 ms). With inheritance the low task
 * runs at the high task's priority until it unlocks, so the high task gets
 * the mutex at 3 ms. Watch the timeline, change INHERIT, build again.
 */
import { task, time, debug, Mutex, WakeOrder } from "hoprt";

const INHERIT = true;
const shared = new Mutex(WakeOrder.Fifo, INHERIT);
const CYCLES_PER_MS: u64 = 168_000;

/** Keep the CPU busy for `ms` of this task's own running time. */
function work(ms: u64): void {
  let done: u64 = 0;
  let last = time.cycles();
  while (done < ms * CYCLES_PER_MS) {
    const now = time.cycles();
    // Count only the cycles this task ran: a preemption does not count.
    if (now - last < 1000) done += now - last;
    last = now;
  }
}

function low(arg: u32): void {
  shared.lock();
  debug.print("low: has the mutex at " + time.nowMs().toString() + " ms");
  work(3);
  debug.print("low: unlocks at " + time.nowMs().toString() + " ms");
  shared.unlock();
}

function medium(arg: u32): void {
  time.sleepMs(2);
  debug.print("medium: starts computing at " + time.nowMs().toString() + " ms");
  work(6);
  debug.print("medium: done at " + time.nowMs().toString() + " ms");
}

function high(arg: u32): void {
  time.sleepMs(1);
  const asked = time.nowMs();
  debug.print("high: wants the mutex at " + asked.toString() + " ms");
  shared.lock();
  const waited = time.nowMs() - asked;
  debug.print("high: got it after " + waited.toString() + " ms" + (INHERIT ? " (inheritance on)" : " (inheritance off: inverted)"));
  shared.unlock();
}

export function main(): void {
  task.build().entry(low).name("low").priority(10).spawn();
  task.build().entry(medium).name("medium").priority(6).spawn();
  task.build().entry(high).name("high").priority(2).spawn();
}
