/**
 * The kernel lock: how tasks and handlers exclude each other from the
 * kernel's shared structures (ready queues, the timing wheel, the task
 * table's links, every wait queue, mailbox, channel and the zombie list).
 *
 * Two implementations, chosen at compile time by one switch (the build's
 * `--kernel-lock`, which defines HOPRT_KERNEL_LOCK_MASK for the baseline):
 *
 *  - soft (default): Hopter's soft-lock. Nothing masks interrupts. The first
 *    context to call lock() holds it (nesting); a handler that finds it held
 *    by another context does not wait: it records a *pended operation* on the
 *    object it wanted (a give count, a notify count, a value in the channel's
 *    pend ring, a tick count, a task to make ready) and links that object into
 *    the pend list. The holder applies every pended operation when its
 *    outermost unlock() runs, looping until the list is empty, and only then
 *    lets go. While a task holds the lock the scheduler is suspended: PendSV
 *    finds the lock held and defers the switch to the release.
 *  - mask: the same kernel with BASEPRI critical sections, as FreeRTOS's
 *    Cortex-M4F port: lock() raises BASEPRI to MAX_SYSCALL_PRIORITY, so
 *    handlers at that priority or below (numerically >=) wait, and handlers
 *    above it are never masked (they must not call the kernel).
 *
 * Invariants (soft):
 *  - depth > 0 <=> the lock is held, by `owner` (a context; 0 during boot).
 *  - A task never finds the lock held by another context: a holder task is
 *    never switched out (the scheduler is suspended), and a handler holding
 *    it finishes before any task runs again. Only handlers find it held.
 *  - Handlers nest, so a pended operation is recorded before the context it
 *    interrupted resumes; the holder, or an inner handler that got the lock
 *    meanwhile, applies it before the lock is free again: none is lost.
 *  - An object is in the pend list at most once (`pendQueued`), so the list
 *    holds at most one entry per kernel object: it cannot overflow. Pended
 *    operations of one object apply in the order they were issued; objects
 *    apply in the order of their first pending operation.
 *  - Straight-line code without a call or a loop header holds no check
 *    point, so the model never interrupts it: the pend list's link and
 *    unlink, and the release's last emptiness test and the store that frees
 *    the lock, are atomic.
 *  - A switch requested while the lock is held (`switchDeferred`) happens at
 *    the release; a panic the kernel defers while holding it
 *    (`panicWhenReleased`) is raised at the release, never with the lock held.
 */
import * as core from "../mcu/core";
import * as bus from "../mcu/bus";
import * as scb from "../mcu/scb";
import * as trace from "../probe/trace";
import { ERR_LOCK_ABANDONED } from "./errors";
// The state lives apart (lockstate.ts) so the core's check point can read it; this file owns it.
import { depth, owner, releaseWork, deferredPanicReason, deferredPanicDetail, panicWhenReleased } from "./lockstate";

// @ts-ignore: defined by the firmware build with --use HOPRT_KERNEL_LOCK_MASK=1
export const MASK_BUILD: bool = isDefined(HOPRT_KERNEL_LOCK_MASK);

/** BASEPRI of the mask build's critical sections (FreeRTOS configMAX_SYSCALL_INTERRUPT_PRIORITY = 5). */
export const MAX_SYSCALL_PRIORITY: u8 = 0x50;

// Pended operations (EV_PENDED's b).
export const OP_GIVE: u32 = 1;
export const OP_NOTIFY: u32 = 2;
export const OP_SEND: u32 = 3;
export const OP_NOTIFY_ALL: u32 = 4;
export const OP_TICK: u32 = 5;
export const OP_READY: u32 = 6;
export const OP_RETIRE: u32 = 7;

/** An object handlers may operate on while the lock is held elsewhere. */
export class Pendable {
  pendNext: usize = 0;
  pendQueued: bool = false;
  /** Apply the pended operations; called by the holder with the lock held. */
  applyPended(): void {}
}

let pendHead: usize = 0;
let pendTail: usize = 0;
let switchDeferred: bool = false;
/** Pended operations recorded and applied since boot (statistics for tests and benchmarks). */
export let pendedCount: u32 = 0;
export let appliedCount: u32 = 0;

/** Take the lock (a task, or a handler that knows it is free or its own). */
// @ts-ignore: decorator
@inline export function lock(): void {
  if (MASK_BUILD) {
    // The holder too: a panic inside the kernel is deferred to the release, or is a kernel bug (mcu/core.ts).
    if (depth++ == 0) { owner = core.current; core.setBasepri(MAX_SYSCALL_PRIORITY); }
  } else {
    // Only a handler can find the lock held by another context, and handlers use tryLock().
    if (depth != 0 && owner != core.current) lockedOut();
    depth++;
    owner = core.current;
  }
}

/**
 * Take the lock the caller has just seen free (`isHeld()` was false, with no
 * check point in between): lock() without its second test.
 */
// @ts-ignore: decorator
@inline export function lockFree(): void {
  if (MASK_BUILD) lock();
  else {
    depth = 1;
    owner = core.current;
  }
}

/** A kernel path reachable from handlers called lock() instead of tryLock(): a kernel bug. */
function lockedOut(): void {
  core.kill(core.FAULT_KERNEL, 0x10C);
}

/**
 * Take the lock if it is free or already ours: false when another context
 * holds it, and the caller must pend its operation instead.
 */
// @ts-ignore: decorator
@inline export function tryLock(): bool {
  if (MASK_BUILD) {
    lock();
    return true;
  }
  if (depth != 0 && owner != core.current) return false;
  depth++;
  owner = core.current;
  return true;
}

// @ts-ignore: decorator
@inline export function unlock(): void {
  if (MASK_BUILD) {
    if (--depth == 0) core.setBasepri(0);
  } else if (depth > 1) {
    depth--;
  } else if (releaseWork == 0) {
    // Nothing pended, nothing deferred: let go (straight-line, no check point after the test;
    // `owner` means nothing once depth is 0).
    depth = 0;
  } else {
    release();
  }
}

/**
 * Let go of a lock taken with lockFree(), every nested lock() since undone
 * (depth is 1): unlock() without its nesting test.
 */
// @ts-ignore: decorator
@inline export function unlockOuter(): void {
  if (MASK_BUILD) unlock();
  else if (releaseWork == 0) depth = 0;
  else release();
}

/** Whether the lock is held (by anyone). */
// @ts-ignore: decorator
@inline export function isHeld(): bool { return depth != 0; }

/** Whether pended operations wait for the holder. */
export function pendingOperations(): bool { return pendHead != 0; }

/** Whether `ctx` holds the lock. */
export function heldBy(ctx: usize): bool { return depth != 0 && owner == ctx; }

/** Lock depth (tests, issue 8's deferred unwinding). */
export function lockDepth(): i32 { return depth; }

/**
 * Record that `obj` has pended operations (its own fields hold what). The
 * caller already updated them. Straight-line: atomic in the model.
 */
export function pend(obj: Pendable, object: u32, op: u32): void {
  if (!obj.pendQueued) {
    obj.pendQueued = true;
    obj.pendNext = 0;
    const self = changetype<usize>(obj);
    if (pendTail != 0) changetype<Pendable>(pendTail).pendNext = self;
    else pendHead = self;
    pendTail = self;
  }
  releaseWork = 1;
  pendedCount++;
  trace.emitHere(trace.EV_PENDED, object, op);
}

/** Count one applied pended operation. */
// @ts-ignore: decorator
@inline export function applied(n: u32): void { appliedCount += n; }

/**
 * Ask for a switch. Under the soft lock a request made while holding it is
 * deferred to the release (the scheduler is suspended meanwhile).
 */
// @ts-ignore: decorator
@inline export function requestSwitch(): void {
  if (!MASK_BUILD && depth != 0) {
    switchDeferred = true;
    releaseWork = 1;
    return;
  }
  // The write is itself a check point (mcu/scb.ts).
  bus.write32(scb.SCB_BASE + scb.ICSR, scb.ICSR_PENDSVSET);
}

/** PendSV found the lock held: switch when it is released. */
export function deferSwitch(): void { switchDeferred = true; releaseWork = 1; }

export { panicWhenReleased };

/** The holder died (a trap inside the kernel): free the lock so the rest of the machine can go on. */
export function abandon(ctx: usize): void {
  if (depth == 0 || owner != ctx) return;
  trace.emitHere(trace.EV_ERROR, <u32>ERR_LOCK_ABANDONED, <u32>depth);
  depth = 1;
  owner = core.current;
  deferredPanicReason = 0;
  if (!MASK_BUILD) release();
  else { depth = 0; core.setBasepri(0); }
}

/** The outermost unlock: apply pended operations until none are left, then let go. */
function release(): void {
  while (true) {
    // Straight-line from the test to the store that frees the lock.
    const obj = pendHead;
    if (obj == 0) {
      depth = 0;
      releaseWork = 0;
      break;
    }
    const p = changetype<Pendable>(obj);
    pendHead = p.pendNext;
    if (pendHead == 0) pendTail = 0;
    p.pendNext = 0;
    p.pendQueued = false;
    p.applyPended();
  }
  // The deferred switch and panic are this context's: acted on after letting go.
  if (deferredPanicReason != 0) {
    const reason = deferredPanicReason;
    deferredPanicReason = 0;
    core.kill(reason, deferredPanicDetail, 1);
  }
  if (switchDeferred) {
    switchDeferred = false;
    bus.write32(scb.SCB_BASE + scb.ICSR, scb.ICSR_PENDSVSET);
  }
}
