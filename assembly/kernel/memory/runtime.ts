/**
 * HopRT's garbage-collected runtime (passed to asc as --runtime): TLSF for
 * memory (heap.ts), an incremental mark-and-sweep collector for objects
 * (collector.ts), driven from here.
 *
 * Why our own: AssemblyScript's collectors find stack roots in one shadow
 * stack, but here every context has its own stack, and their collections are
 * one long stretch. This file is instrumented code (js/compiler/rule.ts makes
 * an exception for it in kernel/memory/): it calls the collector's and the
 * allocator's atomic steps, each bounded and straight-line, and between two
 * of them a check point may take an interrupt or switch tasks. So neither an
 * allocation nor a collection is ever one long uninterruptible stretch:
 *  - an allocation by a task pays for collection work in proportion to its
 *    size while a cycle runs (`pace`), and starts a cycle once as much was
 *    allocated as half of what survived the last one (at least 8 KiB);
 *  - the collector's remark runs with the kernel lock held (no other task
 *    runs, handlers do), in bounded steps like the rest;
 *  - a new object's zeroing and a moved object's copying run here, in loops
 *    with check points, while the object's id says it has no members;
 *  - handlers never collect: their allocations take free memory only.
 *
 * Out of memory: an allocation that does not fit finishes the cycle in
 * progress and runs a whole new one first; only then is it a panic of the
 * context that asked ("out of memory"). In a handler it is a panic at once.
 *
 * Invariants: a context's locals here hold no reference the collector must
 * keep (objects being filled are reachable from the caller, or are black:
 * allocated during the cycle); the collector's state changes only inside its
 * atomic steps, so tasks that allocate while preempting each other simply
 * take turns driving the same cycle.
 */
import { OBJECT_MAXSIZE } from "rt/common";
import { E_ALLOCATION_TOO_LARGE } from "util/error";
import { heapUsed, heapCapacity } from "./heap";
import {
  phase, PHASE_IDLE, PHASE_REMARK, allocatedSinceCollect, threshold,
  allocObject, publish, finishRenew, idOf, sizeOf, startCycle, gcStep, allocDebt, clearDebt,
} from "./collector";
import { lock, unlock } from "../lock";
import * as core from "../../mcu/core";
import { Context, HANDLER_ID_BASE } from "../stack/context";
import { releasePooled } from "../stack/stacklet";

export { collections, liveBytes, maxPauseCycles } from "./collector";
import { visitReference, linkReference, pinObject, unpinObject } from "./collector";

// AssemblyScript's runtime interface: the generated visitors, field stores, pins.
// @ts-ignore: decorator
@global @unsafe
export function __visit(ptr: usize, cookie: i32): void { visitReference(ptr); }
// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void { linkReference(childPtr); }
// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return pinObject(ptr); }
// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void { unpinObject(ptr); }

/** Collection never runs inside a handler: a handler's allocation only takes free memory. */
// @ts-ignore: decorator
@inline function inHandler(): bool {
  const ctx = core.current;
  return ctx != 0 && changetype<Context>(ctx).id >= HANDLER_ID_BASE;
}

/**
 * Collector steps a task's allocation of `size` bytes pays for while a cycle
 * runs: for its own bytes and for what handlers allocated since (they never
 * collect), so the cycle keeps up with every allocator.
 */
// @ts-ignore: decorator
@inline function pace(size: usize): i32 {
  // Every allocation (this task's earlier ones included) is in the debt once; this one joins it when made.
  const owed = allocDebt;
  clearDebt();
  return 16 + <i32>(min<usize>(owed, 1 << 20) >> 3);
}

/** REMARK, whole: no other task may run until it ends (handlers may). */
function remark(): void {
  lock();
  while (phase == PHASE_REMARK) gcStep();
  unlock();
}

function runSteps(steps: i32): void {
  for (let i = 0; i < steps && phase != PHASE_IDLE; i++) {
    if (phase == PHASE_REMARK) remark();
    else gcStep();
  }
}

/** Run the cycle in progress (if any) to its end. */
function finishCycle(): void {
  while (phase != PHASE_IDLE) {
    if (phase == PHASE_REMARK) remark();
    else gcStep();
  }
}

/** The collection work an allocation of `size` bytes by a task does first. */
function collectFor(size: usize): void {
  if (heapUsed + size + 1024 > heapCapacity()) {
    // Nearly full: a whole cycle now (finishing the one in progress counts).
    if (phase == PHASE_IDLE) startCycle();
    finishCycle();
    return;
  }
  if (phase == PHASE_IDLE) {
    if (allocatedSinceCollect < threshold) return;
    startCycle();
  }
  runSteps(pace(size));
}

/** A whole collection: the cycle in progress ends, and a new one runs from start to end. */
// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {
  finishCycle();
  startCycle();
  finishCycle();
  // Stacklets pooled for reuse are memory too (kernel/stack/pool.ts): back to the heap, one a step.
  while (releasePooled()) {}
}

/** Out of memory after a collection: a panic of the context that asked (reason "out of memory"). */
function outOfMemory(size: usize): usize {
  core.kill(core.FAULT_OUT_OF_MEMORY, <u32>size);
  return 0; // the context is unwinding away
}

/** A black object of `size` bytes (its bytes not yet valid), collecting first as a task must; 0 after a panic. */
function obtain(size: usize): usize {
  const handler = inHandler();
  if (!handler) collectFor(size);
  let ptr = allocObject(size);
  if (ptr == 0) {
    if (handler) return outOfMemory(size);
    __collect();
    ptr = allocObject(size);
    if (ptr == 0) return outOfMemory(size);
  }
  return ptr;
}

/** memset(0), a check point per 8 bytes. */
function zero(dest: usize, bytes: usize): void {
  const end = dest + bytes;
  let p = dest;
  while (p + 8 <= end) { store<u64>(p, 0); p += 8; }
  while (p < end) { store<u8>(p, 0); p++; }
}

/** memcpy between distinct objects, a check point per 8 bytes. */
function copy(dest: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  while (i + 8 <= bytes) { store<u64>(dest + i, load<u64>(src + i)); i += 8; }
  while (i < bytes) { store<u8>(dest + i, load<u8>(src + i)); i++; }
}

// @ts-ignore: decorator
@global @unsafe
export function __new(size: usize, id: i32): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const ptr = obtain(size);
  if (ptr == 0) return 0;
  zero(ptr, size);
  publish(ptr, <u32>id);
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const oldSize = sizeOf(oldPtr);
  const keep = size < oldSize ? size : oldSize;
  if (oldPtr < __heap_base) {
    // A static object: copy it into a new heap object.
    const fresh = __new(size, idOf(oldPtr));
    if (fresh != 0) copy(fresh, oldPtr, keep);
    return fresh;
  }
  const fresh = obtain(size);
  if (fresh == 0) return 0;
  copy(fresh, oldPtr, keep);
  finishRenew(oldPtr, fresh);
  return fresh;
}
