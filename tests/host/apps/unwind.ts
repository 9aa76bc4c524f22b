// Panic recovery scenarios (tests/host/unwind.test.ts), run one after the
// other by main; every line is prefixed with its scenario.
import { task, time, debug, unwind, panic, Mutex, POISONED, irq } from "hoprt";
import { limitViolationDeferred } from "hoprt/kernel/unwind";

/** A cleanup handler: a console line and a user mark (so the trace orders it against kernel events). */
function say(arg: u32): void {
  debug.mark(arg);
  debug.print("cleanup " + arg.toString());
}

// ---- S1: handlers at normal return -------------------------------------------------
function early(x: u32): u32 {
  unwind.defer(say, 11);
  if (x > 5) return x + 1;
  unwind.defer(say, 12);
  return x * 3;
}
function looped(): void {
  for (let i: u32 = 0; i < 3; i++) unwind.defer(say, 20 + i);
  debug.print("S1 looped pending " + unwind.pending().toString());
}
function outer(): u32 {
  unwind.defer(say, 1);
  const v = early(2);
  debug.print("S1 inner returned " + v.toString());
  return v + 100;
}
function noDefer(x: u32): u32 { return x + 1; }
function s1(): void {
  debug.print("S1 early " + early(10).toString());
  debug.print("S1 outer " + outer().toString());
  looped();
  debug.print("S1 after pending " + unwind.pending().toString() + " noDefer " + noDefer(1).toString());
}

// ---- S2: a panicking task: handlers LIFO at priority 13 after ready tasks, then its mutex poisoned ----
const m2 = new Mutex();
function deeper(): void {
  unwind.defer(say, 31);
  panic("S2 boom");
}
function s2Worker(arg: u32): void {
  m2.lock();
  unwind.defer(say, 30);
  task.build().entry(s2Bystander).name("bystander").priority(10).spawn();
  deeper();
  debug.print("S2 not reached");
}
function s2Bystander(arg: u32): void {
  debug.print("S2 bystander runs first");
}

// ---- S3: an inherited priority stays while unwinding ----------------------------------
const m3 = new Mutex();
function s3Say(arg: u32): void {
  debug.print("S3 handler at priority " + task.priorityOf(task.current()).toString());
}
function s3Owner(arg: u32): void {
  m3.lock();
  unwind.defer(s3Say, 0);
  time.sleepMs(2);  // the high task blocks on m3 meanwhile: this one inherits its priority
  panic("S3 owner");
}
function s3High(arg: u32): void {
  time.sleepMs(1);
  const r = m3.lock();
  debug.print("S3 high got " + r.toString());
  m3.unlock();
}

// ---- S4: concurrent restart ---------------------------------------------------------------
let s4Runs = 0;
function s4Old(arg: u32): void { debug.print("S4 old instance's handler"); }
function s4Task(arg: u32): void {
  s4Runs++;
  debug.print("S4 run " + s4Runs.toString() + " id " + task.current().toString() + " restarts " + task.restarts().toString() + " arg " + arg.toString());
  if (s4Runs == 1) {
    unwind.defer(s4Old, 0);
    abort("S4 first run");
  }
  debug.print("S4 run " + s4Runs.toString() + " done");
}

// ---- S5: a panic inside a cleanup handler while unwinding ---------------------------------
function s5Failing(arg: u32): void {
  unwind.defer(say, 52);
  debug.print("S5 handler fails");
  panic("S5 inside a handler");
}
function s5Task(arg: u32): void {
  unwind.defer(say, 51);
  unwind.defer(s5Failing, 0);
  unwind.defer(say, 53);
  panic("S5 first");
}

// ---- S6: a panicking handler -----------------------------------------------------------
let s6Count = 0;
function s6Isr(): void {
  s6Count++;
  unwind.defer(say, 60 + s6Count);
  if (s6Count < 3) panic("S6 in the ISR");
  debug.print("S6 isr ok");
}
function s6Task(arg: u32): void {
  for (let i = 0; i < 4; i++) {
    debug.print("S6 task " + i.toString());
    irq.pend(28);
  }
}

// ---- S7: a limit violation inside a cleanup handler is deferred to its end ---------------------------
function s7Handler(arg: u32): void {
  debug.print("S7 in handler deferred " + (limitViolationDeferred(99) ? "yes" : "no"));
  debug.print("S7 handler goes on");
}
function s7Frame(): void {
  unwind.defer(s7Handler, 0);
}
function s7Task(arg: u32): void {
  debug.print("S7 outside deferred " + (limitViolationDeferred(1) ? "yes" : "no"));
  s7Frame();
  debug.print("S7 not reached");
}

// ---- S8: restart in place when no task slot is free ---------------------------------------
let s8Runs = 0;
function s8Old(arg: u32): void { debug.print("S8 handler"); }
function s8Task(arg: u32): void {
  s8Runs++;
  debug.print("S8 run " + s8Runs.toString() + " id " + task.current().toString() + " restarts " + task.restarts().toString());
  if (s8Runs == 1) { unwind.defer(s8Old, 0); panic("S8"); }
}
function filler(arg: u32): void { time.sleepMs(arg); }

export function main(): void {
  s1();
  time.sleepMs(1);
  task.build().entry(s2Worker).name("s2").priority(4).spawn();
  time.sleepMs(2);
  const r = m2.lock();
  debug.print("S2 main lock " + (r == POISONED ? "POISONED" : r.toString()) + " isPoisoned " + (m2.isPoisoned() ? "yes" : "no"));
  m2.clearPoison();
  m2.unlock();
  debug.print("S2 after clear " + m2.lock().toString() + " isPoisoned " + (m2.isPoisoned() ? "yes" : "no"));
  m2.unlock();

  task.build().entry(s3Owner).name("s3owner").priority(9).spawn();
  task.build().entry(s3High).name("s3high").priority(2).spawn();
  time.sleepMs(3);

  task.build().entry(s4Task).arg(44).name("s4").priority(5).spawnRestartable();
  time.sleepMs(2);

  task.build().entry(s5Task).name("s5").priority(5).spawn();
  time.sleepMs(2);

  irq.attach(28, s6Isr, 3);
  irq.enable(28);
  task.build().entry(s6Task).name("s6").priority(6).spawn();
  time.sleepMs(2);

  task.build().entry(s7Task).name("s7").priority(5).spawn();
  time.sleepMs(2);

  while (task.count() < task.maxTasks() - 1) task.build().entry(filler).arg(3).priority(7).spawn();
  task.build().entry(s8Task).name("s8").priority(5).spawnRestartable();
  time.sleepMs(5);
  debug.print("END audit " + debug.auditKernel().toString());
}
