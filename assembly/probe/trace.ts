/**
 * The trace writer: fixed-size records in a ring read by the host, the way
 * SEGGER SystemView streams over RTT. It is part of the debug probe, so it
 * costs no cycles and never changes timing.
 *
 * Header (16 bytes): written (u32, total records ever written), acked (u32,
 * records the host has consumed), capacity (u32), overflow (u32, records
 * overwritten before the host read them).
 * Record (24 bytes): cycle (u64), kind (u16), context (u16), a, b, c (u32).
 */
import { TRACE_RING, TRACE_CAPACITY, TRACE_RECORD_BYTES, TRACE_HEADER_BYTES } from "../mcu/memmap";
import { now } from "../mcu/clock";
import * as core from "../mcu/core";
import { Context } from "../mcu/context";

// Event kinds (SystemView / Zephyr CTF naming); the host decoder mirrors this list.
export const EV_TASK_CREATE: u16 = 1;     // ctx = task; a = priority, b = stack bytes, c = entry index
export const EV_TASK_READY: u16 = 2;
export const EV_TASK_SWITCH_IN: u16 = 3;
export const EV_TASK_SWITCH_OUT: u16 = 4;  // a = task state, b = stack bytes it holds (frames + saved state)
export const EV_TASK_BLOCK: u16 = 5;      // a = reason (1 sleep), b = wake tick
export const EV_TASK_EXIT: u16 = 6;       // a = stack high water (bytes)
export const EV_ISR_ENTER: u16 = 7;       // ctx = handler id, a = exception number, b = entry cost (12 or 6)
export const EV_ISR_EXIT: u16 = 8;        // a = exception number
export const EV_IDLE: u16 = 9;            // a, b = cycle of the event the core waits for (lo, hi)
export const EV_PANIC: u16 = 10;          // ctx = dying context, a = reason, b = detail, c = 1 if noticed inside the kernel and deferred to the lock's release
export const EV_IRQ_RAISE: u16 = 11;      // a = exception number, b = source (0 host, 1 firmware, 2 scheduled)
export const EV_IRQ_CLEAR: u16 = 12;
export const EV_TICK: u16 = 13;           // a = tick count
export const EV_USER_MARK: u16 = 14;      // a, b = user values
export const EV_PRIORITY: u16 = 15;       // a = new priority, b = old
export const EV_TASK_DELETE: u16 = 16;    // a = bytes reclaimed, b = stack peak (bytes held at once), c = saved-state peak
export const EV_ERROR: u16 = 17;          // a = error code, b = detail: a kernel call refused
export const EV_STACK: u16 = 18;          // a = stack bytes used (new high water)
export const EV_GC: u16 = 19;             // ctx = the context whose allocation ran it (never a handler), a = bytes freed, b = bytes live, c = pause (cycles the collection took, uninterruptible)
export const EV_RUN_STOP: u16 = 20;       // a = stop reason
// 21..49: synchronisation objects and scheduling (kernel/sync, kernel/sched).
// For objects: ctx = the acting context, a = object id (its address), b, c as noted.
export const EV_TIMESLICE: u16 = 21;      // ctx = task rotated behind its peers, a = slice ticks
export const EV_TIMEOUT: u16 = 22;        // ctx = task whose wait timed out, a = object
export const EV_WAIT: u16 = 23;           // ctx = task that blocks, a = object, b = object kind, c = timeout ticks (0 none)
export const EV_WAKE: u16 = 24;           // ctx = context that wakes it, a = object, b = woken task, c = object kind
export const EV_SEM_GIVE: u16 = 25;       // a = semaphore, b = count after, c = 1 if saturated (the give was refused)
export const EV_SEM_TAKE: u16 = 26;       // a = semaphore, b = count after, c = 1 if it failed
export const EV_MUTEX_LOCK: u16 = 27;     // a = mutex, b = result code
export const EV_MUTEX_UNLOCK: u16 = 28;   // a = mutex, b = result code, c = task it was handed to (0xFFFF none)
export const EV_CHAN_SEND: u16 = 29;      // a = channel, b = count after, c = 1 if it failed
export const EV_CHAN_RECV: u16 = 30;      // a = channel, b = count after, c = 1 if it failed
export const EV_NOTIFY: u16 = 31;         // a = mailbox or condvar, b = pending notifications / woken count
export const EV_INHERIT: u16 = 32;        // ctx = owner, a = mutex, b = new priority, c = old priority
export const EV_TICK_IGNORED: u16 = 33;   // an external tick while SysTick drives time; a = source (0 host, 1 ISR)
export const EV_POLICY: u16 = 34;         // a = policy, b = default timeslice
export const EV_PENDED: u16 = 35;         // a handler found the kernel lock held and pended its operation; a = object, b = operation (lock.ts OP_*)
export const EV_UNWIND_DONE: u16 = 36;    // ctx = context that panicked and is unwound; a = cleanup handlers run, b = nested panics (inside handlers)
export const EV_RESTART: u16 = 37;        // ctx = restartable task that panicked; a = the new instance's id (itself: restarted in place), b = restarts of the lineage
export const EV_TASK_END: u16 = 38;       // ctx = task being reclaimed (before its EV_TASK_DELETE); a = its own priority (base), b = context switches, c = stack bytes
export const EV_TASK_CPU: u16 = 39;       // ctx = task being reclaimed (before its EV_TASK_DELETE); a, b = cycles it ran (lo, hi), c = most stacklets held at once
export const EV_STACKLET_ALLOC: u16 = 40; // ctx = task; a = block bytes, b = stacklets it holds now, after
export const EV_STACKLET_FREE: u16 = 41;  // ctx = task; a = block bytes, b = stacklets it holds after
export const EV_CLEANUP: u16 = 42;        // a cleanup handler starts (at its source function's return, or while the context unwinds after a panic); a = its function (table index)
export const EV_CONSOLE_DROP: u16 = 49;   // a console record did not fit (outside the dispatch loop): a = record kind, b = payload bytes, c = drops so far
// 50..79: peripherals (GPIO, EXTI, USART, timers, RCC).
export const EV_GPIO: u16 = 50;           // ctx = context that wrote it (0: outside); a = pin (port * 16 + n), b = new level, c = cause (0 firmware, 1 host, 2 scheduled)
export const EV_EXTI: u16 = 51;           // a = EXTI line made pending, b = 1 rising edge, 2 falling edge, 3 software (SWIER)
export const EV_UART_TX: u16 = 52;        // a = USART number (1, 2, 6), b = the byte (traced when its stop bit ends)
export const EV_UART_RX: u16 = 53;        // a = USART number, b = the byte, c = 0 received, 1 lost to overrun, 2 lost (receiver off)
export const EV_TIM_UPDATE: u16 = 54;     // a = timer number (2..5), b = 0 overflow, 1 UG (software)
export const EV_CLOCK: u16 = 55;          // a = core clock HCLK (Hz), b = PCLK1, c = PCLK2
export const EV_GATED: u16 = 56;          // ctx = context; a = address, b = 0 read, 1 write: its peripheral's clock is off
export const EV_GPIO_LOCK: u16 = 57;      // a = port (0 = A), b = the locked pins

// @ts-ignore: decorator
@inline function header(offset: usize): usize { return TRACE_RING + offset; }

/**
 * The kinds the host reads (bit k: kind k), chosen by the host
 * (hoprt_trace_select): a record of another kind is not written. A host that
 * keeps no trace (a CLI run without a trace export) reads only a few kinds
 * (panics, task ends, refused calls), so the six records of every context
 * switch and the ring's draining and run stops they cause are work nobody
 * reads. Every kind until the host says otherwise. Not part of the model:
 * tracing costs no cycles either way, and the records of a selected kind are
 * the same whatever else is selected. Kept as the kinds *not* written, so
 * that its initial value (every kind written) needs no start code, which
 * would run after the host's first choice.
 */
let unselected: u64 = 0;

export function select(kinds: u64): void { unselected = ~kinds; }

export function reset(): void {
  store<u32>(header(0), 0);
  store<u32>(header(4), 0);
  store<u32>(header(8), TRACE_CAPACITY);
  store<u32>(header(12), 0);
}

export function emit(kind: u16, context: u32, a: u32 = 0, b: u32 = 0, c: u32 = 0): void {
  emitAt(now(), kind, context, a, b, c);
}

/** Whether records of `kind` are written (the host reads them: hoprt_trace_select). */
// @ts-ignore: decorator
@inline export function wanted(kind: u16): bool {
  return (unselected & (<u64>1 << <u64>kind)) == 0;
}

/**
 * emit(), its selection test inlined into the caller: for the hardware's and the probe's
 * own records on the context switch and interrupt paths, which a host that keeps no trace
 * does not read (a record not written costs no call; the small probe functions that write
 * them are inlined in turn). Never for instrumented code: inlined there, the test would be
 * charged as the kernel's.
 */
// @ts-ignore: decorator
@inline export function emitInline(kind: u16, context: u32, a: u32 = 0, b: u32 = 0, c: u32 = 0): void {
  if (wanted(kind)) emitAt(now(), kind, context, a, b, c);
}

/** An event of the running context: the probe reads which one itself, so the caller pays nothing for it. */
export function emitHere(kind: u16, a: u32 = 0, b: u32 = 0, c: u32 = 0): void {
  const ctx = core.current;
  emitAt(now(), kind, ctx == 0 ? 0xFFFF : changetype<Context>(ctx).id, a, b, c);
}

/** An event that happened at `cycle` (an alarm noticed a little later, at a check point). */
export function emitAt(cycle: i64, kind: u16, context: u32, a: u32 = 0, b: u32 = 0, c: u32 = 0): void {
  record(cycle, kind, context, a, b, c);
}

// @ts-ignore: decorator
@inline function record(cycle: i64, kind: u16, context: u32, a: u32, b: u32, c: u32): void {
  if (!wanted(kind)) return;
  const written = load<u32>(header(0));
  if (written - load<u32>(header(4)) >= TRACE_CAPACITY) {
    store<u32>(header(12), load<u32>(header(12)) + 1); // the oldest unread record is lost
    store<u32>(header(4), load<u32>(header(4)) + 1);
  }
  const rec = TRACE_RING + TRACE_HEADER_BYTES + <usize>(written & (TRACE_CAPACITY - 1)) * TRACE_RECORD_BYTES;
  store<i64>(rec, cycle);
  store<u16>(rec, kind, 8);
  store<u16>(rec, <u16>context, 10);
  store<u32>(rec, a, 12);
  store<u32>(rec, b, 16);
  store<u32>(rec, c, 20);
  store<u32>(header(0), written + 1);
}

/** Records written but not yet consumed by the host. */
export function unread(): u32 {
  return load<u32>(header(0)) - load<u32>(header(4));
}
