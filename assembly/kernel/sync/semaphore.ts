/**
 * Semaphore: binary (max 1) or counting, with FIFO or priority wake-up and
 * direct hand-off.
 *
 * Invariants: 0 <= count <= max; count > 0 implies no waiters (a give with
 * waiters hands the token to the first, leaving count unchanged).
 */
import { Task } from "../task";
import * as time from "../time";
import * as errors from "../errors";
import { lock, unlock } from "../lock";
import { inIsr, refuse } from "../context";
import * as trace from "../../probe/trace";
import { WaitQueue, WakeOrder, KIND_SEMAPHORE, WAIT_OK, waitOn, wakeFirst, switchFor, length } from "./waitqueue";

export class Semaphore {
  private value: u32;
  readonly max: u32;
  private readonly waiters: WaitQueue;

  /** A semaphore holding `initial` tokens (clamped to `max`, itself at least 1). */
  constructor(max: u32, initial: u32 = 0, order: WakeOrder = WakeOrder.Fifo) {
    const limit: u32 = max == 0 ? 1 : max;
    this.max = limit;
    this.value = initial > limit ? limit : initial;
    this.waiters = new WaitQueue(order, KIND_SEMAPHORE);
    this.waiters.owner = changetype<usize>(this);
  }

  count(): u32 { return this.value; }

  /** Tasks blocked in take(). */
  waiting(): i32 { return length(this.waiters); }

  /** Take a token, waiting as long as it takes. 0, or ERR_IN_ISR. */
  take(): i32 {
    if (inIsr()) return refuse(errors.ERR_IN_ISR, <u32>changetype<usize>(this));
    this.acquire(0, true);
    return errors.OK;
  }

  /** Take a token if one is there now. */
  tryTake(): bool {
    return this.acquire(0, false);
  }

  /** Take a token, waiting at most `ms`. */
  takeTimeout(ms: u32): bool {
    if (inIsr()) { refuse(errors.ERR_IN_ISR, <u32>changetype<usize>(this)); return false; }
    return this.acquire(time.ticksForMs(ms), true);
  }

  private acquire(timeoutTicks: u32, block: bool): bool {
    lock();
    if (this.value > 0) {
      this.value--;
      trace.emitHere(trace.EV_SEM_TAKE, <u32>changetype<usize>(this), this.value, 0);
      unlock();
      return true;
    }
    if (!block) {
      trace.emitHere(trace.EV_SEM_TAKE, <u32>changetype<usize>(this), 0, 1);
      unlock();
      return false;
    }
    return waitOn(this.waiters, timeoutTicks) == WAIT_OK;
  }

  /** Give a token: to the first waiter, or to the count. False when the count is already at max. */
  give(): bool {
    const woken = this.put();
    switchFor(woken);
    return !this.saturated;
  }

  tryGive(): bool { return this.give(); }

  /** Give from an interrupt handler: returns whether a switch to a woken task is needed (it happens when the handler returns). */
  giveFromIsr(): bool {
    return switchFor(this.put());
  }

  private saturated: bool = false;

  private put(): Task | null {
    lock();
    const woken = wakeFirst(this.waiters, WAIT_OK);
    this.saturated = false;
    if (woken == null) {
      if (this.value < this.max) this.value++;
      else this.saturated = true;
    }
    trace.emitHere(trace.EV_SEM_GIVE, <u32>changetype<usize>(this), this.value, this.saturated ? 1 : 0);
    unlock();
    return woken;
  }
}
