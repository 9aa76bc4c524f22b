/**
 * Channel<T>: a fixed-capacity FIFO queue of values, its storage allocated
 * once in SRAM. Blocked senders and receivers are served FIFO, with direct
 * hand-off: a value sent to a waiting receiver goes straight to it, and a
 * receive that frees a slot moves the first blocked sender's value in.
 *
 * Invariants: 0 <= count <= capacity; receivers wait only while count == 0,
 * senders only while count == capacity.
 *
 * A send from a handler that finds the kernel lock held goes into the pend
 * ring (capacity slots, FIFO) and is applied by the holder before it lets
 * go. It is accepted only if it is sure to fit when applied:
 * count + pended + (1 while a holder is inside an operation on this
 * channel: it may add one value) < capacity; otherwise it fails at once
 * (ISR_FAILED, traced). So an accepted send is never lost, and pended sends
 * keep their order. A receive from a handler that finds the lock held fails
 * at once (ISR_FAILED, traced ERR_BUSY): it cannot wait for the holder.
 */
import { Task } from "../task";
import * as sched from "../sched";
import * as time from "../time";
import * as errors from "../errors";
import { lock, unlock, tryLock, pend, applied, Pendable, OP_SEND } from "../lock";
import { inIsr, refuse, blockingRefused, OUTSIDE_MACHINE, outsideMachine } from "../context";
import * as trace from "../../probe/trace";
import { WaitQueue, WakeOrder, KIND_CHANNEL_SEND, KIND_CHANNEL_RECEIVE, WAIT_OK, waitOn, wakeFirst, switchFor, first, length } from "./waitqueue";

/** Results of the FromIsr calls. */
export const ISR_FAILED: i32 = -1;
export const ISR_DONE: i32 = 0;
export const ISR_DONE_SWITCH: i32 = 1;

// @ts-ignore: decorator
@inline function pack<T>(value: T): u64 {
  const slot = memory.data(8);
  store<u64>(slot, 0);
  store<T>(slot, value);
  return load<u64>(slot);
}

// @ts-ignore: decorator
@inline function unpack<T>(bits: u64): T {
  const slot = memory.data(8);
  store<u64>(slot, bits);
  return load<T>(slot);
}

export class Channel<T> extends Pendable {
  private readonly slots: StaticArray<T>;
  private head: i32 = 0;
  private size: i32 = 0;
  private readonly senders: WaitQueue;
  private readonly receivers: WaitQueue;
  /** The value the last successful tryReceive / receiveTimeout / receiveFromIsr got. */
  received: T;
  /** Sends pended by handlers while the lock was held elsewhere. */
  private readonly pendSlots: StaticArray<T>;
  private pendFirst: i32 = 0;
  private pendCount: i32 = 0;
  /** A holder is inside an operation on this channel (it may add one value). */
  private busy: bool = false;

  constructor(capacity: i32) {
    super();
    if (sizeof<T>() > 8) ERROR("Channel<T>: T must be at most 8 bytes (numbers, bools, references)");
    // First, before `this` is used: a non-nullable T (Channel<string>) has no default value.
    this.received = changetype<T>(0);
    const c = capacity < 1 ? 1 : capacity;
    this.slots = new StaticArray<T>(c);
    this.pendSlots = new StaticArray<T>(c);
    this.senders = new WaitQueue(WakeOrder.Fifo, KIND_CHANNEL_SEND);
    this.receivers = new WaitQueue(WakeOrder.Fifo, KIND_CHANNEL_RECEIVE);
    this.senders.owner = changetype<usize>(this);
    this.receivers.owner = changetype<usize>(this);
  }

  get capacity(): i32 { return this.slots.length; }
  count(): i32 { return this.size; }
  /** Tasks blocked in receive() / send(). */
  receiversWaiting(): i32 { return length(this.receivers); }
  sendersWaiting(): i32 { return length(this.senders); }

  /** Send, waiting for room as long as it takes. 0, or ERR_IN_ISR. */
  send(value: T): i32 {
    if (OUTSIDE_MACHINE) outsideMachine("Channel.send", "In a spec use trySend(). ");
    if (blockingRefused()) return errors.ERR_IN_ISR;
    this.put(value, 0, true);
    return errors.OK;
  }

  trySend(value: T): bool { return this.put(value, 0, false); }

  sendTimeout(value: T, ms: u32): bool {
    if (OUTSIDE_MACHINE) outsideMachine("Channel.sendTimeout", "In a spec use trySend(). ");
    if (blockingRefused()) return false;
    const ticks = time.timeoutTicks(ms);
    if (ticks < 0) return false;
    return this.put(value, <u32>ticks, true);
  }

  /** From a handler: ISR_FAILED (full), ISR_DONE, or ISR_DONE_SWITCH (a woken receiver should run). */
  sendFromIsr(value: T): i32 {
    if (!tryLock()) return this.pendSend(value) ? ISR_DONE : ISR_FAILED;
    this.busy = true;
    const woken = this.deliver(value);
    const ok = woken != null || this.size < this.slots.length;
    if (woken == null && ok) this.push(value);
    this.busy = false;
    this.traceSend(!ok);
    unlock();
    if (!ok) return ISR_FAILED;
    return switchFor(woken) ? ISR_DONE_SWITCH : ISR_DONE;
  }

  /** Receive, waiting as long as it takes. */
  receive(): T {
    if (OUTSIDE_MACHINE) outsideMachine("Channel.receive", "In a spec use tryReceive(). ");
    if (blockingRefused()) return changetype<T>(0);
    this.take(0, true);
    return this.received;
  }

  /** Receive into `received` if a value is there now. */
  tryReceive(): bool { return this.take(0, false); }

  receiveTimeout(ms: u32): bool {
    if (OUTSIDE_MACHINE) outsideMachine("Channel.receiveTimeout", "In a spec use tryReceive(). ");
    if (blockingRefused()) return false;
    const ticks = time.timeoutTicks(ms);
    if (ticks < 0) return false;
    return this.take(<u32>ticks, true);
  }

  /** From a handler, into `received`: ISR_FAILED (empty), ISR_DONE, or ISR_DONE_SWITCH (a woken sender should run). */
  receiveFromIsr(): i32 {
    if (!tryLock()) {
      refuse(errors.ERR_BUSY, <u32>changetype<usize>(this));
      this.traceReceive(true);
      return ISR_FAILED;
    }
    if (this.size == 0) {
      this.traceReceive(true);
      unlock();
      return ISR_FAILED;
    }
    this.busy = true;
    this.received = this.pop();
    const woken = this.admitSender();
    this.busy = false;
    this.traceReceive(false);
    unlock();
    return switchFor(woken) ? ISR_DONE_SWITCH : ISR_DONE;
  }

  /** A send while the lock is held elsewhere (a handler): into the pend ring if it is sure to fit. */
  private pendSend(value: T): bool {
    // Straight-line: the holder cannot change size or busy under us.
    if (this.size + this.pendCount + (this.busy ? 1 : 0) >= this.slots.length) {
      this.traceSend(true);
      return false;
    }
    const n = this.slots.length;
    unchecked(this.pendSlots[(this.pendFirst + this.pendCount) % n] = value);
    this.pendCount++;
    pend(this, <u32>changetype<usize>(this), OP_SEND);
    return true;
  }

  applyPended(): void {
    const n = this.slots.length;
    while (this.pendCount > 0) {
      // The value in flight is covered by `busy` until it is in a slot or handed over.
      this.busy = true;
      const at = this.pendFirst;
      const value = unchecked(this.pendSlots[at]);
      if (isReference<T>()) unchecked(this.pendSlots[at] = changetype<T>(0)); // `value` holds it now (a spilled managed local)
      this.pendFirst = (at + 1) % n;
      this.pendCount--;
      applied(1);
      const woken = this.deliver(value);
      if (woken == null) {
        if (this.size < n) this.push(value);
        else { this.busy = false; this.traceSend(true); continue; } // impossible by the admission rule; traced, never silent
      }
      this.busy = false;
      this.traceSend(false);
      switchFor(woken);
    }
  }

  // Inline, as take: a blocked sender waits in send() itself (waitqueue.ts waitOn).
  // @ts-ignore: decorator
  @inline private put(value: T, timeoutTicks: u32, block: bool): bool {
    if (!tryLock()) return this.pendSend(value); // trySend from a handler
    this.busy = true;
    const woken = this.deliver(value);
    if (woken != null) {
      this.busy = false;
      this.traceSend(false);
      unlock();
      switchFor(woken);
      return true;
    }
    if (this.size < this.slots.length) {
      this.push(value);
      this.busy = false;
      this.traceSend(false);
      unlock();
      return true;
    }
    this.busy = false;
    if (!block) {
      this.traceSend(true);
      unlock();
      return false;
    }
    sched.current.waitValue = pack<T>(value);
    // The receiver that makes room moves our value in before waking us.
    return waitOn(this.senders, timeoutTicks) == WAIT_OK;
  }

  // Inline: a blocked receiver waits in receive() itself, one kernel frame (waitqueue.ts waitOn).
  // @ts-ignore: decorator
  @inline private take(timeoutTicks: u32, block: bool): bool {
    if (!tryLock()) { // tryReceive from a handler
      refuse(errors.ERR_BUSY, <u32>changetype<usize>(this));
      this.traceReceive(true);
      return false;
    }
    if (this.size > 0) {
      this.busy = true;
      this.received = this.pop();
      const woken = this.admitSender();
      this.busy = false;
      this.traceReceive(false);
      unlock();
      switchFor(woken);
      return true;
    }
    if (!block) {
      this.traceReceive(true);
      unlock();
      return false;
    }
    const me = sched.current;
    if (waitOn(this.receivers, timeoutTicks) != WAIT_OK) return false;
    this.received = unpack<T>(me.waitValue);
    return true;
  }

  /** Hand `value` to the first waiting receiver, if any. */
  private deliver(value: T): Task | null {
    return wakeFirst(changetype<usize>(this.receivers), WAIT_OK, pack<T>(value));
  }

  /** After a receive freed a slot: move the first blocked sender's value in and wake it. */
  private admitSender(): Task | null {
    const sender = first(this.senders);
    if (sender == null) return null;
    this.push(unpack<T>(sender.waitValue));
    return wakeFirst(changetype<usize>(this.senders), WAIT_OK);
  }

  private push(value: T): void {
    const n = this.slots.length;
    unchecked(this.slots[(this.head + this.size) % n] = value);
    this.size++;
  }

  private pop(): T {
    const value = unchecked(this.slots[this.head]);
    // A reference left in a free slot would keep its object alive until the slot is reused.
    if (isReference<T>()) unchecked(this.slots[this.head] = changetype<T>(0));
    this.head = (this.head + 1) % this.slots.length;
    this.size--;
    return value;
  }

  private traceSend(failed: bool): void {
    trace.emitHere(trace.EV_CHAN_SEND, <u32>changetype<usize>(this), <u32>this.size, failed ? 1 : 0);
  }

  private traceReceive(failed: bool): void {
    trace.emitHere(trace.EV_CHAN_RECV, <u32>changetype<usize>(this), <u32>this.size, failed ? 1 : 0);
  }
}
