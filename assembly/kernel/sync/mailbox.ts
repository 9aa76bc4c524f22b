/**
 * Mailbox: counting notifications for a single waiting task (a task
 * notification). notify() adds one; wait() consumes one, blocking while
 * there are none. A second task trying to wait while one already waits is
 * refused (ERR_BUSY).
 *
 * Invariants: notifications > 0 implies no waiter. A notify from a handler
 * that finds the kernel lock held adds to `pendedNotifies`, applied by the
 * holder as notifies, in order, before it lets go.
 */
import { Task } from "../task";
import * as time from "../time";
import * as errors from "../errors";
import { lock, unlock, tryLock, pend, applied, Pendable, OP_NOTIFY } from "../lock";
import { inIsr, refuse, blockingRefused, OUTSIDE_MACHINE, outsideMachine } from "../context";
import * as trace from "../../probe/trace";
import { WaitQueue, WakeOrder, KIND_MAILBOX, WAIT_OK, waitOn, wakeFirst, switchFor, isEmpty } from "./waitqueue";

export class Mailbox extends Pendable {
  private notifications: u32 = 0;
  private pendedNotifies: u32 = 0;
  private readonly waiter: WaitQueue;

  constructor() {
    super();
    this.waiter = new WaitQueue(WakeOrder.Fifo, KIND_MAILBOX);
    this.waiter.owner = changetype<usize>(this);
  }

  pending(): u32 { return this.notifications; }

  /** Wait for a notification as long as it takes: 0, ERR_BUSY or ERR_IN_ISR. */
  wait(): i32 {
    if (OUTSIDE_MACHINE) outsideMachine("Mailbox.wait", "In a spec read pending(). ");
    return this.receive(0);
  }

  /** Wait at most `ms`. */
  waitTimeout(ms: u32): bool {
    if (OUTSIDE_MACHINE) outsideMachine("Mailbox.waitTimeout", "In a spec read pending(). ");
    const ticks = time.timeoutTicks(ms);
    if (ticks < 0) return false;
    return this.receive(<u32>ticks) == errors.OK;
  }

  private receive(timeoutTicks: u32): i32 {
    if (blockingRefused()) return errors.ERR_IN_ISR;
    lock();
    if (this.notifications > 0) {
      this.notifications--;
      unlock();
      return errors.OK;
    }
    if (!isEmpty(this.waiter)) {
      unlock();
      return refuse(errors.ERR_BUSY, <u32>changetype<usize>(this));
    }
    return waitOn(this.waiter, timeoutTicks) == WAIT_OK ? errors.OK : errors.ERR_TIMEOUT;
  }

  notify(): void {
    this.notifyFromIsr();
  }

  /** Notify from a handler: whether a switch to the woken task is needed (false when pended). */
  notifyFromIsr(): bool {
    if (!tryLock()) {
      this.pendedNotifies++;
      pend(this, <u32>changetype<usize>(this), OP_NOTIFY);
      return false;
    }
    const woken = this.post();
    unlock();
    return switchFor(woken);
  }

  applyPended(): void {
    while (this.pendedNotifies > 0) {
      this.pendedNotifies--;
      applied(1);
      switchFor(this.post());
    }
  }

  /** The notify itself; the caller holds the lock. */
  private post(): Task | null {
    const woken = wakeFirst(changetype<usize>(this.waiter), WAIT_OK); // the notification is handed over
    if (woken == null) this.notifications++;
    trace.emitHere(trace.EV_NOTIFY, <u32>changetype<usize>(this), this.notifications);
    return woken;
  }
}
