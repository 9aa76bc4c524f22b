/**
 * Panics and cleanup (DESIGN §4 reliability, §5 "Panics and cleanup").
 *
 * Cleanup handlers: `unwind.defer(fn, arg)` pushes a record on the running
 * context's defer list (heap, newest first). The compiler (js/compiler/
 * defer.ts) gives every function that calls defer an epilogue: it notes the
 * list's top on entry (`deferMark`) and, on every way out, runs the records
 * pushed since, newest first (`runDeferred`). Other functions pay nothing.
 *
 * A panic (core.kill, a trap reported by the host) discards the context's
 * WebAssembly frames; the dispatch loop then restarts the context fresh on
 * its own stack at its unwinder (`unwindTask` / `unwindHandler`), which runs
 * every record still on the list, newest first, and releases what the
 * kernel holds for it.
 *
 * Invariants:
 *  - Every record on a context's list belongs to a live frame of that
 *    context (an epilogue pops what its frame pushed), or, once the frames
 *    are gone, is run by the unwinder: each runs at most once, and is popped
 *    (and freed) before it runs.
 *  - A panic inside a cleanup handler while unwinding abandons that handler
 *    only: the unwinder restarts, sees PHASE_HANDLERS and goes on with the
 *    rest of the list (its own deferred handlers come first: they are newer).
 *  - A task unwinds READY, at UNWIND_PRIORITY (or a higher inherited
 *    priority), out of every wait queue and the timing wheel. It holds its
 *    mutexes until its handlers ran; then they are released, poisoned, and
 *    so is its breathing slot.
 *  - While a handler runs, Context.cleanupDepth > 0 (runDeferred keeps it):
 *    the core waives the task's stack limit and records the first violation
 *    in Context.deferredOverflow; the outermost handler's return raises it
 *    (deferred unwinding). Both are cleared whenever the unwinder starts.
 *  - A panic while the task is in PHASE_KERNEL (the unwinder's own release
 *    work) cannot be blamed on the task: the machine halts (FAULT_KERNEL_BUG,
 *    mcu/core.ts haltKernelBug).
 *  - Restart lineage: at most one older instance of a restartable task
 *    unwinds at a time (`predecessor`); a panic while one still does
 *    restarts in place after unwinding.
 */
import * as core from "../mcu/core";
import { Context, HANDLER_ID_BASE } from "../mcu/context";
import * as trace from "../probe/trace";
import * as probeConsole from "../probe/console";
import { heapAlloc, heapFree } from "./memory/heap";
import { Task, TASK_READY, TASK_BLOCKED, TASK_ZOMBIE, taskMain, spawn, taskAt } from "./task";
import * as sched from "./sched";
import { lock, unlock, abandon } from "./lock";
import { releaseAll } from "./sync/mutex";
import { releaseSlot } from "./breathing";
import { drainFrees } from "./stack/stacklet";

/** The priority a panicking task's cleanup handlers run at (DESIGN §4). */
export const UNWIND_PRIORITY: u8 = 13;

// Task.unwindPhase / UnwindState.phase.
export const PHASE_NONE: u8 = 0;
export const PHASE_HANDLERS: u8 = 1;  // running the cleanup handlers
export const PHASE_KERNEL: u8 = 2;    // releasing what the kernel holds for it

@unmanaged class DeferRecord {
  next: usize;
  fn: u32;
  arg: u32;
}

/** A context's cleanup state: a task's on the heap (Task.unwindState), a handler's in a static table by exception. */
@unmanaged export class UnwindState {
  /** The newest cleanup record (0: none). */
  deferTop: usize;
  /** Unwinding statistics (reset at each panic): handlers run, nested panics. */
  handlersRun: u32;
  nested: u32;
  /** Handlers only (tasks keep theirs in Task.unwindPhase, which exists without a state). */
  phase: u32;
  /** Restartable tasks: the lineage. */
  restartable: u32;
  restarts: u32;
  /** The older instance still unwinding / the newer instance started for us (Task pointers, 0 none). */
  predecessor: usize;
  successor: usize;
  /** Restart in place once unwound (no slot or memory for a concurrent restart, or an older instance still unwinds). */
  restartInPlace: u32;
}

/**
 * Spent records, kept for the next defer (linked through next): a defer in
 * a loop or a hot function costs a pop and a push, not the allocator. Pop
 * and push are straight-line code (no check point), so atomic in the model.
 */
let freeRecords: usize = 0;

// @ts-ignore: decorator
@inline function recycle(rec: usize): void {
  changetype<DeferRecord>(rec).next = freeRecords;
  freeRecords = rec;
}

const STATE_BYTES: usize = (offsetof<UnwindState>() + 7) & ~7;
const EXCEPTIONS: i32 = 128;
const handlerStates: usize = memory.data(<i32>STATE_BYTES * EXCEPTIONS);

/** The running context's state; for a task allocated on first use (null: out of memory). */
function stateOf(ctx: usize, create: bool): UnwindState | null {
  const c = changetype<Context>(ctx);
  if (c.id >= HANDLER_ID_BASE) {
    return changetype<UnwindState>(handlerStates + <usize>((c.id - HANDLER_ID_BASE) & <u32>(EXCEPTIONS - 1)) * STATE_BYTES);
  }
  const t = changetype<Task>(ctx);
  if (t.unwindState == 0 && create) t.unwindState = newState();
  return changetype<UnwindState | null>(t.unwindState);
}

function newState(): usize {
  const s = heapAlloc(STATE_BYTES);
  if (s == 0) return 0;
  for (let at = s; at < s + STATE_BYTES; at += 4) store<u32>(at, 0);
  return s;
}

// ---- cleanup handlers ------------------------------------------------------------

/** The running context's newest cleanup record: what a defer-calling function's epilogue runs back to. */
export function deferMark(): usize {
  const ctx = core.current;
  if (ctx == 0) return 0;
  const s = stateOf(ctx, false);
  return s == null ? 0 : s.deferTop;
}

/** Register `fn(arg)` to run when the calling function returns or unwinds (index.ts unwind.defer). */
export function push(fn: u32, arg: u32): void {
  const ctx = core.current;
  if (ctx == 0) { core.kill(core.FAULT_KERNEL_BUG, 0xDEF); return; }
  const s = stateOf(ctx, true);
  let rec = freeRecords;
  if (rec != 0) freeRecords = changetype<DeferRecord>(rec).next;
  else rec = heapAlloc(offsetof<DeferRecord>());
  if (s == null || rec == 0) { core.kill(core.FAULT_OUT_OF_MEMORY, <u32>offsetof<DeferRecord>()); return; }
  const r = changetype<DeferRecord>(rec);
  r.fn = fn;
  r.arg = arg;
  r.next = s.deferTop;
  s.deferTop = rec;
}

/**
 * Run the running context's cleanup records newer than `mark`, newest
 * first (the epilogue of a defer-calling function; the unwinder with 0).
 * Each record is popped before its handler runs, so a panic inside the
 * handler never runs it twice.
 */
export function runDeferred(mark: usize): void {
  const ctx = core.current;
  const s = stateOf(ctx, false);
  if (s == null) return;
  const c = changetype<Context>(ctx);
  // Every way out starts at the loop header (a check point): a handler's time never adds to
  // its caller's stretch without one (js/compiler/bounds.ts can bound it).
  let raise = false;
  while (true) {
    if (raise) {
      // A stack-limit violation the core deferred inside the handler (Context.deferredOverflow,
      // mcu/core.ts stackGuardHit): raised now that the outermost running handler returned.
      const frames = c.deferredOverflow;
      c.deferredOverflow = 0;
      core.kill(core.FAULT_STACK_OVERFLOW, frames, core.DEFERRED_CLEANUP);
      return;
    }
    if (s.deferTop == mark || s.deferTop == 0) break;
    const r = changetype<DeferRecord>(s.deferTop);
    const fn = r.fn;
    const arg = r.arg;
    s.deferTop = r.next;
    recycle(changetype<usize>(r));
    s.handlersRun++;
    trace.emitHere(trace.EV_CLEANUP, fn);
    // While it runs the task's stack limit is waived (the core consults the count).
    c.cleanupDepth++;
    call_indirect<void>(fn, arg);
    c.cleanupDepth--;
    raise = c.cleanupDepth == 0 && c.deferredOverflow != 0;
  }
}

/** Cleanup records registered in the running context and not yet run. */
export function pendingHandlers(): i32 {
  const ctx = core.current;
  if (ctx == 0) return 0;
  const s = stateOf(ctx, false);
  if (s == null) return 0;
  let n = 0;
  for (let it = s.deferTop; it != 0; it = changetype<DeferRecord>(it).next) n++;
  return n;
}

/** Whether the running context is unwinding after a panic. */
export function unwinding(): bool {
  const ctx = core.current;
  if (ctx == 0) return false;
  const c = changetype<Context>(ctx);
  if (c.id < HANDLER_ID_BASE) return changetype<Task>(ctx).unwindPhase != PHASE_NONE;
  const s = stateOf(ctx, false);
  return s != null && s.phase != PHASE_NONE;
}

// ---- frames ------------------------------------------------------------------------


// ---- panics --------------------------------------------------------------------------

/** panic(message): report the message, then panic the running context. */
export function panicWith(message: string): void {
  const ctx = core.current;
  probeConsole.write(probeConsole.REC_PANIC, ctx == 0 ? 0xFFFF : changetype<Context>(ctx).id, changetype<usize>(message));
  core.kill(core.FAULT_PANIC, 0);
}

/** The machine cannot go on: a panic no context can be blamed for (the core halts it). */
function kernelBug(ctx: usize, detail: u32): void {
  core.kill(core.FAULT_KERNEL_BUG, detail);
}

/**
 * The bottom function of a task that panicked: the dispatch loop restarts
 * its context here, fresh on its own stack (machine.ts contextDied).
 */
export function unwindTask(id: u32): void {
  const t = sched.current;
  const self = changetype<usize>(t);
  if (t.unwindPhase == PHASE_KERNEL) { kernelBug(self, 0x0A); return; }
  // The dispatch loop put the stacklets of its discarded frames on its free list: back to the heap.
  drainFrees(t);
  // A trap inside the kernel left the lock held: take it back (pended operations are applied).
  abandon(self);
  const s = stateOf(self, true);
  // The handlers that ran when it panicked are gone, and so is a violation deferred inside them.
  t.cleanupDepth = 0;
  t.deferredOverflow = 0;
  if (t.unwindPhase == PHASE_HANDLERS) {
    // A panic inside a cleanup handler: that handler is abandoned, the rest still run.
    if (s != null) s.nested++;
  } else {
    t.unwindPhase = PHASE_HANDLERS;
    if (s != null) { s.handlersRun = 0; s.nested = 0; }
    leaveKernelStructures(t);
    let concurrent = false;
    if (s != null && s.restartable != 0) {
      concurrent = s.predecessor == 0 && restartConcurrently(t);
      s.restartInPlace = concurrent ? 0 : 1;
    }
    // Every ready task of higher priority runs before the handlers (unless this one restarts in place: its own priority).
    let p = t.priority;
    if (s == null || s.restartInPlace == 0) {
      const inherited = t.priority < t.basePriority;
      if (!inherited || t.priority > UNWIND_PRIORITY) p = UNWIND_PRIORITY;
    }
    lock();
    sched.setEffectivePriority(t, p);
    const yieldNow = sched.higherReady();
    unlock();
    if (yieldNow) sched.requestSwitch();
  }
  if (deferMark() != 0) runDeferred(0);
  t.unwindPhase = PHASE_KERNEL;
  releaseHeld(t);
  trace.emit(trace.EV_UNWIND_DONE, t.id, s == null ? 0 : s.handlersRun, s == null ? 0 : s.nested);
  if (s != null && s.successor != 0) {
    const succ = changetype<Task>(s.successor);
    if (succ.unwindState != 0) changetype<UnwindState>(succ.unwindState).predecessor = 0;
    s.successor = 0;
  }
  if (s != null && s.restartable != 0 && s.restartInPlace != 0) {
    // No room for a concurrent restart: this instance restarts in its own slot.
    s.restartInPlace = 0;
    s.restarts++;
    t.unwindPhase = PHASE_NONE;
    lock();
    sched.setEffectivePriority(t, t.basePriority);
    const yieldNow = sched.higherReady();
    unlock();
    trace.emit(trace.EV_RESTART, t.id, t.id, s.restarts);
    if (yieldNow) sched.requestSwitch();
    // A fresh start on its own stack (the dispatch loop calls taskMain(id)).
    core.restartAt(taskMain.index);
    return;
  }
  retireSelf(t);
}

/** The end: a zombie the PendSV handler reclaims (a call of its own: a check point at its entry). */
function retireSelf(t: Task): void {
  lock();
  sched.removeReady(t);
  t.taskState = TASK_ZOMBIE;
  sched.addZombie(t);
  unlock();
  sched.requestSwitch();
  unreachable(); // a zombie is never resumed
}

/** What the kernel held for it: its mutexes (poisoned) after its handlers, its breathing slot. */
function releaseHeld(t: Task): void {
  lock();
  releaseAll(t);
  const slot = t.breathingSlot;
  t.breathingSlot = false;
  unlock();
  if (slot) releaseSlot();
}

/** Out of the wait queue and the timing wheel, READY again (it may have died between blocking and switching out). */
function leaveKernelStructures(t: Task): void {
  // Its scheduler suspension ends before its handlers run.
  sched.endSuspension(t);
  lock();
  if (t.taskState == TASK_BLOCKED) {
    sched.unblock(t);
    t.waitQueue = 0;
    sched.makeReady(t);
  } else if (t.taskState != TASK_READY) {
    sched.makeReady(t);
  }
  unlock();
}

/** The instance a concurrent restart is spawning for (read by adoptLineage inside spawn). */
let restartFrom: usize = 0;
let restartCaller: usize = 0;

/** A new instance with the same entry, arg and settings; false when there is no slot or memory. */
function restartConcurrently(t: Task): bool {
  restartFrom = changetype<usize>(t);
  restartCaller = core.current;
  const name = changetype<string | null>(t.name);
  const id = spawn(t.userEntry, t.entryTakesArg, t.userArg, <i32>t.basePriority, t.stackMode, t.stackBytes, t.frameLimit, name, <i32>t.timeslice, t.breathing, true);
  restartFrom = 0;
  restartCaller = 0;
  if (id < 0) return false;
  trace.emit(trace.EV_RESTART, t.id, <u32>id, changetype<UnwindState>(changetype<Task>(taskAt(id)).unwindState).restarts);
  return true;
}

/**
 * Make a task being spawned restartable (task.ts spawn, before it is made
 * ready): its lineage state; false when there is no memory for it.
 */
export function adoptLineage(t: Task): bool {
  const ptr = newState();
  if (ptr == 0) return false;
  const s = changetype<UnwindState>(ptr);
  s.restartable = 1;
  if (restartFrom != 0 && restartCaller == core.current) {
    const old = changetype<Task>(restartFrom);
    const os = changetype<UnwindState>(old.unwindState);
    s.restarts = os.restarts + 1;
    s.predecessor = restartFrom;
    os.successor = changetype<usize>(t);
    restartFrom = 0;
  }
  t.unwindState = ptr;
  return true;
}

/** Restarts of task `id`'s lineage (-1: no such task). */
export function restartsOf(id: i32): i32 {
  const t = taskAt(id);
  if (t == null) return -1;
  return t.unwindState == 0 ? 0 : <i32>changetype<UnwindState>(t.unwindState).restarts;
}

/** A task is reclaimed: free its records and state, and unlink its lineage. */
export function forgetTask(t: Task): void {
  const ptr = t.unwindState;
  if (ptr == 0) return;
  const s = changetype<UnwindState>(ptr);
  let it = s.deferTop;
  while (it != 0) {
    const next = changetype<DeferRecord>(it).next;
    recycle(it);
    it = next;
  }
  if (s.predecessor != 0) {
    const p = changetype<Task>(s.predecessor);
    if (p.unwindState != 0) changetype<UnwindState>(p.unwindState).successor = 0;
  }
  if (s.successor != 0) {
    const n = changetype<Task>(s.successor);
    if (n.unwindState != 0) changetype<UnwindState>(n.unwindState).predecessor = 0;
  }
  t.unwindState = 0;
  heapFree(ptr);
}

/**
 * The bottom function of a handler that panicked: the dispatch loop
 * restarts it here on the main stack, the exception still active; when it
 * returns the exception returns and the interrupted context continues.
 */
export function unwindHandler(): void {
  const ctx = core.current;
  abandon(ctx);
  const s = changetype<UnwindState>(stateOf(ctx, false));
  if (s.phase == PHASE_HANDLERS) s.nested++;
  else { s.phase = PHASE_HANDLERS; s.handlersRun = 0; s.nested = 0; }
  changetype<Context>(ctx).cleanupDepth = 0;
  changetype<Context>(ctx).deferredOverflow = 0;
  if (deferMark() != 0) runDeferred(0);
  s.phase = PHASE_NONE;
  trace.emit(trace.EV_UNWIND_DONE, changetype<Context>(ctx).id, s.handlersRun, s.nested);
}

/** Install the unwinders (boot). */
export function installUnwinders(): void {
  core.setUnwinders(unwindTask.index, unwindHandler.index);
}
