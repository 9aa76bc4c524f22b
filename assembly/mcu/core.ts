/**
 * The processor core: the check point's slow path, suspension of the running
 * context, WFI, PRIMASK, the stack guard and fault capture.
 *
 * Invariants:
 *  - `current` is the context whose code runs now (0 before the dispatch
 *    loop starts: the boot code on the main stack).
 *  - A context is suspended only at a check point, by Asyncify unwinding
 *    from `checkpoint`; the dispatch loop resumes it by rewinding, and the
 *    first call to `checkpoint` during that rewind ends the rewind.
 *  - Nothing here runs instrumented code: the core is hardware.
 *  - What is @inline here (raise, service, mustSuspend, enter) is inlined for
 *    the dispatch loop and the rest of the hardware, a call saved on every
 *    context switch; instrumented code never calls it: inlined there, its
 *    instructions would be charged as the caller's (the same holds for
 *    nvic's activate/deactivate/makePending, scb's writeScb, clock's popDue,
 *    trace's emitInline).
 */
import * as clock from "./clock";
import * as nvic from "./nvic";
import * as systick from "./systick";
import * as peripherals from "./peripherals";
import * as trace from "../probe/trace";
import * as probeConsole from "../probe/console";
import { Context, STATE_DEAD, STACK_SEGMENTED, HANDLER_ID_BASE } from "./context";
import * as stacklet from "../kernel/stack/stacklet";
import * as pool from "../kernel/stack/pool";
import { beginSave, clearSaved, restoreStaticLimit } from "../kernel/stack/layout";
import { asyncifyStartUnwind, asyncifyStopRewind } from "./asyncify";
import { argumentsLength, setArgumentsLength } from "./argc";
import { TRACE_CAPACITY, KILL_SCRATCH_BYTES } from "./memmap";
import { depth as kernelLockDepth, owner as kernelLockOwner, panicWhenReleased } from "../kernel/lockstate";

/** Lowest stack pointer before the next prologue calls `stackGuardHit`. */
export let stackGuard: usize = 0;
/**
 * The running task's stack pointer while atomic code (the heap) runs on the
 * main stack for it: the prologue of the outermost atomic function keeps it
 * here (js/compiler/instrument.ts) and its epilogue returns to it.
 */
export let taskStackPointer: usize = 0;
/** The running context, or 0 during boot. */
export let current: usize = 0;
/** The context thread mode runs: the kernel's current task (set by its PendSV handler). */
export let thread: usize = 0;
export function setThread(ctx: usize): void { thread = ctx; }
/** True while the dispatch loop is below us on the host call stack. */
export let dispatching: bool = false;
/** Set by the dispatch loop before a rewind; cleared by the check point that ends it. */
export let resuming: bool = false;
/** Set while a suspension unwinds the running context. */
export let unwinding: bool = false;
/** Set while a dying context is unwound into the scratch area. */
export let killing: bool = false;

// Why a run stops (hoprt_run's result).
export const STOP_NONE: u32 = 0;
export const STOP_CYCLES: u32 = 1;      // the requested cycles have elapsed
export const STOP_PROBE_FULL: u32 = 2;  // the host must drain the trace/console rings
export const STOP_LOCKUP: u32 = 3;      // a fault in the fault handler: the core is locked up
export const STOP_FATAL: u32 = 4;       // the firmware cannot go on (boot failed)
export const STOP_KERNEL_BUG: u32 = 5;  // a kernel bug: the machine halts for good (every later run returns it)
export let stopRequest: u32 = STOP_NONE;
/** STOP_KERNEL_BUG once the machine halted on a kernel bug (the dispatch loop runs nothing more), else STOP_NONE. */
export let halted: u32 = STOP_NONE;

// Fault reasons (EV_PANIC's `a`).
export const FAULT_NONE: u32 = 0;
export const FAULT_ABORT: u32 = 1;           // AssemblyScript abort(): assertion, throw
export const FAULT_STACK_OVERFLOW: u32 = 2;
export const FAULT_TRAP: u32 = 3;            // a WebAssembly trap reported by the host
export const FAULT_SAVE_OVERFLOW: u32 = 4;   // the context did not fit its save area
export const FAULT_OUT_OF_MEMORY: u32 = 5;
export const FAULT_KERNEL: u32 = 6;          // kernel misuse that panics the caller
// 7: FAULT_BUS (mcu/bus.ts)
export const FAULT_PANIC: u32 = 8;           // the application called panic(message)
export const FAULT_KERNEL_BUG: u32 = 9;      // a panic no context can be blamed for: the machine halts (STOP_FATAL)
export let faultReason: u32 = FAULT_NONE;
export let faultContext: u32 = 0;
export let faultDetail: u32 = 0;
/** The context that died, for the kernel's HardFault handler. */
export let deadContext: usize = 0;
/**
 * Function-table indexes of the kernel's unwinders (kernel/unwind.ts sets
 * them at boot): the dispatch loop restarts a dead task at `unwinderTask(id)`
 * and a dead handler at `unwinderHandler()`, fresh on the context's stack.
 * 0: no unwinder, the HardFault handler retires the dead context.
 */
export let unwinderTask: u32 = 0;
export let unwinderHandler: u32 = 0;
export function setUnwinders(task: u32, handler: u32): void { unwinderTask = task; unwinderHandler = handler; }

let overflowPending: bool = false;

// Alarm kinds the core fires.
export const ALARM_SYSTICK: u16 = 1;
export const ALARM_IRQ: u16 = 2;
// Peripheral alarms (peripherals.ts dispatches them); arg: the instance, or for GPIO pin | level << 8.
export const ALARM_TIM: u16 = 3;          // a timer's counter overflows
export const ALARM_USART_TX: u16 = 4;     // a USART's transmit frame ends
export const ALARM_USART_RX: u16 = 5;     // a USART's receive frame ends, or a waited-for byte may start
export const ALARM_GPIO_INPUT: u16 = 6;   // the host's scheduled pin level

/**
 * The check point's slow path: called when the budget is spent, and directly
 * by kernel code that has just pended an exception (an explicit check point,
 * like the ISB after setting PENDSVSET on silicon).
 */
export function checkpoint(): void {
  if (resuming) {
    resuming = false;
    asyncifyStopRewind();
    const ctx = changetype<Context>(current);
    clearSaved(ctx);
    setArgumentsLength(ctx.argumentsLength);
    return;
  }
  if (clock.left() <= 0) service(); // its own first test, here without a call
  if (!dispatching) return;
  if (overflowPending) {
    overflowPending = false;
    // Inside the kernel (the context holds the kernel lock): raised when it lets go, never half-way through an update.
    if (kernelLockDepth != 0 && kernelLockOwner == current) panicWhenReleased(faultReason, faultDetail);
    else kill(faultReason, faultDetail);
    return;
  }
  if (mustSuspend()) {
    changetype<Context>(current).argumentsLength = argumentsLength();
    suspend();
  }
}

/** Fire every alarm due now and re-arm the budget. */
// @ts-ignore: decorator
@inline export function service(): void {
  if (clock.left() > 0) return; // nothing is due before the epoch
  const t = clock.now();
  while (true) {
    const alarm = clock.popDue(t);
    if (alarm < 0) break;
    const kind = <u16>(alarm >>> 16);
    const arg = <u16>(alarm & 0xFFFF);
    if (kind == ALARM_SYSTICK) systick.onWrap();
    else if (kind == ALARM_IRQ) {
      nvic.setPending(<i32>arg);
      trace.emitAt(clock.lastDue, trace.EV_IRQ_RAISE, 0, <u32>arg, 2);
    }
    else peripherals.onAlarm(kind, arg, clock.lastDue);
  }
  clock.rearm();
}

/** Make an exception pending; `source` 0 host, 1 firmware, 2 scheduled. */
// @ts-ignore: decorator
@inline export function raise(exc: i32, source: u32): void {
  nvic.makePending(exc);
  trace.emitInline(trace.EV_IRQ_RAISE, 0, <u32>exc, source);
  clock.requestCheck();
}

function probeFull(): bool {
  return trace.unread() > TRACE_CAPACITY - 512 || probeConsole.free() < 4096;
}

// @ts-ignore: decorator
@inline export function mustSuspend(): bool {
  if (stopRequest != STOP_NONE) return true;
  if (clock.now() >= clock.getSliceEnd()) return true;
  if (probeFull()) return true;
  return nvic.preemptingNow() != 0;
}

/** Unwind the running context into the free stack below its frames (kernel/stack/layout.ts). */
function suspend(): void {
  // Only a running context unwinds: the build instruments only what its stack can hold (js/compiler/unwindable.ts).
  if (current == 0) unreachable();
  unwinding = true;
  asyncifyStartUnwind(beginSave());
}

// Why a panic was raised later than noticed (EV_PANIC's c).
export const DEFERRED_NONE: u32 = 0;
/** Noticed inside the kernel, raised when the kernel lock was let go. */
export const DEFERRED_KERNEL_LOCK: u32 = 1;
/** A stack-limit violation inside a cleanup handler, raised when the outermost running handler returned. */
export const DEFERRED_CLEANUP: u32 = 2;

/**
 * Panic the running context: unwind it into the scratch area and discard it.
 * `deferred`: DEFERRED_* (EV_PANIC's c).
 */
export function kill(reason: u32, detail: u32, deferred: u32 = 0): void {
  const ctx = current;
  if (reason == FAULT_KERNEL_BUG || holdsKernelLock(ctx)) {
    // Nothing can wait for the release here (the caller would go on): the kernel's state may be half-updated.
    if (reason == FAULT_KERNEL_BUG) haltKernelBug(ctx, detail, 0);
    else haltKernelBug(ctx, reason, detail);
    if (!dispatching || ctx == 0) unreachable();
    discard(ctx); // its frames go; the dispatch loop then stops
    return;
  }
  faultReason = reason;
  faultDetail = detail;
  faultContext = ctx == 0 ? 0 : changetype<Context>(ctx).id;
  trace.emit(trace.EV_PANIC, faultContext, reason, detail, deferred);
  if (!dispatching || ctx == 0) {
    stopRequest = STOP_FATAL;
    unreachable();
  }
  discard(ctx);
}

/**
 * Whether context `ctx` holds the kernel lock: if it died now a kernel
 * structure could be left half-updated. A panic noticed meanwhile that can
 * wait (a stack overflow at a check point) is raised at the release
 * (kernel/lockstate.ts panicWhenReleased); one that cannot is a kernel bug.
 */
export function holdsKernelLock(ctx: usize): bool {
  return ctx != 0 && kernelLockDepth != 0 && kernelLockOwner == ctx;
}

/**
 * A kernel bug (DESIGN §4): a panic no context can be blamed for, or one
 * that cannot wait while its context holds the kernel lock. The machine
 * halts for good: every run from now on returns STOP_KERNEL_BUG and runs
 * nothing. Traced as EV_PANIC(ctx, FAULT_KERNEL_BUG, what, detail): `what`
 * the fault (FAULT_*) the context took inside the kernel, or a kernel code
 * (>= 0x0A) for a panic of the kernel's own.
 */
export function haltKernelBug(ctx: usize, what: u32, detail: u32): void {
  faultReason = FAULT_KERNEL_BUG;
  faultDetail = what;
  faultContext = ctx == 0 ? 0 : changetype<Context>(ctx).id;
  trace.emit(trace.EV_PANIC, faultContext, FAULT_KERNEL_BUG, what, detail);
  halted = STOP_KERNEL_BUG;
  stopRequest = STOP_KERNEL_BUG;
}

/**
 * Start the running context again from scratch at `entry(arg)`, its frames
 * discarded (no panic: the kernel's restart in place of an unwound task).
 */
export function restartAt(entry: u32): void {
  restartEntry = entry;
  discard(current);
}

/** Set by restartAt: the dispatch loop restarts the context here instead of at its unwinder. */
export let restartEntry: u32 = 0;

function discard(ctx: usize): void {
  if (ctx == 0) unreachable(); // as in suspend
  deadContext = ctx;
  changetype<Context>(ctx).state = STATE_DEAD;
  const scratch = (<usize>memory.size() << 16) - KILL_SCRATCH_BYTES;
  store<usize>(scratch, scratch + 8);
  store<usize>(scratch, scratch + KILL_SCRATCH_BYTES, 4);
  killing = true;
  unwinding = true;
  asyncifyStartUnwind(scratch);
}

/**
 * Atomic code's prologue calls this (never stackGuardHit) when a frame would
 * reach the main stack's floor: atomic code runs on the main stack, which has
 * no stacklets to grow into. It never returns: the machine stops (fatal),
 * and the trap ends the run. As it never unwinds, atomic code is never on
 * an unwinding stack (js/compiler/unwindable.ts).
 */
export function mainStackExhausted(frameBytes: u32, shadowBytes: u32, site: u32): usize {
  guardHits++;
  stopRequest = STOP_FATAL;
  unreachable();
  return 0;
}

/**
 * The prologue calls this when the stack pointer passes the guard, with the
 * frame it just took, the shadow-stack bytes its code pushes below that and
 * the function's site number. Either a new depth in
 * the current stacklet (move the watermark down; a stack limit is checked
 * here), or the frame does not fit: a segmented task gets a new stacklet
 * (returned: the epilogue hands it back to `stackReturn`), anything else has
 * overflowed. An overflow is acted on at the next check point, never inside
 * atomic code such as the allocator; until then the frames run on, in the
 * static stack's save reserve, or for a segmented task on the main stack
 * (free while a task runs).
 */
export function stackGuardHit(frameBytes: u32, shadowBytes: u32, site: u32): usize {
  guardHits++;
  const sp = __stack_pointer;
  // Below the frame the function's own code pushes AssemblyScript's shadow slots: its lowest byte.
  const low = sp - shadowBytes;
  // The main stack's floor: boot code or a handler ran it out (atomic code calls mainStackExhausted).
  if (low < __data_end + MAIN_STACK_FLOOR_MARGIN) {
    stopRequest = STOP_FATAL;
    unreachable();
  }
  if (current == 0 || overflowPending) return 0;
  const ctx = changetype<Context>(current);
  // Inside a task's cleanup handler the limit is waived: the violation is recorded and raised when
  // the outermost handler returns (kernel/unwind.ts). A handler's main stack has no limit to waive.
  const waived = ctx.cleanupDepth != 0 && ctx.id < HANDLER_ID_BASE;
  if (low >= ctx.stackLimit) {
    ctx.watermark = low;
    stackGuard = low;
    const frames = ctx.chainFrames + <u32>(ctx.stackTop - low);
    if (frames > ctx.framePeak) ctx.framePeak = frames;
    if (ctx.frameLimit != 0 && frames > ctx.frameLimit) {
      if (waived) deferOverflow(ctx, frames);
      else overflow(FAULT_STACK_OVERFLOW, frames);
    }
    return 0;
  }
  if (ctx.stackMode != STACK_SEGMENTED && !waived) {
    // The static stack's save reserve takes the frames until then.
    overflow(FAULT_STACK_OVERFLOW, ctx.chainFrames + <u32>(ctx.stackTop - low));
    return 0;
  }
  // The extension's steps are atomic code: they run on the main stack, as an SVC handler would,
  // and, as one can be preempted, a check point comes between them (kernel/stack/stacklet.ts).
  // Meanwhile the frame is not taken: a suspension saves the task at its caller's stack pointer.
  // In a cleanup handler a static stack grows by stacklets too, and the limit does not refuse one.
  const callerSp = sp + frameBytes;
  __stack_pointer = callerSp;
  let started = clock.now();
  let block = stacklet.extendFromPool(ctx, sp, frameBytes, shadowBytes, site, waived);
  noteStackStretch(started);
  let want: usize = 0;
  if (block == stacklet.EXTEND_REFUSED) block = 0; // the stack limit refuses the frame (stacklet.refusal)
  else if (block == 0) want = planStep(ctx, frameBytes, shadowBytes, site);
  if (want != 0) {
    const least = stacklet.leastWant;
    let size = want;
    checkpoint();
    started = clock.now();
    let taken = stacklet.takePooled(ctx, size);
    noteStackStretch(started);
    if (!taken) {
      if (stacklet.returnWouldEvict(ctx)) {
        // The pool is full and holds nothing for this frame: the block this stacklet's return
        // would evict goes back to the heap now, so the two are never held at once.
        checkpoint();
        started = clock.now();
        stacklet.releasePooled();
        noteStackStretch(started);
      }
      checkpoint();
      started = clock.now();
      taken = stacklet.takeStacklet(ctx, size);
      noteStackStretch(started);
    }
    while (!taken) {
      if (ctx.stackletsToFree != 0) {
        // Stacklets the context returned and has not given back yet (a context restarted to
        // unwind holds the whole chain of the frames it lost): back to the heap, one a step.
        checkpoint();
        started = clock.now();
        stacklet.freeStep(ctx);
        noteStackStretch(started);
      } else if (pool.pooled != 0) {
        // Pooled stacklets, none big enough for this frame: back to the heap, one a step.
        checkpoint();
        started = clock.now();
        stacklet.releasePooled();
        noteStackStretch(started);
      } else if (least < size) {
        size = least; // the size it wants does not fit: the frame with its addition may
      } else break;
      checkpoint();
      started = clock.now();
      taken = stacklet.takeStacklet(ctx, size);
      noteStackStretch(started);
    }
    if (taken) {
      while (ctx.inHandZeroedTo < ctx.inHandEnd) {
        checkpoint();
        started = clock.now();
        stacklet.zeroStep(ctx);
        noteStackStretch(started);
      }
      started = clock.now();
      block = stacklet.linkStacklet(ctx, sp, frameBytes, shadowBytes, site);
      noteStackStretch(started);
    } else drainStackletFrees(ctx);
  }
  if (block != 0 && waived) {
    const frames = ctx.chainFrames + frameBytes + shadowBytes;
    const limit = ctx.frameLimit;
    if (ctx.stackMode != STACK_SEGMENTED || (limit != 0 && frames > limit)) deferOverflow(ctx, frames);
  }
  if (block == 0) {
    overflow(stacklet.refusal == stacklet.REFUSED_MEMORY ? FAULT_OUT_OF_MEMORY : FAULT_STACK_OVERFLOW, ctx.chainFrames + <u32>(ctx.stackTop - low));
    // The frame cannot go where it is: it runs on the main stack (free while a task runs) until then.
    emergencyCallerSp = callerSp;
    taskStackPointer = emergencyCallerSp;
    __stack_pointer = __heap_base - frameBytes;
    return EMERGENCY;
  }
  // The frame is in the new stacklet now: only then may a check point suspend the task again
  // (its saved state goes below the stack pointer, within the stacklet its registers describe).
  __stack_pointer = ctx.stackTop - frameBytes;
  stackGuard = ctx.watermark;
  return block;
}

// @ts-ignore: decorator
@inline function planStep(ctx: Context, frameBytes: u32, shadowBytes: u32, site: u32): usize {
  const started = clock.now();
  const want = stacklet.planStacklet(ctx, frameBytes, shadowBytes, site);
  noteStackStretch(started);
  return want;
}

/** Give the stacklets a context returned back to the heap, a block a step, a check point before each. */
function drainStackletFrees(ctx: Context): void {
  while (ctx.stackletsToFree != 0) {
    checkpoint();
    const started = clock.now();
    stacklet.freeStep(ctx);
    noteStackStretch(started);
  }
}

/**
 * Calls of stackGuardHit since boot: the prologue's slow path (ABI memory field 12). A simulator
 * figure, not a modelled one: the guard is meant to be passed only at a new depth, so a steady
 * loop (a context switch, an interrupt) takes it never (tests/host/switch.test.ts).
 */
export let guardHits: u32 = 0;

/** Main-stack bytes kept free above the static data (js/compiler/instrument.ts checks atomic code against it). */
const MAIN_STACK_FLOOR_MARGIN: usize = 256;

/** A segmented frame that could not be had runs on the main stack until the next check point ends its task. */
const EMERGENCY: usize = 1;
let emergencyCallerSp: usize = 0;

/** A stack violation: the context panics at the next check point (the prologue's own, for instrumented code). */
function overflow(reason: u32, detail: u32): void {
  overflowPending = true;
  faultReason = reason;
  faultDetail = detail;
  stackGuard = 0;
  clock.requestCheck();
}

/**
 * The longest step of a stack extension or return so far, in cycles: each step of the
 * stacklet allocator (kernel/stack/stacklet.ts) is atomic code, one uninterruptible stretch.
 * Measured here, where measuring costs no modelled cycle; the host's longest-stretch figure
 * (ABI memory field 5) is the larger of this and the collector's.
 */
export let longestStackStretch: i64 = 0;

// @ts-ignore: decorator
@inline function noteStackStretch(started: i64): void {
  const d = clock.now() - started;
  if (dispatching && d > longestStackStretch) longestStackStretch = d;
}

/**
 * A stack-limit violation inside a cleanup handler: the call goes ahead; the first one is
 * recorded and kernel/unwind.ts raises it when the outermost running handler returns.
 */
function deferOverflow(ctx: Context, frames: u32): void {
  if (ctx.deferredOverflow == 0) ctx.deferredOverflow = frames;
}

/** The epilogue of a function whose frame moved to stacklet `block` (or ran on the main stack). */
export function stackReturn(block: usize): void {
  if (block == EMERGENCY) {
    __stack_pointer = emergencyCallerSp;
    return;
  }
  const ctx = changetype<Context>(current);
  const started = clock.now();
  const callerSp = stacklet.lessStack(ctx, block);
  noteStackStretch(started);
  // A static stack that grew by stacklets in a cleanup handler is back in its region: its save reserve again.
  if (ctx.stackMode != STACK_SEGMENTED && ctx.stacklet == 0) restoreStaticLimit(ctx);
  __stack_pointer = callerSp;
  stackGuard = ctx.watermark > ctx.stackLimit ? ctx.watermark : ctx.stackLimit;
  drainStackletFrees(ctx);
}

/** Make `ctx` the running context: its stack, its guard. */
// @ts-ignore: decorator
@inline export function enter(ctx: usize): void {
  current = ctx;
  if (ctx == 0) return;
  const c = changetype<Context>(ctx);
  __stack_pointer = c.resumeSp;
  stackGuard = c.watermark > c.stackLimit ? c.watermark : c.stackLimit;
}

let lastIdleUntil: i64 = -1;

/** Exceptions taken since reset (the dispatch loop counts them): what ends a WFI. */
export let exceptionsTaken: u32 = 0;

/**
 * WFI: sleep until an exception is taken. The host may end a run slice while
 * the core sleeps: the context is suspended inside this loop and, resumed,
 * sleeps on, so where the host slices never makes the code after WFI run
 * (and spend cycles) at another time.
 */
export function wfi(): void {
  const taken = exceptionsTaken;
  while (true) {
    if (nvic.preempting() == 0) {
      const due = clock.nextDue();
      // The trace names the event the core waits for; where the host ends a run is not part of the model.
      if (due != lastIdleUntil) {
        lastIdleUntil = due;
        trace.emit(trace.EV_IDLE, 0, <u32>due, <u32>(due >>> 32));
      }
      const end = clock.getSliceEnd();
      clock.advanceTo(end < due ? end : due);
    }
    checkpoint();
    if (exceptionsTaken != taken || !dispatching) return;
  }
}

/** CPSID i / CPSIE i. */
export function disableInterrupts(): void {
  nvic.setPrimask(true);
}

export function enableInterrupts(): void {
  nvic.setPrimask(false);
  if (nvic.anyPending()) clock.requestCheck();
}

/** BASEPRI writes go through here so a lowered mask is noticed at once. */
export function setBasepri(value: u8): void {
  nvic.setBasepri(value);
  if (nvic.anyPending()) clock.requestCheck();
}

export function resetCore(): void {
  stackGuard = 0;
  current = 0;
  thread = 0;
  dispatching = false;
  resuming = false;
  unwinding = false;
  killing = false;
  stopRequest = STOP_NONE;
  halted = STOP_NONE;
  faultReason = FAULT_NONE;
  faultContext = 0;
  faultDetail = 0;
  deadContext = 0;
  overflowPending = false;
  guardHits = 0;
}
