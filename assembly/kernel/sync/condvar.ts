/**
 * CondVar: wait(mutex) releases the mutex and blocks until notified, then
 * locks the mutex again before returning. Waiters are woken FIFO.
 *
 * Invariants: a notify from a handler that finds the kernel lock held is
 * pended (a count of notifyOne, a flag for notifyAll) and applied by the
 * holder before it lets go; a pended notifyAll wakes every waiter, which
 * covers any notifyOne pended with it (no task can start waiting between
 * them: waiting needs the lock).
 */
import * as time from "../time";
import * as errors from "../errors";
import { lock, unlock, tryLock, pend, applied, Pendable, OP_NOTIFY, OP_NOTIFY_ALL } from "../lock";
import { inIsr, refuse, blockingRefused, OUTSIDE_MACHINE, outsideMachine } from "../context";
import * as trace from "../../probe/trace";
import { WaitQueue, WakeOrder, KIND_CONDVAR, WAIT_OK, waitOn, wakeFirst, switchFor } from "./waitqueue";
import { Mutex } from "./mutex";
import { Task } from "../task";

export class CondVar extends Pendable {
  private readonly waiters: WaitQueue;
  private pendedOne: u32 = 0;
  private pendedAll: bool = false;

  constructor() {
    super();
    this.waiters = new WaitQueue(WakeOrder.Fifo, KIND_CONDVAR);
    this.waiters.owner = changetype<usize>(this);
  }

  /** Release `m`, wait for a notification, lock `m` again. 0 or an error code (the mutex's). */
  wait(m: Mutex): i32 {
    if (OUTSIDE_MACHINE) outsideMachine("CondVar.wait", "");
    return this.block(m, 0) ? errors.OK : errors.ERR_TIMEOUT;
  }

  /** As wait(), giving up after `ms`; `m` is locked again either way. */
  waitTimeout(m: Mutex, ms: u32): bool {
    if (OUTSIDE_MACHINE) outsideMachine("CondVar.waitTimeout", "");
    const ticks = time.timeoutTicks(ms);
    if (ticks < 0) return false;
    return this.block(m, <u32>ticks);
  }

  private block(m: Mutex, timeoutTicks: u32): bool {
    if (blockingRefused()) return false;
    // Hold the kernel lock from the unlock to the wait, so no notification falls in between.
    lock();
    const unlocked = m.unlock();
    if (unlocked != errors.OK) { unlock(); return false; } // not ours: refused and traced by the mutex
    const notified = waitOn(this.waiters, timeoutTicks) == WAIT_OK;
    m.lock();
    return notified;
  }

  notifyOne(): void {
    if (!tryLock()) {
      this.pendedOne++;
      pend(this, <u32>changetype<usize>(this), OP_NOTIFY);
      return;
    }
    this.wakeOne();
    unlock();
  }

  notifyAll(): void {
    if (!tryLock()) {
      this.pendedAll = true;
      pend(this, <u32>changetype<usize>(this), OP_NOTIFY_ALL);
      return;
    }
    this.wakeAll();
    unlock();
  }

  applyPended(): void {
    if (this.pendedAll) {
      this.pendedAll = false;
      applied(this.pendedOne + 1);
      this.pendedOne = 0;
      this.wakeAll();
    }
    while (this.pendedOne > 0) {
      this.pendedOne--;
      applied(1);
      this.wakeOne();
    }
  }

  private wakeOne(): void {
    const woken = wakeFirst(changetype<usize>(this.waiters), WAIT_OK);
    trace.emitHere(trace.EV_NOTIFY, <u32>changetype<usize>(this), woken == null ? 0 : 1);
    switchFor(woken);
  }

  private wakeAll(): void {
    let count: u32 = 0;
    let best: Task | null = null;
    while (true) {
      const woken = wakeFirst(changetype<usize>(this.waiters), WAIT_OK);
      if (woken == null) break;
      if (best == null || woken.priority < best.priority) best = woken;
      count++;
    }
    trace.emitHere(trace.EV_NOTIFY, <u32>changetype<usize>(this), count);
    switchFor(best);
  }
}
