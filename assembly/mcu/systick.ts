/**
 * SysTick, the ARMv7-M system timer (ARMv7-M ARM B3.3, PM0214 4.5).
 *
 * A 24-bit down-counter. It counts the processor clock when
 * CTRL.CLKSOURCE = 1, or the STM32F4's external reference HCLK/8 when 0.
 * Reaching 0 from 1 sets COUNTFLAG and, with TICKINT, pends exception 15;
 * the next count reloads LOAD. Writing LOAD does not disturb the running
 * count; writing VAL clears it (and COUNTFLAG). The counter is computed from
 * the cycle clock, so VAL reads back exactly at any cycle and no per-tick
 * work is done between wraps.
 */
import * as clock from "./clock";
import * as nvic from "./nvic";
import * as trace from "../probe/trace";

export const BASE: u32 = 0xE000E010;
export const CTRL: u32 = 0x00;
export const LOAD: u32 = 0x04;
export const VAL: u32 = 0x08;
export const CALIB: u32 = 0x0C;

export const CTRL_ENABLE: u32 = 1 << 0;
export const CTRL_TICKINT: u32 = 1 << 1;
export const CTRL_CLKSOURCE: u32 = 1 << 2;
export const CTRL_COUNTFLAG: u32 = 1 << 16;
/** STM32F4 STK_CALIB: TENMS = 10500 - 1 (1 ms of HCLK/8 at 84 MHz), SKEW set. */
export const CALIB_RESET: u32 = 0x4000_2903;

const ALARM_SYSTICK: u16 = 1; // mirrors core.ALARM_SYSTICK

let ctrl: u32 = 0;
let reload: u32 = 0;
let stoppedValue: u32 = 0;
/** A cycle at which the count was (or would have been) 0. */
let anchor: i64 = 0;
let nextWrap: i64 = 0;

export function reset(): void {
  ctrl = 0;
  reload = 0;
  stoppedValue = 0;
  anchor = 0;
  nextWrap = 0;
  clock.cancel(ALARM_SYSTICK);
}

function divider(): i64 { return (ctrl & CTRL_CLKSOURCE) != 0 ? 1 : 8; }
function enabled(): bool { return (ctrl & CTRL_ENABLE) != 0; }

function period(): i64 { return (<i64>reload + 1) * divider(); }

function currentValue(): u32 {
  if (!enabled() || reload == 0) return stoppedValue;
  const t = clock.now();
  // Still counting down a value above LOAD (LOAD was lowered mid-count).
  if (t < anchor) return <u32>((nextWrap - t + divider() - 1) / divider());
  const counts = ((t - anchor) / divider()) % (<i64>reload + 1);
  return counts == 0 ? 0 : reload + 1 - <u32>counts;
}

/** Start counting down from `value` now. */
function startFrom(value: u32): void {
  clock.cancel(ALARM_SYSTICK);
  if (reload == 0) return; // LOAD = 0 disables the counter on the next count
  const t = clock.now();
  const d = divider();
  nextWrap = value == 0 ? t + period() : t + <i64>value * d;
  anchor = nextWrap - period();
  clock.schedule(nextWrap, ALARM_SYSTICK, 0);
}

/** The alarm at a wrap: COUNTFLAG, the exception, the next wrap. */
export function onWrap(): void {
  ctrl |= CTRL_COUNTFLAG;
  if ((ctrl & CTRL_TICKINT) != 0) {
    nvic.setPending(nvic.EXC_SYSTICK);
    trace.emitAt(nextWrap, trace.EV_IRQ_RAISE, 0, <u32>nvic.EXC_SYSTICK, 1);
  }
  anchor = nextWrap;
  nextWrap += period();
  clock.schedule(nextWrap, ALARM_SYSTICK, 0);
}

export function read(offset: u32): u32 {
  switch (offset) {
    case CTRL: {
      const value = ctrl;
      ctrl &= ~CTRL_COUNTFLAG; // COUNTFLAG clears on read
      return value;
    }
    case LOAD: return reload;
    case VAL: return currentValue();
    case CALIB: return CALIB_RESET;
  }
  return 0;
}

export function write(offset: u32, value: u32): void {
  switch (offset) {
    case CTRL: {
      const was = enabled();
      const value24 = currentValue();
      ctrl = (ctrl & CTRL_COUNTFLAG) | (value & (CTRL_ENABLE | CTRL_TICKINT | CTRL_CLKSOURCE));
      if (enabled() && !was) startFrom(stoppedValue);
      else if (!enabled() && was) { stoppedValue = value24; clock.cancel(ALARM_SYSTICK); }
      else if (enabled()) startFrom(value24); // clock source may have changed
      break;
    }
    case LOAD: {
      const value24 = currentValue();
      reload = value & 0x00FF_FFFF;
      if (enabled()) startFrom(value24);
      break;
    }
    case VAL: {
      ctrl &= ~CTRL_COUNTFLAG;
      stoppedValue = 0;
      if (enabled()) startFrom(0);
      break;
    }
  }
}
