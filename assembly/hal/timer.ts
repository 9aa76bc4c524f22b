/**
 * Timer helpers for TIM2..TIM5 as periodic time bases: CK_CNT = timer clock
 * / (PSC + 1), an update every (ARR + 1) counts.
 */
import * as bus from "../mcu/bus";
import * as errors from "../kernel/errors";
import { refuse } from "../kernel/context";
import { rcc } from "./rcc";

export namespace timer {
  export const CR1: u32 = 0x00;
  export const DIER: u32 = 0x0C;
  export const SR: u32 = 0x10;
  export const EGR: u32 = 0x14;
  export const CNT: u32 = 0x24;
  export const PSC: u32 = 0x28;
  export const ARR: u32 = 0x2C;
  export const CR1_CEN: u32 = 1 << 0;
  export const CR1_OPM: u32 = 1 << 3;
  export const CR1_ARPE: u32 = 1 << 7;
  export const DIER_UIE: u32 = 1 << 0;
  export const SR_UIF: u32 = 1 << 0;
  export const EGR_UG: u32 = 1 << 0;

  /** The register block of TIM2..TIM5, 0 for another number. */
  export function base(n: u32): u32 { return n >= 2 && n <= 5 ? 0x40000000 + (n - 2) * 0x400 : 0; }
  export function irqOf(n: u32): i32 { return n == 2 ? 28 : n == 3 ? 29 : n == 4 ? 30 : n == 5 ? 50 : -1; }
  /** The counter's input clock (the APB1 timer clock, 84 MHz at the default 168 MHz set-up). */
  export function clockHz(): u32 { return rcc.timerClockHz(); }

  /**
   * Clock timer `n` and start it: CK_CNT = clock / (prescaler + 1), an
   * update every reload + 1 counts. UG loads the prescaler at once (its
   * UIF is cleared); ARR is preloaded (ARPE). 0 or ERR_BAD_ARGUMENT.
   */
  export function start(n: u32, prescaler: u32, reload: u32, onePulse: bool = false): i32 {
    const b = base(n);
    if (b == 0 || prescaler > 0xFFFF || reload == 0 || ((n == 3 || n == 4) && reload > 0xFFFF)) return refuse(errors.ERR_BAD_ARGUMENT, n);
    rcc.enableTimer(n);
    bus.write32(b + CR1, 0);
    bus.write32(b + PSC, prescaler);
    bus.write32(b + ARR, reload);
    bus.write32(b + EGR, EGR_UG);
    bus.write32(b + SR, ~SR_UIF);
    bus.write32(b + CR1, CR1_ARPE | (onePulse ? CR1_OPM : 0) | CR1_CEN);
    return errors.OK;
  }

  export function stop(n: u32): void {
    const addr = base(n) + CR1;
    bus.write32(addr, bus.read32(addr) & ~CR1_CEN);
  }

  export function count(n: u32): u32 { return bus.read32(base(n) + CNT); }

  /** The update interrupt (DIER.UIE). */
  export function enableUpdateInterrupt(n: u32, on: bool = true): void {
    const addr = base(n) + DIER;
    const v = bus.read32(addr);
    bus.write32(addr, on ? v | DIER_UIE : v & ~DIER_UIE);
  }

  export function updatePending(n: u32): bool { return (bus.read32(base(n) + SR) & SR_UIF) != 0; }
  /** Clear UIF (SR bits are cleared by writing 0). */
  export function clearUpdate(n: u32): void { bus.write32(base(n) + SR, ~SR_UIF); }
}
