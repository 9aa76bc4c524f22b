// Fault injection under load (tests/host/unwind.test.ts, fast-check):
// restartable workers share a mutex, a counting semaphore and a channel;
// the host raises IRQ lines that order a worker to panic (7 sources x 3
// places in its loop), make a handler panic, or send from a handler. A
// checker watches the invariants; cleanup handlers keep the books.
import { task, time, debug, unwind, panic, Mutex, POISONED, Semaphore, Channel, irq, mmio, scheduler } from "hoprt";
import { heapUsed } from "hoprt/kernel/memory/heap";

const WORKERS: u32 = 3;
const SOURCES: u32 = 7;
const PLACES: u32 = 3;
const KINDS: u32 = SOURCES * PLACES;       // 21 lines per worker: 0..62
const ISR_PANIC_LINE: i32 = 63;
const STORM_LINE: i32 = 64;
const TOKENS: i32 = 4;
const RING: u32 = 256;

const mtx = new Mutex();
const sem = new Semaphore(TOKENS, TOKENS);
const ch = new Channel<u32>(2);
let inside: i32 = 0;   // tasks inside mtx's critical section
let held: i32 = 0;     // semaphore tokens taken and not given back
let ordered: u32 = 0;
let consumed: u32 = 0;
let isrPanics: u32 = 0;
let isrCleanups: u32 = 0;
let storms: u32 = 0;
let violations: u32 = 0;
const orders = new StaticArray<u32>(<i32>(WORKERS * RING));
const heads = new StaticArray<u32>(<i32>WORKERS);
const tails = new StaticArray<u32>(<i32>WORKERS);
const loops = new StaticArray<u32>(<i32>WORKERS);

function recurse(n: u32): u32 { return n == 0 ? 0 : 1 + recurse(n - 1); }
function fail(source: u32): void {
  if (source == 0) panic("ordered panic");
  else if (source == 1) abort("ordered abort");
  else if (source == 2) assert(source == 0, "ordered assert");
  else if (source == 3) throw new Error("ordered throw");
  else if (source == 4) mmio.read32(0x5100_0000);
  else if (source == 5) unreachable();
  else debug.print("depth " + recurse(100000).toString());
}
function maybeFail(w: u32, place: u32): void {
  const head = heads[w];
  if (head == tails[w]) return;
  const kind = orders[w * RING + head % RING];
  if (kind % PLACES != place) return;
  heads[w] = head + 1;
  consumed++;
  fail(kind / PLACES);
}

function leaveCritical(arg: u32): void { inside--; }
function critical(w: u32): void {
  inside++;
  unwind.defer(leaveCritical, 0);
  if (inside != 1) violations++;
  maybeFail(w, 0);
}
function giveBack(arg: u32): void {
  scheduler.suspend();
  held--;
  sem.give();
  scheduler.resume();
}
function withToken(w: u32): void {
  scheduler.suspend();
  const got = sem.tryTake();
  if (got) held++;
  scheduler.resume();
  if (!got) { time.sleepTicks(1); return; }
  unwind.defer(giveBack, 0);
  maybeFail(w, 1);
  ch.trySend(w);
}
function worker(w: u32): void {
  while (true) {
    loops[w]++;
    if (mtx.lock() == POISONED) mtx.clearPoison();
    critical(w);
    mtx.unlock();
    withToken(w);
    time.sleepTicks(1);
    maybeFail(w, 2);
  }
}

function onIrq(): void {
  const irqn = <i32>(mmio.read32(0xE000ED04) & 0x1FF) - 16;
  if (irqn == ISR_PANIC_LINE) {
    unwind.defer(isrCleanup, 0);
    isrPanics++;
    panic("handler panic");
  }
  if (irqn == STORM_LINE) { storms++; ch.sendFromIsr(99); return; }
  const w = <u32>irqn / KINDS;
  const t = tails[w];
  if (t - heads[w] >= RING) { violations++; return; }
  orders[w * RING + t % RING] = <u32>irqn % KINDS;
  tails[w] = t + 1;
  ordered++;
}
function isrCleanup(arg: u32): void { isrCleanups++; }

function checker(arg: u32): void {
  let last = new StaticArray<u32>(<i32>WORKERS);
  let round: u32 = 0;
  while (true) {
    time.sleepTicks(2);
    scheduler.suspend();
    if (inside < 0 || inside > 1 || (!mtx.isLocked() && inside != 0)) violations++;
    if (<i32>sem.count() + held != TOKENS) violations++;
    scheduler.resume();
    while (ch.tryReceive()) {}
    if (debug.auditKernel() != 0) violations++;
    if (++round % 5 == 0) {
      let stalled: u32 = 0;
      for (let w: u32 = 0; w < WORKERS; w++) { if (loops[w] == last[w]) stalled++; last[w] = loops[w]; }
      __collect();
      const live = heapUsed;
      debug.print("R " + live.toString() + " " + ordered.toString() + " " + consumed.toString() + " " + isrPanics.toString() + " " + isrCleanups.toString() +
        " " + violations.toString() + " " + stalled.toString() + " " + inside.toString() + " " + held.toString() + " " + task.count().toString());
    }
  }
}

export function main(): void {
  for (let line = 0; line <= STORM_LINE; line++) { irq.attach(line, onIrq, 4); irq.enable(line); }
  task.build().entry(checker).name("checker").priority(1).spawn();
  for (let w: u32 = 0; w < WORKERS; w++) task.build().entry(worker).arg(w).name("worker").priority(4 + <i32>w).staticStack(2048).spawnRestartable();
}
