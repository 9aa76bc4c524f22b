// The HardRT reference scenarios (../shared/reference/hardrt-scenarios.md),
// run one after the other by main (priority 0). Each prints lines "NN:..."
// that tests/host/hardrt.test.ts checks.
import {
  task, time, debug, irq, scheduler, version, Policy,
  Semaphore, Mutex, Channel, ISR_DONE_SWITCH,
} from "hoprt";

const done = new Semaphore(64, 0);
let order: string = "";

function say(n: i32, text: string): void {
  debug.print((n < 10 ? "0" : "") + n.toString() + ":" + text);
}

function b(v: bool): string { return v ? "T" : "F"; }

function nop(arg: u32): void {}

function finish(count: i32): void {
  for (let i = 0; i < count; i++) done.take();
}

// 1, 8: identity and limits
function s01(): void {
  say(1, version.VERSION + " " + version.NUMBER.toString() + " " + version.PORT + " " + version.PORT_ID.toString() + " abi " + version.ABI.toString());
  say(8, task.maxTasks().toString() + " " + scheduler.priorityLevels().toString());
}

// 9: spawning up to the limit
const gate = new Semaphore(64, 0);
function parked(arg: u32): void { gate.take(); done.give(); }
function s09(): void {
  let spawned = 0;
  let last = 0;
  while (true) {
    // 512 bytes: a blocked task's frames and its saved state (Asyncify data + exception frame) must fit.
    last = task.build().entry(parked).priority(9).staticStack(512).spawn();
    if (last < 0) break;
    spawned++;
  }
  say(9, "spawned " + spawned.toString() + " then " + last.toString() + " total " + task.count().toString());
  for (let i = 0; i < spawned; i++) gate.give();
  finish(spawned);
}

// 10, 11, 13: stacks, defaults
function s10(): void {
  say(10, task.build().entry(nop).staticStack(128).spawn().toString());
  const id = task.build().entry(parked).spawn();
  say(11, task.priorityOf(id).toString() + " " + task.timesliceOf(id).toString());
  scheduler.setDefaultTimeslice(7);
  const later = task.build().entry(parked).spawn();
  say(13, task.timesliceOf(id).toString() + " " + task.timesliceOf(later).toString());
  scheduler.setDefaultTimeslice(5);
  gate.give(); gate.give();
  finish(2);
}

// 2: sleep(10) five times
function sleeper2(arg: u32): void {
  const start = time.ticks();
  let wakes = 0;
  for (let i = 0; i < 5; i++) { time.sleepMs(10); wakes++; }
  say(2, "wakes " + wakes.toString() + " elapsed " + (time.ticks() - start).toString());
  done.give();
}

// 3: equal priorities that yield alternate strictly
function yielder(arg: u32): void {
  for (let i = 0; i < 8; i++) { order += arg == 1 ? "A" : "B"; task.yieldCurrent(); }
  done.give();
}

// 4: equal priorities that sleep(1) both reach 30
let count4a = 0, count4b = 0;
function counter4(arg: u32): void {
  for (let i = 0; i < 30; i++) { if (arg == 1) count4a++; else count4b++; time.sleepMs(1); }
  done.give();
}

// 5: strict priority
let lowRan = false;
let lowRanDuringYields = false;
function high5(arg: u32): void {
  for (let i = 0; i < 2000; i++) task.yieldCurrent();
  lowRanDuringYields = lowRan;
  time.sleepMs(1);
  say(5, "low ran during yields " + b(lowRanDuringYields) + " after sleep " + b(lowRan));
  done.give();
}
function low5(arg: u32): void { lowRan = true; done.give(); }

// 6: timeslice 0 is never rotated; timeslice 3 rotates every 3 ticks
function busyTicks(arg: u32): void {
  const until = time.ticks() + arg;
  while (time.ticks() < until) {}
  done.give();
}
let peerFirstTick: u32 = 0;
let zeroEndTick: u32 = 0;
function zeroSlice(arg: u32): void {
  const until = time.ticks() + 20;
  while (time.ticks() < until) {}
  zeroEndTick = time.ticks();
  done.give();
}
function peer6(arg: u32): void {
  peerFirstTick = time.ticks();
  done.give();
}

// 12: RR -> Priority at run time
function spinner12(arg: u32): void {
  const until = time.ticks() + 12;
  while (time.ticks() < until) {}
  done.give();
}

// 14: sleepers wake in order
function sleeper14(arg: u32): void { time.sleepMs(arg); order += arg.toString(); done.give(); }

// 16: sleep(0) is one tick
// 17, 18: returning and self-deleting tasks
let progress17 = 0;
function returns(arg: u32): void {}
function exits(arg: u32): void { task.exit(); progress17 = 1000; }
function keepsGoing(arg: u32): void {
  for (let i = 0; i < 3; i++) { time.sleepMs(1); progress17++; }
  done.give();
}

// 19..27: semaphores
function taker20(arg: u32): void {
  const sem = changetype<Semaphore>(arg);
  const start = time.ticks();
  sem.take();
  say(20, "waited " + (time.ticks() - start).toString());
  done.give();
}
function giver20(arg: u32): void {
  time.sleepMs(10);
  changetype<Semaphore>(arg).give();
  done.give();
}
let shared: Semaphore = new Semaphore(1, 0);
function waiter21(arg: u32): void { shared.take(); order += arg.toString(); done.give(); }
let switchNeeded23 = false;
function onIrq23(): void { switchNeeded23 = shared.giveFromIsr(); }
function waiter23(arg: u32): void { shared.take(); say(23, "switch " + b(switchNeeded23) + " woke T"); done.give(); }
/** Pends IRQ `arg` from a low-priority task, so the handler interrupts a task a woken waiter beats. */
function pender(arg: u32): void { time.sleepMs(1); irq.pend(<i32>arg); done.give(); }

// 28..32: queues
const q29 = new Channel<u32>(2);
function sender29(arg: u32): void { time.sleepMs(5); q29.send(123); done.give(); }
const q30 = new Channel<u32>(1);
function sender30(arg: u32): void {
  const start = time.ticks();
  q30.send(2); // blocks: the queue holds one value already
  say(30, "sender resumed after " + (time.ticks() - start).toString());
  done.give();
}
function receiver30(arg: u32): void { time.sleepMs(3); q30.receive(); done.give(); }
const q31 = new Channel<u32>(4);
let got31: string = "";
function receiver31(arg: u32): void { const v = q31.receive(); got31 += arg.toString() + "=" + v.toString() + " "; done.give(); }
const q32 = new Channel<u32>(2);
let sendResult32 = 0, recvResult32 = 0, emptyResult32 = 0, value32: u32 = 0;
function onIrq32send(): void { sendResult32 = q32.sendFromIsr(5); }
function onIrq32recv(): void {
  recvResult32 = q32.receiveFromIsr();
  value32 = q32.received;
  emptyResult32 = q32.receiveFromIsr();
}
function receiver32(arg: u32): void { say(32, "received " + q32.receive().toString()); done.give(); }

// 33: with SysTick, an external tick from an ISR is ignored
let ignored33 = true;
function onIrq33(): void { ignored33 = !time.tickFromIsr(); }

// 37..44: mutexes
let mutex = new Mutex();
function owner39(arg: u32): void {
  mutex.lock();
  time.sleepMs(5);
  mutex.unlock();
  done.give();
}
function locker39(arg: u32): void {
  const start = time.ticks();
  mutex.lock();
  say(39, "acquired after " + (time.ticks() - start).toString());
  mutex.unlock();
  done.give();
}
function waiter40(arg: u32): void {
  mutex.lock();
  order += arg.toString();
  say(42, "owner is waiter " + b(mutex.ownerId() == task.current()));
  mutex.unlock();
  done.give();
}
function holder44(arg: u32): void { mutex.lock(); time.sleepMs(3); mutex.unlock(); done.give(); }

export function main(): void {
  s01();
  s09();
  s10();

  task.build().entry(sleeper2).priority(3).spawn();
  finish(1);

  order = "";
  task.build().entry(yielder).arg(1).priority(6).spawn();
  task.build().entry(yielder).arg(2).priority(6).spawn();
  finish(2);
  say(3, order);

  task.build().entry(counter4).arg(1).priority(6).spawn();
  task.build().entry(counter4).arg(2).priority(6).spawn();
  finish(2);
  say(4, count4a.toString() + " " + count4b.toString());

  task.build().entry(low5).priority(1).spawn();
  task.build().entry(high5).priority(0).spawn();
  finish(2);

  task.build().entry(zeroSlice).name("s6-zero").priority(9).timeslice(0).spawn();
  task.build().entry(peer6).name("s6-peer").priority(9).spawn();
  finish(2);
  say(6, "zero-slice ran until tick " + zeroEndTick.toString() + ", peer first ran at " + peerFirstTick.toString());
  task.build().entry(busyTicks).arg(12).name("s6-three-a").priority(9).timeslice(3).spawn();
  task.build().entry(busyTicks).arg(12).name("s6-three-b").priority(9).timeslice(3).spawn();
  finish(2);
  say(6, "sliced done");

  scheduler.setPolicy(Policy.RoundRobin);
  task.build().entry(spinner12).name("s12-a").priority(9).timeslice(2).spawn();
  task.build().entry(spinner12).name("s12-b").priority(9).timeslice(2).spawn();
  time.sleepMs(6);
  scheduler.setPolicy(Policy.Priority);
  finish(2);
  scheduler.setPolicy(Policy.PriorityRR);
  say(12, "both finished");

  order = "";
  task.build().entry(sleeper14).arg(3).priority(5).spawn();
  task.build().entry(sleeper14).arg(1).priority(5).spawn();
  task.build().entry(sleeper14).arg(2).priority(5).spawn();
  finish(3);
  say(14, order);

  const before16 = time.ticks();
  time.sleepMs(0);
  say(16, (time.ticks() - before16).toString());

  const tasksBefore = task.count();
  task.build().entry(returns).priority(4).spawn();
  task.build().entry(exits).priority(4).spawn();
  task.build().entry(keepsGoing).priority(5).spawn();
  time.sleepMs(1);
  say(17, "deleted " + b(task.count() == tasksBefore + 1));
  finish(1);
  time.sleepMs(1); // keepsGoing returns and is reclaimed
  say(18, "progress " + progress17.toString() + " tasks " + (task.count() - tasksBefore).toString());

  // Semaphores
  const s19 = new Semaphore(1, 1);
  const a = s19.tryTake(), bb = s19.tryTake(), c = s19.give(), d = s19.tryTake();
  say(19, b(a) + b(bb) + b(c) + b(d));

  const s20 = new Semaphore(1, 0);
  task.build().entry(taker20).arg(changetype<u32>(s20)).priority(0).spawn();
  task.build().entry(giver20).arg(changetype<u32>(s20)).priority(2).spawn();
  finish(2);

  order = "";
  shared = new Semaphore(3, 0);
  for (let i: u32 = 1; i <= 3; i++) task.build().entry(waiter21).arg(i).priority(3).spawn();
  time.sleepMs(1); // all three block, in spawn order
  shared.give(); shared.give(); shared.give();
  finish(3);
  say(21, order);

  const s22 = new Semaphore(1, 0);
  const g1 = s22.give(), g2 = s22.give(), t1 = s22.tryTake(), t2 = s22.tryTake();
  say(22, "give " + b(g1) + b(g2) + " take " + b(t1) + b(t2));

  shared = new Semaphore(1, 0);
  irq.attach(3, onIrq23, 2);
  irq.enable(3);
  task.build().entry(waiter23).priority(1).spawn();
  task.build().entry(pender).arg(3).priority(7).spawn();
  finish(2);

  const s24 = new Semaphore(3, 0);
  let gives = "";
  for (let i = 0; i < 5; i++) gives += b(s24.give());
  const count24 = s24.count();
  let takes = "";
  for (let i = 0; i < 4; i++) takes += b(s24.tryTake());
  say(24, "gives " + gives + " count " + count24.toString() + " takes " + takes);

  say(25, new Semaphore(3, 10).count().toString());

  shared = new Semaphore(1, 0);
  order = "";
  task.build().entry(waiter21).arg(9).priority(5).spawn();
  time.sleepMs(1);
  shared.give();
  const stolen = shared.tryTake();
  say(26, "count " + shared.count().toString() + " steal " + b(stolen));
  finish(1);

  order = "";
  shared = new Semaphore(3, 0);
  for (let i: u32 = 1; i <= 3; i++) task.build().entry(waiter21).arg(i).priority(0).spawn();
  time.sleepMs(1);
  shared.give(); shared.give(); shared.give();
  finish(3);
  say(27, order);

  // Queues
  const q28 = new Channel<u32>(4);
  const rt = q28.trySend(7) && q28.tryReceive();
  const rtValue = q28.received;
  let sends = "";
  for (let i: u32 = 1; i <= 5; i++) sends += b(q28.trySend(i));
  let drained = "";
  while (q28.tryReceive()) drained += q28.received.toString();
  say(28, "rt " + b(rt) + rtValue.toString() + " sends " + sends + " drain " + drained + " empty " + b(q28.tryReceive()));

  task.build().entry(sender29).priority(4).spawn();
  const start29 = time.ticks();
  const v29 = q29.receive();
  say(29, "got " + v29.toString() + " after " + (time.ticks() - start29).toString());
  finish(1);

  q30.send(1);
  task.build().entry(sender30).priority(3).spawn();
  task.build().entry(receiver30).priority(4).spawn();
  finish(2);

  for (let i: u32 = 1; i <= 3; i++) task.build().entry(receiver31).arg(i).priority(3).spawn();
  time.sleepMs(1);
  q31.send(10); q31.send(20); q31.send(30);
  finish(3);
  say(31, got31.trim());

  irq.attach(4, onIrq32send, 2);
  irq.attach(5, onIrq32recv, 2);
  irq.enable(4); irq.enable(5);
  task.build().entry(receiver32).priority(1).spawn();
  task.build().entry(pender).arg(4).priority(7).spawn();
  finish(2);
  q32.send(77);
  irq.pend(5);
  say(32, "send " + sendResult32.toString() + " recv " + recvResult32.toString() + " value " + value32.toString() + " empty " + emptyResult32.toString() + " switch code " + ISR_DONE_SWITCH.toString());

  irq.attach(6, onIrq33, 2);
  irq.enable(6);
  const ticks33 = time.ticks();
  irq.pend(6);
  say(33, "ignored " + b(ignored33) + " ticks moved " + (time.ticks() - ticks33).toString());

  // Mutexes
  mutex = new Mutex();
  say(37, mutex.lock().toString() + " " + mutex.unlock().toString() + " " + b(mutex.tryLock()) + " " + mutex.unlock().toString());
  const l38 = mutex.lock();
  say(38, "lock " + l38.toString() + " trylock " + b(mutex.tryLock()) + " unlock " + mutex.unlock().toString());

  task.build().entry(owner39).priority(5).spawn();
  time.sleepMs(1);
  task.build().entry(locker39).priority(4).spawn();
  finish(2);

  order = "";
  mutex.lock();
  for (let i: u32 = 1; i <= 3; i++) task.build().entry(waiter40).arg(i).priority(3).spawn();
  time.sleepMs(1);
  mutex.unlock();
  finish(3);
  say(40, order);

  task.build().entry(holder44).priority(2).spawn();
  time.sleepMs(1);
  say(41, mutex.unlock().toString());
  say(44, b(mutex.tryLock()));
  finish(1);

  mutex = new Mutex();
  say(43, mutex.lock().toString() + " " + mutex.unlock().toString());

  time.sleepMs(10);
  say(46, "slept");
}
