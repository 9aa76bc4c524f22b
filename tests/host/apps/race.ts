// The race sweep (tests/host/race.test.ts). A driver task runs six kernel
// operations, each between debug.mark(1, k) and debug.mark(2, k); the host
// raises IRQ 20 at every cycle of one operation's span, in a fresh machine
// each time. The handler operates on the same object (the ready queue, the
// semaphore, the channel, the tick). After each operation the driver checks
// the kernel's invariants (debug.auditKernel) and the operation's own
// accounting, and prints "audit <k> ok" or what is wrong.
import { task, time, debug, irq, Semaphore, Mutex, Channel, Config, TickSource, ISR_FAILED } from "hoprt";

export function configure(cfg: Config): void {
  cfg.tickSource = TickSource.External; // the host ticks; the race handler ticks too (scenario 4)
}

const RACE_IRQ = 20;

let scenario = 0;
const sem = new Semaphore(100, 0);
let gives: u32 = 0;
let takes: u32 = 0;
const ch = new Channel<u32>(2);
let sent: u32 = 0;
let received: u32 = 0;
const m = new Mutex();
const highDone = new Semaphore(10, 0);
let highGot: u32 = 0;
let bystanderRuns: u32 = 0;
const bystanderGo = new Semaphore(10, 0);
let children: u32 = 0;
let isrFired: u32 = 0;

function onRace(): void {
  isrFired++;
  if (scenario == 1) { sem.giveFromIsr(); gives++; }
  else if (scenario == 2) { if (ch.sendFromIsr(1000 + isrFired) != ISR_FAILED) sent++; }
  else if (scenario == 3 || scenario == 6) bystanderGo.giveFromIsr();
  else if (scenario == 4) time.tickFromIsr();
  else if (scenario == 5) task.build().entry(child).arg(2).priority(9).staticStack(512).spawn();
}

function taker(arg: u32): void { while (true) { sem.take(); takes++; } }
function receiver(arg: u32): void { while (true) { ch.receive(); received++; } }
function high(arg: u32): void { while (true) { highDone.take(); m.lock(); highGot++; m.unlock(); } }
function bystander(arg: u32): void { while (true) { bystanderGo.take(); bystanderRuns++; } }
function child(arg: u32): void { children++; }
function exiter(arg: u32): void { debug.mark(1, 6); task.exit(); }

function check(k: i32, problems: string): void {
  const code = debug.auditKernel();
  if (code != 0) problems += " kernel " + code.toString();
  debug.print("audit " + k.toString() + (problems.length == 0 ? " ok" : problems) + " isr " + isrFired.toString());
}

function driver(arg: u32): void {
  time.sleepTicks(1);
  // 1: a semaphore give with two blocked takers.
  scenario = 1;
  isrFired = 0;
  debug.mark(1, 1);
  sem.give();
  gives++;
  debug.mark(2, 1);
  time.sleepTicks(2);
  check(1, (gives != takes + sem.count() ? " tokens" : "") + (sem.count() > 0 && sem.waiting() > 0 ? " stuck" : ""));
  // 2: a channel send with a blocked receiver.
  scenario = 2;
  isrFired = 0;
  debug.mark(1, 2);
  ch.send(7);
  sent++;
  debug.mark(2, 2);
  time.sleepTicks(2);
  check(2, (sent != received + <u32>ch.count() ? " messages" : "") + (ch.count() > 0 && ch.receiversWaiting() > 0 ? " stuck" : ""));
  // 3: a mutex unlock that ends an inheritance and hands the mutex over.
  scenario = 3;
  isrFired = 0;
  m.lock();
  highDone.give(); // high (P2) blocks on m: we run at P2 until we unlock
  const inherited = task.priorityOf(task.current());
  debug.mark(1, 3);
  m.unlock();
  debug.mark(2, 3);
  time.sleepTicks(2);
  check(3, (inherited != 2 ? " no-inheritance" : "") + (highGot != 1 ? " handoff" : "") + (task.priorityOf(task.current()) != 5 ? " priority" : "") + (m.isLocked() ? " locked" : "") + (bystanderRuns != isrFired ? " bystander " + bystanderRuns.toString() : ""));
  // 4: a sleep (the wheel insert) while the handler ticks.
  scenario = 4;
  isrFired = 0;
  const before = time.ticks();
  debug.mark(1, 4);
  time.sleepTicks(3);
  debug.mark(2, 4);
  const slept = time.ticks() - before;
  check(4, slept < 3 || slept > 4 ? " slept " + slept.toString() : "");
  // 5: a spawn while the handler spawns.
  scenario = 5;
  isrFired = 0;
  const tasksBefore = task.count();
  debug.mark(1, 5);
  task.build().entry(child).arg(1).priority(9).staticStack(512).spawn();
  debug.mark(2, 5);
  time.sleepTicks(2);
  check(5, (children != 1 + isrFired ? " children " + children.toString() : "") + (task.count() != tasksBefore ? " count" : ""));
  // 6: a task exit (the exiter runs above us) while the handler wakes a bystander.
  scenario = 6;
  isrFired = 0;
  const runsBefore = bystanderRuns;
  const countBefore = task.count();
  task.build().entry(exiter).priority(3).staticStack(512).spawn();
  debug.mark(2, 6);
  time.sleepTicks(2);
  check(6, (bystanderRuns - runsBefore != isrFired ? " bystander" : "") + (task.count() != countBefore ? " count" : ""));
  debug.print("done");
}

export function main(): void {
  irq.attach(RACE_IRQ, onRace, 3);
  irq.enable(RACE_IRQ);
  task.build().entry(driver).priority(5).spawn();
  task.build().entry(taker).priority(6).spawn();
  task.build().entry(taker).priority(6).spawn();
  task.build().entry(receiver).priority(6).spawn();
  task.build().entry(high).priority(2).spawn();
  task.build().entry(bystander).priority(7).spawn();
}
