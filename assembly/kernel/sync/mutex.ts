/**
 * Mutex: one owner, no recursion, FIFO hand-off (or priority order), and
 * priority inheritance through chains of mutexes.
 *
 * Invariants (under the kernel lock, lock.ts; handlers never operate on a
 * mutex, so nothing is ever pended on one):
 *  - owner == 0 <=> unlocked; a mutex with waiters always has an owner.
 *  - Each owned mutex is on its owner's held list (Task.heldMutexes, linked
 *    through nextHeld).
 *  - An owner's effective priority is the highest of its base priority and
 *    the priorities of the tasks waiting on the mutexes it holds; a waiter
 *    blocked on a mutex whose owner is itself blocked on another mutex
 *    raises that second owner too (the chain is followed to its end).
 *  - A mutex whose owner panics is released and marked poisoned: the next
 *    lock succeeds but says so (POISONED) until clearPoison().
 */
import { Task, TASK_BLOCKED } from "../task";
import * as sched from "../sched";
import * as time from "../time";
import * as errors from "../errors";
import { lock, unlock } from "../lock";
import { inIsr, refuse, blockingRefused, OUTSIDE_MACHINE, outsideMachine } from "../context";
import * as trace from "../../probe/trace";
import { WaitQueue, WakeOrder, KIND_MUTEX, WAIT_OK, waitOn, wakeFirst, first } from "./waitqueue";

/** lock() acquired the mutex, but its previous owner panicked while holding it. */
export const POISONED: i32 = 1;
const MAX_CHAIN: i32 = 16;

export class Mutex {
  owner: usize = 0;
  /** The next mutex its owner holds: a traced reference, so every held mutex stays alive (the first is rooted by the owner's control block). */
  nextHeld: Mutex | null = null;
  poisoned: bool = false;
  readonly waiters: WaitQueue;

  /** `inheritance` off gives a plain mutex (to show priority inversion, or as a baseline). */
  constructor(order: WakeOrder = WakeOrder.Fifo, public readonly inheritance: bool = true) {
    this.waiters = new WaitQueue(order, KIND_MUTEX);
    this.waiters.owner = changetype<usize>(this);
  }

  /** The owner's task id, or -1 when unlocked. */
  ownerId(): i32 { return this.owner == 0 ? -1 : <i32>changetype<Task>(this.owner).id; }

  /** Lock, waiting as long as it takes: OK, POISONED, ERR_RECURSIVE_LOCK or ERR_IN_ISR. */
  lock(): i32 {
    if (OUTSIDE_MACHINE) outsideMachine("Mutex.lock", "In a spec use tryLock(). ");
    return this.acquire(0, true);
  }

  /** Lock if free now. */
  tryLock(): bool {
    return this.acquire(0, false) >= 0;
  }

  /** Lock, waiting at most `ms`. */
  lockTimeout(ms: u32): bool {
    if (OUTSIDE_MACHINE) outsideMachine("Mutex.lockTimeout", "In a spec use tryLock(). ");
    const ticks = time.timeoutTicks(ms);
    if (ticks < 0) return false;
    return this.acquire(<u32>ticks, true) >= 0;
  }

  isLocked(): bool { return this.owner != 0; }

  /** Whether a task panicked while holding it (lock() then returns POISONED) since the last clearPoison(). */
  isPoisoned(): bool { return this.poisoned; }

  clearPoison(): void { this.poisoned = false; }

  private acquire(timeoutTicks: u32, block: bool): i32 {
    const self = changetype<usize>(this);
    if (block ? blockingRefused() : inIsr()) return refuse(errors.ERR_IN_ISR, <u32>self);
    lock();
    const t = sched.current;
    if (this.owner == 0) {
      take(this, t);
      const code = this.poisoned ? POISONED : errors.OK;
      trace.emit(trace.EV_MUTEX_LOCK, t.id, <u32>self, <u32>code);
      unlock();
      return code;
    }
    if (this.owner == changetype<usize>(t)) {
      unlock();
      return refuse(errors.ERR_RECURSIVE_LOCK, <u32>self);
    }
    if (!block) {
      trace.emit(trace.EV_MUTEX_LOCK, t.id, <u32>self, <u32>errors.ERR_WOULD_BLOCK);
      unlock();
      return errors.ERR_WOULD_BLOCK;
    }
    if (this.inheritance) inherit(this, t.priority);
    if (waitOn(this.waiters, timeoutTicks) == WAIT_OK) {
      // unlock() made us the owner before waking us.
      return this.poisoned ? POISONED : errors.OK;
    }
    // Timed out: the owner no longer needs our priority.
    lock();
    if (this.owner != 0) restore(changetype<Task>(this.owner));
    trace.emit(trace.EV_MUTEX_LOCK, t.id, <u32>self, <u32>errors.ERR_TIMEOUT);
    unlock();
    return errors.ERR_TIMEOUT;
  }

  /** Unlock: OK, ERR_NOT_LOCKED, ERR_NOT_OWNER or ERR_IN_ISR. The first waiter becomes the owner. */
  unlock(): i32 {
    const self = changetype<usize>(this);
    if (inIsr()) return refuse(errors.ERR_IN_ISR, <u32>self);
    lock();
    const t = sched.current;
    if (this.owner == 0) { unlock(); return refuse(errors.ERR_NOT_LOCKED, <u32>self); }
    if (this.owner != changetype<usize>(t)) { unlock(); return refuse(errors.ERR_NOT_OWNER, <u32>self); }
    const next = handOff(this);
    restore(t);
    trace.emit(trace.EV_MUTEX_UNLOCK, t.id, <u32>self, 0, next == null ? 0xFFFF : next.id);
    const yieldNow = sched.higherReady();
    unlock();
    if (yieldNow) sched.requestSwitch();
    return errors.OK;
  }
}

function take(m: Mutex, t: Task): void {
  m.owner = changetype<usize>(t);
  m.nextHeld = changetype<Mutex | null>(t.heldMutexes);
  t.heldMutexes = changetype<usize>(m);
}

function dropHeld(m: Mutex, t: Task): void {
  const self = changetype<usize>(m);
  if (t.heldMutexes == self) { t.heldMutexes = changetype<usize>(m.nextHeld); m.nextHeld = null; return; }
  let it = t.heldMutexes;
  while (it != 0) {
    const held = changetype<Mutex>(it);
    if (changetype<usize>(held.nextHeld) == self) { held.nextHeld = m.nextHeld; m.nextHeld = null; return; }
    it = changetype<usize>(held.nextHeld);
  }
}

/** Give `m` to its first waiter (or free it); the caller holds the lock and owned it. */
function handOff(m: Mutex): Task | null {
  dropHeld(m, changetype<Task>(m.owner));
  m.owner = 0;
  const next = first(m.waiters);
  if (next == null) return null;
  take(m, next);
  wakeFirst(changetype<usize>(m.waiters), WAIT_OK);
  // The new owner inherits from those still waiting.
  const waiting = first(m.waiters);
  if (waiting != null && m.inheritance) inherit(m, waiting.priority);
  return next;
}

/** Raise the owner of `m` (and the owners down the chain) to priority `p`. */
function inherit(m: Mutex, p: u8): void {
  let mutex = m;
  for (let depth = 0; depth < MAX_CHAIN && mutex.owner != 0; depth++) {
    const owner = changetype<Task>(mutex.owner);
    if (!mutex.inheritance || owner.priority <= p) return;
    const old = owner.priority;
    sched.setEffectivePriority(owner, p);
    trace.emit(trace.EV_INHERIT, owner.id, <u32>changetype<usize>(mutex), <u32>p, <u32>old);
    // Follow the chain: is the owner itself waiting for a mutex?
    if (owner.taskState != TASK_BLOCKED || owner.waitQueue == 0) return;
    const q = changetype<WaitQueue>(owner.waitQueue);
    if (q.kind != KIND_MUTEX) return;
    mutex = changetype<Mutex>(q.owner);
  }
}

/** Back to the highest of the base priority and what the task's mutexes' waiters need. */
function restore(t: Task): void {
  let p = t.basePriority;
  let it = t.heldMutexes;
  while (it != 0) {
    const held = changetype<Mutex>(it);
    const w = first(held.waiters);
    if (held.inheritance && w != null && w.priority < p) p = w.priority;
    it = changetype<usize>(held.nextHeld);
  }
  if (p != t.priority) sched.setEffectivePriority(t, p);
}

/** A task died: release what it held, poisoned. The caller holds the lock. */
export function releaseAll(t: Task): void {
  while (t.heldMutexes != 0) {
    const m = changetype<Mutex>(t.heldMutexes);
    m.poisoned = true;
    handOff(m);
    trace.emit(trace.EV_MUTEX_UNLOCK, t.id, <u32>changetype<usize>(m), <u32>POISONED, 0xFFFF);
  }
}
