/**
 * Semaphore: binary (max 1) or counting, with FIFO or priority wake-up and
 * direct hand-off.
 *
 * Invariants: 0 <= count <= max; count > 0 implies no waiters (a give with
 * waiters hands the token to the first, leaving count unchanged). A give
 * from a handler that finds the kernel lock held adds to `pendedGives`; the
 * holder applies them as gives, in order, before it lets go (a pended give
 * that finds the count at max is traced as saturated, like any give).
 */
import { Task } from "../task";
import * as time from "../time";
import * as errors from "../errors";
import { lock, unlock, tryLock, pend, applied, Pendable, OP_GIVE } from "../lock";
import { inIsr, refuse, blockingRefused, OUTSIDE_MACHINE, outsideMachine } from "../context";
import * as trace from "../../probe/trace";
import { recordSemGive } from "../../probe/schedrecords";
import { WaitQueue, WakeOrder, KIND_SEMAPHORE, WAIT_OK, waitOn, wakeFirst, switchFor, length } from "./waitqueue";

export class Semaphore extends Pendable {
  private value: u32;
  readonly max: u32;
  private readonly waiters: WaitQueue;

  /** A semaphore holding `initial` tokens (clamped to `max`, itself at least 1). */
  private pendedGives: u32 = 0;

  constructor(max: u32, initial: u32 = 0, order: WakeOrder = WakeOrder.Fifo) {
    super();
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
    if (OUTSIDE_MACHINE) outsideMachine("Semaphore.take", "In a spec use tryTake(). ");
    if (blockingRefused()) return errors.ERR_IN_ISR;
    this.acquire(0, true);
    return errors.OK;
  }

  /** Take a token if one is there now. */
  tryTake(): bool {
    return this.acquire(0, false);
  }

  /** Take a token, waiting at most `ms`. */
  takeTimeout(ms: u32): bool {
    if (OUTSIDE_MACHINE) outsideMachine("Semaphore.takeTimeout", "In a spec use tryTake(). ");
    if (blockingRefused()) return false;
    const ticks = time.timeoutTicks(ms);
    if (ticks < 0) return false;
    return this.acquire(<u32>ticks, true);
  }

  // @ts-ignore: decorator
  @inline private acquire(timeoutTicks: u32, block: bool): bool {
    if (!tryLock()) {
      // A handler's tryTake while the kernel is busy: no token now.
      refuse(errors.ERR_BUSY, <u32>changetype<usize>(this));
      return false;
    }
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

  /**
   * Give a token: to the first waiter, or to the count. False when the count
   * is already at max. From a handler that finds the kernel busy the give is
   * pended (true; a saturation then shows in the trace).
   */
  give(): bool {
    if (!tryLock()) { this.pendGive(); return true; }
    const woken = Semaphore.put(changetype<usize>(this));
    unlock();
    switchFor(woken);
    return !this.saturated;
  }

  tryGive(): bool { return this.give(); }

  /** Give from an interrupt handler: returns whether a switch to a woken task is needed (it happens when the handler returns). */
  // @ts-ignore: decorator
  @inline giveFromIsr(): bool {
    if (!tryLock()) { this.pendGive(); return false; }
    const woken = Semaphore.put(changetype<usize>(this));
    unlock();
    return switchFor(woken);
  }

  private pendGive(): void {
    this.pendedGives++;
    pend(this, <u32>changetype<usize>(this), OP_GIVE);
  }

  applyPended(): void {
    while (this.pendedGives > 0) {
      this.pendedGives--;
      applied(1);
      switchFor(Semaphore.put(changetype<usize>(this)));
    }
  }

  private saturated: bool = false;

  /**
   * The give itself, on the semaphore at `self`; the caller holds the lock.
   * Written on the address (raw loads and stores at the fields' offsets: a
   * managed temporary is spilled to the shadow stack at every use) so that
   * the give, inlined into a handler, keeps nothing there: the caller holds
   * the semaphore, which holds its queue.
   */
  // @ts-ignore: decorator
  @inline private static put(self: usize): Task | null {
    const woken = wakeFirst(load<usize>(self + offsetof<Semaphore>("waiters")), WAIT_OK);
    let saturated = false;
    if (woken == null) {
      const value = load<u32>(self + offsetof<Semaphore>("value"));
      if (value < load<u32>(self + offsetof<Semaphore>("max"))) store<u32>(self + offsetof<Semaphore>("value"), value + 1);
      else saturated = true;
    }
    store<bool>(self + offsetof<Semaphore>("saturated"), saturated);
    recordSemGive(self);
    return woken;
  }
}
