// Synchronisation beyond the HardRT list: priority inversion with and without
// inheritance, an inheritance chain, timeouts, Mailbox, CondVar, and blocking
// calls in a handler or with the scheduler suspended (they panic the
// caller). Lines are "tag:...".
import { task, time, debug, irq, errors, Semaphore, Mutex, Channel, Mailbox, CondVar, WakeOrder, unwind, scheduler } from "hoprt";

const done = new Semaphore(16, 0);
let log: string = "";
function note(s: string): void { log += s + " "; }
function busy(ticks: u32): void { const until = time.ticks() + ticks; while (time.ticks() < until) {} }

// Priority inversion: low holds the mutex, high waits, medium busy-loops.
let inv: Mutex = new Mutex();
function low(arg: u32): void { inv.lock(); busy(5); note("low-unlocks"); inv.unlock(); done.give(); }
function high(arg: u32): void { time.sleepMs(1); inv.lock(); note("high-locked"); inv.unlock(); done.give(); }
function medium(arg: u32): void { time.sleepMs(2); busy(20); note("medium-done"); done.give(); }

function inversion(withInheritance: bool): void {
  log = "";
  inv = new Mutex(WakeOrder.Fifo, withInheritance);
  task.build().entry(low).name("inv-low").priority(10).spawn();
  task.build().entry(high).name("inv-high").priority(2).spawn();
  task.build().entry(medium).name("inv-medium").priority(5).spawn();
  for (let i = 0; i < 3; i++) done.take();
  debug.print((withInheritance ? "inherit:" : "plain:") + log.trim());
}

// A chain: c holds B, b holds A and waits for B, a waits for A: a's priority reaches c.
const mutexA = new Mutex();
const mutexB = new Mutex();
let chainPriority: i32 = -1;
function chainC(arg: u32): void {
  mutexB.lock();
  time.sleepMs(3); // b and a pile up behind us
  chainPriority = task.priorityOf(task.current());
  mutexB.unlock();
  done.give();
}
function chainB(arg: u32): void { time.sleepMs(1); mutexA.lock(); mutexB.lock(); mutexB.unlock(); mutexA.unlock(); done.give(); }
function chainA(arg: u32): void { time.sleepMs(2); mutexA.lock(); mutexA.unlock(); done.give(); }

// Timeouts
function timeouts(): void {
  const sem = new Semaphore(1, 0);
  let t0 = time.ticks();
  const took = sem.takeTimeout(5);
  debug.print("timeout:sem " + (took ? "T" : "F") + " after " + (time.ticks() - t0).toString());
  const ch = new Channel<u32>(1);
  t0 = time.ticks();
  const got = ch.receiveTimeout(3);
  debug.print("timeout:recv " + (got ? "T" : "F") + " after " + (time.ticks() - t0).toString());
  ch.send(1);
  t0 = time.ticks();
  const sent = ch.sendTimeout(2, 4);
  debug.print("timeout:send " + (sent ? "T" : "F") + " after " + (time.ticks() - t0).toString() + " count " + ch.count().toString());
}
const held = new Mutex();
function holder(arg: u32): void { held.lock(); time.sleepMs(10); held.unlock(); done.give(); }
function lockTimeoutCase(): void {
  const holderId = task.build().entry(holder).priority(3).spawn();
  time.sleepMs(1);
  const t0 = time.ticks();
  const got = held.lockTimeout(4);
  // While main (P0) waited the holder ran at 0; after the timeout it is back at 3.
  debug.print("timeout:lock " + (got ? "T" : "F") + " after " + (time.ticks() - t0).toString() + " holder priority " + task.priorityOf(holderId).toString());
  done.take();
}

// Mailbox
const box = new Mailbox();
function boxWaiter(arg: u32): void {
  for (let i = 0; i < 3; i++) box.wait();
  debug.print("mailbox:got 3 pending " + box.pending().toString() + " second waiter " + (box.waitTimeout(1) ? "T" : "F"));
  done.give();
}
function boxRival(arg: u32): void { time.sleepMs(1); debug.print("mailbox:rival " + box.wait().toString()); done.give(); }
function onIrqBox(): void { box.notifyFromIsr(); }

// CondVar
const cvMutex = new Mutex();
const cv = new CondVar();
let ready: i32 = 0;
function cvWaiter(arg: u32): void {
  cvMutex.lock();
  while (ready < <i32>arg) cv.wait(cvMutex);
  note("w" + arg.toString() + (cvMutex.ownerId() == task.current() ? "+" : "-"));
  cvMutex.unlock();
  done.give();
}

// Blocking in a handler is refused
let isrResults: string = "";
const isrSem = new Semaphore(1, 1);     // a token is there: the call panics all the same
const isrMutex = new Mutex();
const isrChannel = new Channel<u32>(1);
const isrBox = new Mailbox();
const isrCv = new CondVar();
const BLOCKING_CALLS: u32 = 14;
/** Every blocking call of DESIGN §5, by number; none may return here. */
function blockingCall(step: u32): void {
  if (step == 0) isrSem.take();
  else if (step == 1) isrSem.takeTimeout(5);
  else if (step == 2) isrMutex.lock();
  else if (step == 3) isrMutex.lockTimeout(5);
  else if (step == 4) isrChannel.send(1);
  else if (step == 5) isrChannel.sendTimeout(1, 5);
  else if (step == 6) isrChannel.receive();
  else if (step == 7) isrChannel.receiveTimeout(5);
  else if (step == 8) isrBox.wait();
  else if (step == 9) isrBox.waitTimeout(5);
  else if (step == 10) isrCv.wait(isrMutex);
  else if (step == 11) isrCv.waitTimeout(isrMutex, 5);
  else if (step == 12) time.sleepMs(1);
  else time.sleepTicks(1);
  isrResults += "returned" + step.toString() + " ";
}
function noteUnwound(step: u32): void { isrResults += step.toString() + " "; }
let isrStep: u32 = 0;
function onIrqBlocking(): void {
  const step = isrStep++;
  unwind.defer(noteUnwound, step);
  blockingCall(step);
}
function suspendedCaller(step: u32): void {
  unwind.defer(noteUnwound, step);
  scheduler.suspend();
  blockingCall(step);
}

export function main(): void {
  inversion(true);
  inversion(false);

  task.build().entry(chainC).priority(9).spawn();
  task.build().entry(chainB).priority(6).spawn();
  task.build().entry(chainA).priority(1).spawn();
  for (let i = 0; i < 3; i++) done.take();
  debug.print("chain:c ran at " + chainPriority.toString());

  timeouts();
  lockTimeoutCase();

  irq.attach(7, onIrqBox, 1);
  irq.enable(7);
  task.build().entry(boxWaiter).priority(2).spawn();
  task.build().entry(boxRival).priority(3).spawn();
  time.sleepMs(2);
  box.notify();
  time.sleepMs(1); // the waiter takes it and blocks again: the handler's notification wakes it
  irq.pend(7);
  box.notify();
  time.sleepMs(5);
  box.notify(); // for the rival, whose wait was refused: stays pending
  done.take(); done.take();

  log = "";
  for (let i = 1; i <= 3; i++) task.build().entry(cvWaiter).arg(<u32>i).priority(4).spawn();
  time.sleepMs(1);
  ready = 1; cvMutex.lock(); cv.notifyOne(); cvMutex.unlock();
  time.sleepMs(1);
  ready = 3; cvMutex.lock(); cv.notifyAll(); cvMutex.unlock();
  for (let i = 0; i < 3; i++) done.take();
  debug.print("condvar:" + log.trim());

  irq.attach(8, onIrqBlocking, 1);
  irq.enable(8);
  isrResults = "";
  for (let i: u32 = 0; i < BLOCKING_CALLS; i++) irq.pend(8);
  debug.print("isr:" + isrResults.trim() + " try " + (isrSem.tryTake() ? "T" : "F") + (isrSem.tryTake() ? "T" : "F"));
  isrResults = "";
  for (let i: u32 = 0; i < BLOCKING_CALLS; i++) {
    task.build().entry(suspendedCaller).arg(i).priority(1).spawn();
    time.sleepTicks(1);   // runs once the caller unwound: its suspension ended
  }
  debug.print("suspended:" + isrResults.trim() + " " + (scheduler.isSuspended() ? "still suspended" : "resumed"));
}
