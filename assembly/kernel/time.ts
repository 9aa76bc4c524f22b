/**
 * Kernel time: the tick, sleeping, and conversions.
 *
 * The tick counts SysTick interrupts; a 32-bit tick wraps and all
 * `ticks64` never wraps and the timing wheel (sched.ts) files sleepers by it,
 * so a sleep crossing the 32-bit wrap, and any sleep up to 2^32 - 1 ticks,
 * lasts exactly its length. `sleepTicks(n)` wakes at tick now + n (n >= 1),
 * the FreeRTOS vTaskDelay semantics. A length in ms that does not fit in
 * 2^32 - 1 ticks is refused with ERR_TOO_LONG (and a trace event), never cut.
 *
 * Invariants: a tick that finds the kernel lock held is pended (a count) and
 * applied by the holder, in order, before the lock is free: no tick is lost.
 */
import * as clock from "../mcu/clock";
import * as bus from "../mcu/bus";
import * as systick from "../mcu/systick";
import * as trace from "../probe/trace";
import * as errors from "./errors";
import * as sched from "./sched";
import { lock, unlock, tryLock, pend, applied, Pendable, OP_TICK } from "./lock";
import { inIsr, refuse, blockingRefused, OUTSIDE_MACHINE, outsideMachine } from "./context";
import * as config from "./config";

export let tickHz: u32 = 1000;
export let ticks: u32 = 0;
/** Ticks since boot, not wrapping. */
export let ticks64: u64 = 0;

/** Ticks of `ms` at the tick rate, rounded up so a sleep never ends early; at least one. May exceed 32 bits. */
export function ticksForMs(ms: u32): u64 {
  const t = (<u64>ms * <u64>tickHz + 999) / 1000;
  return t == 0 ? 1 : t;
}

/** Ticks of a timeout of `ms`, or -1 (refused with ERR_TOO_LONG and traced) when it does not fit in 32 bits. */
export function timeoutTicks(ms: u32): i64 {
  const t = ticksForMs(ms);
  if (t > <u64>u32.MAX_VALUE) {
    refuse(errors.ERR_TOO_LONG, ms);
    return -1;
  }
  return <i64>t;
}

export function msForTicks(t: u64): u64 {
  return t * 1000 / <u64>tickHz;
}

/** Block the calling task for `n` ticks (n = 0 counts as 1). */
export function sleepTicks(n: u32): i32 {
  if (OUTSIDE_MACHINE) outsideMachine("time.sleepTicks", "");
  if (blockingRefused()) return errors.ERR_IN_ISR;
  fileSleeper(n);
  // The switch (a check point): the task sleeps here, and only this frame and its callers'
  // are its saved state: the bookkeeping has returned.
  sched.requestSwitch();
  return errors.OK;
}

/** Block for `ms`; ERR_TOO_LONG (traced) if that many ms do not fit in 2^32 - 1 ticks. */
export function sleepMs(ms: u32): i32 {
  if (OUTSIDE_MACHINE) outsideMachine("time.sleepMs", "");
  if (blockingRefused()) return errors.ERR_IN_ISR;
  const n = timeoutTicks(ms);
  if (n < 0) return errors.ERR_TOO_LONG;
  fileSleeper(<u32>n);
  sched.requestSwitch(); // it sleeps here, as in sleepTicks
  return errors.OK;
}

/** The calling task leaves the ready queue for the timing wheel, to wake `n` ticks from now (0 counts as 1). */
function fileSleeper(n: u32): void {
  if (n == 0) n = 1;
  lock();
  const t = sched.current;
  sched.removeReady(t);
  sched.addSleeper(t, ticks64 + n);
  trace.emit(trace.EV_TASK_BLOCK, t.id, 1, ticks + n);
  unlock();
}

/** Ticks that found the kernel lock held, applied by the holder. */
class PendedTicks extends Pendable {
  count: u32 = 0;
  applyPended(): void {
    while (this.count > 0) {
      this.count--;
      applied(1);
      tick();
    }
  }
}
const pendedTicks = new PendedTicks();

/** One tick: wake due sleepers and timeouts, account the running task's slice. Whether a switch is needed. */
function tick(): bool {
  if (!tryLock()) {
    pendedTicks.count++;
    pend(pendedTicks, 0, OP_TICK);
    return false;
  }
  ticks++;
  ticks64++;
  trace.emit(trace.EV_TICK, 0, ticks);
  let preempt = sched.wakeDue(ticks64);
  if (sched.tickSlice()) preempt = true;
  unlock();
  if (preempt) sched.requestSwitch();
  return preempt;
}

/** The SysTick handler (also taken for the host's external ticks). */
export function onSysTick(): void {
  tick();
}

/** An external tick from an application ISR (a timer, say). Ignored, and traced, when SysTick drives time. */
export function tickFromIsr(): bool {
  if (config.tickSource != config.TickSource.External) {
    trace.emit(trace.EV_TICK_IGNORED, 0, 1);
    return false;
  }
  return tick();
}

export function setTickHz(hz: u32): void {
  tickHz = hz == 0 ? 1000 : hz;
}

/**
 * Start the tick count at `value` (tests of the wrap): the 64-bit count the
 * timing wheel uses starts there too, so a sleep across the 32-bit wrap also
 * crosses every level of the wheel at once.
 */
export function setStartTick(value: u32): void {
  ticks = value;
  ticks64 = <u64>value;
}

/** Program SysTick for `hz` ticks per second from the core clock. */
export function startTick(hz: u32): void {
  tickHz = hz;
  const reload = clock.sysclkHz / hz - 1;
  bus.write32(systick.BASE + systick.LOAD, reload);
  bus.write32(systick.BASE + systick.VAL, 0);
  bus.write32(systick.BASE + systick.CTRL, systick.CTRL_ENABLE | systick.CTRL_TICKINT | systick.CTRL_CLKSOURCE);
}
