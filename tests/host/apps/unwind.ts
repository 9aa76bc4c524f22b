// Panic recovery scenarios (tests/host/unwind.test.ts), run one after the
// other by main; every line is prefixed with its scenario.
import { task, time, debug, unwind, panic, Mutex, POISONED, irq, stack, timer } from "hoprt";

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

// ---- S7: deferred unwinding (Hopter's task/unwind/deferred_{direct,indirect,nested}_drop) ----------
// A restartable task on a 512-byte static stack: its first run's source function registers a cleanup
// handler whose own frames (direct), whose callee's (indirect) or whose own handler's (nested) do not
// fit its stack. The handler runs to its end anyway; the stack overflow is raised when the outermost
// handler returns, the task unwinds (its older handler runs) and restarts. S7.3: the same inside a
// handler that runs while the task unwinds after a panic (a nested panic); S7.4: a segmented task's
// .stackLimit().
const S7_DEPTH: u32 = 48;
const s7Runs = new StaticArray<u32>(5);
let s7Deepest: u32 = 0;

function s7Older(kind: u32): void { debug.print("S7." + kind.toString() + " older handler, while unwinding"); }
function s7Past(kind: u32, bytes: u32): string {
  return "reached " + (s7Deepest > bytes ? "past" : "within") + " the " + bytes.toString() + "-byte stack";
}
/** Direct: the handler's own frames. */
function s7DirectDrop(n: u32): void {
  if (n == 0) { s7Deepest = <u32>stack.used(); return; }
  s7DirectDrop(n - 1);
  if (n == S7_DEPTH) debug.print("S7.0 drop executed; " + s7Past(0, 512));
}
function s7Large(n: u32): u32 {
  if (n == 0) { s7Deepest = <u32>stack.used(); return 0; }
  return s7Large(n - 1) + 1;
}
/** Indirect: a function the handler calls. */
function s7IndirectDrop(arg: u32): void {
  debug.print("S7.1 large function executed: " + s7Large(S7_DEPTH).toString() + " levels");
  debug.print("S7.1 drop executed; " + s7Past(1, 512));
}
/** Nested: a handler registered inside a handler (it runs at s7Middle's return, inside the outer one). */
function s7InnerDrop(arg: u32): void {
  s7Large(S7_DEPTH);
  debug.print("S7.2 inner drop executed; " + s7Past(2, 512));
}
function s7Middle(): void { unwind.defer(s7InnerDrop, 0); }
function s7OuterDrop(arg: u32): void {
  debug.print("S7.2 outer drop executed");
  s7Middle();
  debug.print("S7.2 outer drop goes on after the inner one");
}
function s7Source(kind: u32): void {
  unwind.defer(s7Older, kind);
  if (kind == 0) unwind.defer(s7DirectDrop, S7_DEPTH);
  else if (kind == 1) unwind.defer(s7IndirectDrop, 0);
  else unwind.defer(s7OuterDrop, 0);
}
function s7Task(kind: u32): void {
  const run = s7Runs[kind]++;
  if (run == 0) {
    s7Source(kind);
    debug.print("S7." + kind.toString() + " should not print this");
  } else debug.print("S7." + kind.toString() + " task restarted after a deferred unwinding");
}
function s7WhileUnwinding(arg: u32): void {
  s7Large(S7_DEPTH);
  debug.print("S7.3 handler finished while unwinding; " + s7Past(3, 512));
}
function s7PanicTask(arg: u32): void {
  unwind.defer(s7Older, 3);
  unwind.defer(s7WhileUnwinding, 0);
  panic("S7.3 first");
}
function s7LimitDrop(arg: u32): void {
  s7Large(3 * S7_DEPTH);
  debug.print("S7.4 drop executed; " + s7Past(4, 1024));
}
function s7LimitSource(): void {
  unwind.defer(s7Older, 4);
  unwind.defer(s7LimitDrop, 0);
}
function s7LimitTask(arg: u32): void {
  s7LimitSource();
  debug.print("S7.4 should not print this");
}

// ---- S9: diverted stack overflow (Hopter's task/unwind/diverted) --------------------------------
// A restartable task on a 2 KiB static stack recurses until a call does not fit: that call does not
// happen, the task panics there (stack overflow, not deferred: no handler runs) and restarts.
let s9Runs: u32 = 0;
function s9Recurse(n: u32): u32 { return n == 0 ? 0 : s9Recurse(n - 1) + 1; }
function s9Task(arg: u32): void {
  s9Runs++;
  if (s9Runs == 1) {
    debug.print("S9 depth " + s9Recurse(100000).toString());
    debug.print("S9 should not print this");
  } else debug.print("S9 task restarted after a diverted unwinding (run " + s9Runs.toString() + ")");
}

// ---- S10: a panic in a TIM2 handler (Hopter's interrupt/unwind): the timer's own update interrupt ----
// TIM2 at 1 MHz, an update every 200 us; the handler panics on every other update, its cleanup handler
// prints; the task it interrupts spins on through all of them.
let s10Updates: u32 = 0;
function s10Cleanup(n: u32): void { debug.print("S10 cleanup " + n.toString()); }
function s10OnTim2(): void {
  timer.clearUpdate(2);
  s10Updates++;
  unwind.defer(s10Cleanup, s10Updates);
  if ((s10Updates & 1) == 1) panic("S10 in TIM2");
  debug.print("S10 handler ok " + s10Updates.toString());
}
function s10Task(arg: u32): void {
  let spins: u32 = 0;
  while (s10Updates < 4) spins++;
  timer.stop(2);
  debug.print("S10 task went on through 4 updates: " + (spins > 1000 ? "yes" : "no"));
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

  const stacklets = stack.stacklets();
  for (let kind: u32 = 0; kind < 3; kind++) {
    task.build().entry(s7Task).arg(kind).name("s7." + kind.toString()).priority(5).staticStack(512).spawnRestartable();
    time.sleepMs(2);
  }
  task.build().entry(s7PanicTask).name("s7.3").priority(5).staticStack(512).spawn();
  time.sleepMs(2);
  task.build().entry(s7LimitTask).name("s7.4").priority(5).stackLimit(1024).spawn();
  time.sleepMs(2);
  debug.print("S7 stacklets " + (stack.stacklets() == stacklets ? "all freed" : "leaked " + (stack.stacklets() - stacklets).toString()));

  task.build().entry(s9Task).name("s9").priority(5).staticStack(2048).spawnRestartable();
  time.sleepMs(2);

  irq.attach(timer.irqOf(2), s10OnTim2, 3);
  irq.enable(timer.irqOf(2));
  timer.start(2, timer.clockHz() / 1_000_000 - 1, 199);
  timer.enableUpdateInterrupt(2);
  task.build().entry(s10Task).name("s10").priority(6).spawn();
  time.sleepMs(2);

  while (task.count() < task.maxTasks() - 1) task.build().entry(filler).arg(3).priority(7).spawn();
  task.build().entry(s8Task).name("s8").priority(5).spawnRestartable();
  time.sleepMs(5);
  debug.print("END audit " + debug.auditKernel().toString());
}
