/**
 * Mailbox: counting notifications for a single waiting task (a task
 * notification). notify() adds one; wait() consumes one, blocking while
 * there are none. A second task trying to wait while one already waits is
 * refused (ERR_BUSY).
 */
import { Task } from "../task";
import * as time from "../time";
import * as errors from "../errors";
import { lock, unlock } from "../lock";
import { inIsr, refuse } from "../context";
import * as trace from "../../probe/trace";
import { WaitQueue, WakeOrder, KIND_MAILBOX, WAIT_OK, waitOn, wakeFirst, switchFor, isEmpty } from "./waitqueue";

export class Mailbox {
  private notifications: u32 = 0;
  private readonly waiter: WaitQueue;

  constructor() {
    this.waiter = new WaitQueue(WakeOrder.Fifo, KIND_MAILBOX);
    this.waiter.owner = changetype<usize>(this);
  }

  pending(): u32 { return this.notifications; }

  /** Wait for a notification as long as it takes: 0, ERR_BUSY or ERR_IN_ISR. */
  wait(): i32 {
    return this.receive(0);
  }

  /** Wait at most `ms`. */
  waitTimeout(ms: u32): bool {
    return this.receive(time.ticksForMs(ms)) == errors.OK;
  }

  private receive(timeoutTicks: u32): i32 {
    if (inIsr()) return refuse(errors.ERR_IN_ISR, <u32>changetype<usize>(this));
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
    switchFor(this.post());
  }

  /** Notify from a handler: whether a switch to the woken task is needed. */
  notifyFromIsr(): bool {
    return switchFor(this.post());
  }

  private post(): Task | null {
    lock();
    const woken = wakeFirst(this.waiter, WAIT_OK); // the notification is handed over
    if (woken == null) this.notifications++;
    trace.emitHere(trace.EV_NOTIFY, <u32>changetype<usize>(this), this.notifications);
    unlock();
    return woken;
  }
}
