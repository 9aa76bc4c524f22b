/**
 * Wait queues and the block/wake protocol every synchronisation object uses.
 *
 * Invariants (under the kernel lock, lock.ts; handlers that find it held
 * pend their operation on the object, applied by the holder):
 *  - A task is in at most one wait queue; t.waitQueue names it.
 *  - FIFO queues keep arrival order; priority queues keep priority order,
 *    arrival order among equals.
 *  - A woken task gets its result (WAIT_OK, WAIT_TIMEOUT) and, for a
 *    hand-off, the value in t.waitValue before it runs again: the token or
 *    message is the woken task's, no other task can take it in between.
 */
import { Task, TASK_BLOCKED } from "../task";
import * as sched from "../sched";
import * as time from "../time";
import { unlock } from "../lock";
import { recordWake, recordWait } from "../../probe/schedrecords";
import { rawStoreBarrier } from "../memory/collector";

export const WAIT_OK: i32 = 0;
export const WAIT_TIMEOUT: i32 = 1;
const WAIT_PENDING: i32 = 2;

/** Who is woken first. */
export enum WakeOrder {
  Fifo = 0,
  Priority = 1,
}

// Object kinds, for the trace.
export const KIND_SEMAPHORE: u8 = 1;
export const KIND_MUTEX: u8 = 2;
export const KIND_CHANNEL_SEND: u8 = 3;
export const KIND_CHANNEL_RECEIVE: u8 = 4;
export const KIND_MAILBOX: u8 = 5;
export const KIND_CONDVAR: u8 = 6;

export class WaitQueue {
  head: usize = 0;
  tail: usize = 0;
  /** The object this queue belongs to, traced: a task waiting in the queue keeps it alive. */
  private ownerObject: Object | null = null;
  /** Its address names it in the trace: a plain word, which the probe reads (probe/schedrecords.ts). */
  ownerId: u32 = 0;
  get owner(): usize { return changetype<usize>(this.ownerObject); }
  set owner(object: usize) { this.ownerObject = changetype<Object | null>(object); this.ownerId = <u32>object; }
  constructor(public order: WakeOrder, public kind: u8) {}
}

function insert(q: WaitQueue, t: Task): void {
  const self = changetype<usize>(t);
  let after: usize = q.tail;
  if (q.order == WakeOrder.Priority) {
    // After the last waiter of equal or higher priority.
    after = 0;
    let it = q.head;
    while (it != 0 && changetype<Task>(it).priority <= t.priority) {
      after = it;
      it = changetype<Task>(it).waitNext;
    }
  }
  t.waitPrev = after;
  t.waitNext = after != 0 ? changetype<Task>(after).waitNext : q.head;
  if (after != 0) changetype<Task>(after).waitNext = self;
  else q.head = self;
  if (t.waitNext != 0) changetype<Task>(t.waitNext).waitPrev = self;
  else q.tail = self;
  t.waitQueue = changetype<usize>(q);
}

// A queue's links by its address: raw words, so that a hot path holds no managed
// temporary (AssemblyScript spills every one to the shadow stack, a store each time).
const HEAD: usize = offsetof<WaitQueue>("head");
const TAIL: usize = offsetof<WaitQueue>("tail");

/** Take `t`, the first waiter of queue `q`, out of it (wakeFirst: no predecessor to unlink). */
// @ts-ignore: decorator
@inline function removeFirst(q: usize, t: Task): void {
  const after = t.waitNext;
  store<usize>(q + HEAD, after);
  if (after != 0) changetype<Task>(after).waitPrev = 0;
  else store<usize>(q + TAIL, 0);
  t.waitNext = 0;
  t.waitQueue = 0;
}

/** Take `t` out of the queue it waits in. */
// @ts-ignore: decorator
@inline export function remove(t: Task): void {
  const q = changetype<WaitQueue>(t.waitQueue);
  if (t.waitPrev != 0) changetype<Task>(t.waitPrev).waitNext = t.waitNext;
  else q.head = t.waitNext;
  if (t.waitNext != 0) changetype<Task>(t.waitNext).waitPrev = t.waitPrev;
  else q.tail = t.waitPrev;
  t.waitNext = 0;
  t.waitPrev = 0;
  t.waitQueue = 0;
}

/** Re-sort a waiter whose priority changed. */
export function reposition(t: Task): void {
  const q = changetype<WaitQueue>(t.waitQueue);
  if (q.order != WakeOrder.Priority) return;
  remove(t);
  insert(q, t);
}

// @ts-ignore: decorator
@inline export function first(q: WaitQueue): Task | null {
  return changetype<Task | null>(q.head);
}

// @ts-ignore: decorator
@inline export function isEmpty(q: WaitQueue): bool {
  return q.head == 0;
}

export function length(q: WaitQueue): i32 {
  let n = 0;
  for (let it = q.head; it != 0; it = changetype<Task>(it).waitNext) n++;
  return n;
}

/**
 * Block the running task on `q`, for at most `timeoutTicks` (0: no limit).
 * The caller holds the kernel lock; this releases it, switches away, and
 * returns the wait's result once the task runs again. Inline: the switch (a
 * check point) is made in the caller's frame, so a blocked task's saved
 * state holds no frame of the queue's bookkeeping, which has returned.
 */
// @ts-ignore: decorator
@inline export function waitOn(q: WaitQueue, timeoutTicks: u32): i32 {
  enqueueCurrent(q, timeoutTicks);
  sched.requestSwitch();
  return sched.current.waitResult;
}

/** The running task leaves the ready queue for `q` (and the timing wheel, when timed); the lock is released. */
function enqueueCurrent(q: WaitQueue, timeoutTicks: u32): void {
  const t = sched.current;
  sched.removeReady(t);
  t.taskState = TASK_BLOCKED;
  insert(q, t);
  t.waitResult = WAIT_PENDING;
  if (timeoutTicks > 0) {
    sched.addSleeper(t, time.ticks64 + timeoutTicks);
    t.waitTimed = true;
  }
  recordWait(changetype<usize>(q), changetype<usize>(t), timeoutTicks);
  unlock();
}

/**
 * Wake the first waiter of queue `q` (its address: the queue is reached
 * through its object, which the caller holds, so the hot path keeps no
 * managed temporary on the shadow stack) with `result` (and a handed-over
 * value); the caller holds the lock.
 */
// @ts-ignore: decorator
@inline export function wakeFirst(q: usize, result: i32, value: u64 = 0): Task | null {
  const head = load<usize>(q + HEAD);
  if (head == 0) return null;
  const t = changetype<Task>(head);
  removeFirst(q, t);
  if (t.waitTimed) {
    sched.removeSleeper(t);
    t.waitTimed = false;
  }
  t.waitResult = result;
  t.waitValue = value;
  // A raw word in a control block the collector may have rescanned already (a handler's send during its remark).
  if (value != 0) rawStoreBarrier(<usize>value);
  sched.makeReady(t);
  recordWake(q, head);
  return t;
}

/**
 * After waking `t` (lock released): take the CPU for it if it beats the
 * running task. In a handler the switch happens when the handler returns;
 * returns whether one is needed.
 */
// @ts-ignore: decorator
@inline export function switchFor(t: Task | null): bool {
  if (t == null || !sched.beats(t)) return false;
  sched.requestSwitch();
  return true;
}
