/**
 * Kernel time: the tick, sleeping, and conversions.
 *
 * The tick counts SysTick interrupts; a 32-bit tick wraps and all
 * comparisons use the signed difference, so a sleep crossing the wrap lasts
 * exactly its length. `sleepTicks(n)` wakes at tick now + n (n >= 1), the
 * FreeRTOS vTaskDelay semantics.
 */
import * as clock from "../mcu/clock";
import * as bus from "../mcu/bus";
import * as systick from "../mcu/systick";
import * as trace from "../probe/trace";
import * as errors from "./errors";
import * as sched from "./sched";
import { lock, unlock } from "./lock";
import { inIsr, refuse } from "./context";
import * as config from "./config";

export let tickHz: u32 = 1000;
export let ticks: u32 = 0;
/** Ticks since boot, not wrapping. */
export let ticks64: u64 = 0;

export function ticksForMs(ms: u32): u32 {
  // Round up so a sleep never ends early; at least one tick.
  const t = <u32>((<u64>ms * <u64>tickHz + 999) / 1000);
  return t == 0 ? 1 : t;
}

export function msForTicks(t: u64): u64 {
  return t * 1000 / <u64>tickHz;
}

/** Block the calling task for `n` ticks (n = 0 counts as 1). */
export function sleepTicks(n: u32): i32 {
  if (inIsr()) return refuse(errors.ERR_IN_ISR);
  if (n == 0) n = 1;
  lock();
  const t = sched.current;
  sched.removeReady(t);
  sched.addSleeper(t, ticks + n, ticks);
  trace.emit(trace.EV_TASK_BLOCK, t.id, 1, ticks + n);
  unlock();
  sched.requestSwitch();
  return errors.OK;
}

export function sleepMs(ms: u32): i32 {
  return sleepTicks(ticksForMs(ms));
}

/** One tick: wake due sleepers and timeouts, account the running task's slice. Whether a switch is needed. */
function tick(): bool {
  lock();
  ticks++;
  ticks64++;
  trace.emit(trace.EV_TICK, 0, ticks);
  let preempt = sched.wakeDue(ticks);
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

export function setStartTick(value: u32): void {
  ticks = value;
}

/** Program SysTick for `hz` ticks per second from the core clock. */
export function startTick(hz: u32): void {
  tickHz = hz;
  const reload = clock.sysclkHz / hz - 1;
  bus.write32(systick.BASE + systick.LOAD, reload);
  bus.write32(systick.BASE + systick.VAL, 0);
  bus.write32(systick.BASE + systick.CTRL, systick.CTRL_ENABLE | systick.CTRL_TICKINT | systick.CTRL_CLKSOURCE);
}
