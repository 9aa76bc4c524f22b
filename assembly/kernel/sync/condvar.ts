/**
 * CondVar: wait(mutex) releases the mutex and blocks until notified, then
 * locks the mutex again before returning. Waiters are woken FIFO.
 */
import * as time from "../time";
import * as errors from "../errors";
import { lock, unlock } from "../lock";
import { inIsr, refuse } from "../context";
import * as trace from "../../probe/trace";
import { WaitQueue, WakeOrder, KIND_CONDVAR, WAIT_OK, waitOn, wakeFirst, switchFor } from "./waitqueue";
import { Mutex } from "./mutex";
import { Task } from "../task";

export class CondVar {
  private readonly waiters: WaitQueue;

  constructor() {
    this.waiters = new WaitQueue(WakeOrder.Fifo, KIND_CONDVAR);
    this.waiters.owner = changetype<usize>(this);
  }

  /** Release `m`, wait for a notification, lock `m` again. 0 or an error code (the mutex's). */
  wait(m: Mutex): i32 {
    return this.block(m, 0) ? errors.OK : errors.ERR_TIMEOUT;
  }

  /** As wait(), giving up after `ms`; `m` is locked again either way. */
  waitTimeout(m: Mutex, ms: u32): bool {
    return this.block(m, time.ticksForMs(ms));
  }

  private block(m: Mutex, timeoutTicks: u32): bool {
    if (inIsr()) { refuse(errors.ERR_IN_ISR, <u32>changetype<usize>(this)); return false; }
    // Hold the kernel lock from the unlock to the wait, so no notification falls in between.
    lock();
    const unlocked = m.unlock();
    if (unlocked != errors.OK) { unlock(); return false; } // not ours: refused and traced by the mutex
    const notified = waitOn(this.waiters, timeoutTicks) == WAIT_OK;
    m.lock();
    return notified;
  }

  notifyOne(): void {
    lock();
    const woken = wakeFirst(this.waiters, WAIT_OK);
    trace.emitHere(trace.EV_NOTIFY, <u32>changetype<usize>(this), woken == null ? 0 : 1);
    unlock();
    switchFor(woken);
  }

  notifyAll(): void {
    lock();
    let count: u32 = 0;
    let best: Task | null = null;
    while (true) {
      const woken = wakeFirst(this.waiters, WAIT_OK);
      if (woken == null) break;
      if (best == null || woken.priority < best.priority) best = woken;
      count++;
    }
    trace.emitHere(trace.EV_NOTIFY, <u32>changetype<usize>(this), count);
    unlock();
    switchFor(best);
  }
}
