/**
 * DWT cycle counter (ARMv7-M ARM C1.8) and the DEMCR enable it needs.
 * CYCCNT counts processor cycles while DEMCR.TRCENA and DWT_CTRL.CYCCNTENA
 * are set, wrapping at 32 bits; it is derived from the cycle clock.
 */
import * as clock from "./clock";

export const BASE: u32 = 0xE0001000;
export const CTRL: u32 = 0x00;
export const CYCCNT: u32 = 0x04;
export const DEMCR_ADDR: u32 = 0xE000EDFC;
export const CTRL_CYCCNTENA: u32 = 1 << 0;
export const DEMCR_TRCENA: u32 = 1 << 24;
/** DWT_CTRL reset value: NUMCOMP = 4 comparators (bits 31:28). */
export const CTRL_RESET: u32 = 0x4000_0000;

let ctrl: u32 = CTRL_RESET;
let demcr: u32 = 0;
let frozen: u32 = 0;
let base: i64 = 0;

export function reset(): void {
  ctrl = CTRL_RESET;
  demcr = 0;
  frozen = 0;
  base = 0;
}

function counting(): bool {
  return (ctrl & CTRL_CYCCNTENA) != 0 && (demcr & DEMCR_TRCENA) != 0;
}

function cyccnt(): u32 {
  return counting() ? <u32>(clock.now() - base) : frozen;
}

function setCounting(before: bool): void {
  const after = counting();
  if (before && !after) frozen = <u32>(clock.now() - base);
  else if (!before && after) base = clock.now() - <i64>frozen;
}

export function read(offset: u32): u32 {
  if (offset == CTRL) return ctrl;
  if (offset == CYCCNT) return cyccnt();
  return 0;
}

export function write(offset: u32, value: u32): void {
  const before = counting();
  if (offset == CTRL) {
    ctrl = (ctrl & 0xF000_0000) | (value & 0x0FFF_FFFF);
    setCounting(before);
  } else if (offset == CYCCNT) {
    frozen = value;
    base = clock.now() - <i64>value;
  }
}

export function readDemcr(): u32 { return demcr; }

export function writeDemcr(value: u32): void {
  const before = counting();
  demcr = value;
  setCounting(before);
}
