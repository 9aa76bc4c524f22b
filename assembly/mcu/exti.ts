/**
 * EXTI, the external interrupt controller (RM0090 §12.3): 23 lines; lines
 * 0..15 come from the GPIO pins chosen by SYSCFG_EXTICRx (syscfg.ts).
 *
 * Model: a rising (falling) edge on a line whose RTSR (FTSR) bit is set,
 * or a 0 -> 1 write to its SWIER bit, sets its PR bit when IMR unmasks the
 * line (RM0090 figure 41: the mask gates the pending request). PR bits
 * are cleared by writing 1 (which also clears SWIER). Each NVIC line is
 * driven by OR(PR & IMR) over the EXTI lines it serves: EXTI0..4 (IRQ 6..10),
 * EXTI9_5 (23), EXTI15_10 (40), and the internal lines 16 PVD (1), 17
 * RTC alarm (41), 18 OTG FS wake-up (42), 19 Ethernet wake-up (62), 20 OTG
 * HS wake-up (76), 21 tamper/time stamp (2), 22 RTC wake-up (3), which only
 * SWIER can trigger here. EMR (wake-up events) is a plain register: no
 * event consumer is modeled. EXTI has no clock enable; it always responds.
 *
 * Invariants: PR only holds lines whose IMR bit was set when they fired;
 * every NVIC line's level equals OR(PR & IMR) of its group after each change.
 */
import * as syscfg from "./syscfg";
import * as irqline from "./irqline";
import * as trace from "../probe/trace";

export const BASE: u32 = 0x40013C00;
export const SIZE: u32 = 0x400;
export const IMR: u32 = 0x00;
export const EMR: u32 = 0x04;
export const RTSR: u32 = 0x08;
export const FTSR: u32 = 0x0C;
export const SWIER: u32 = 0x10;
export const PR: u32 = 0x14;

export const LINES: i32 = 23;
export const LINE_MASK: u32 = 0x007F_FFFF;

export const IRQ_EXTI0: i32 = 6;      // EXTI1..4: 7..10
export const IRQ_EXTI9_5: i32 = 23;
export const IRQ_EXTI15_10: i32 = 40;

export const EDGE_RISING: u32 = 1;
export const EDGE_FALLING: u32 = 2;
export const EDGE_SOFTWARE: u32 = 3;

let imr: u32 = 0;
let emr: u32 = 0;
let rtsr: u32 = 0;
let ftsr: u32 = 0;
let swier: u32 = 0;
let pr: u32 = 0;

export function reset(): void {
  imr = 0; emr = 0; rtsr = 0; ftsr = 0; swier = 0; pr = 0;
}

/** The NVIC IRQ that serves EXTI line `line`. */
export function irqOf(line: i32): i32 {
  if (line <= 4) return IRQ_EXTI0 + line;
  if (line <= 9) return IRQ_EXTI9_5;
  if (line <= 15) return IRQ_EXTI15_10;
  switch (line) {
    case 16: return 1;
    case 17: return 41;
    case 18: return 42;
    case 19: return 62;
    case 20: return 76;
    case 21: return 2;
  }
  return 3; // 22: RTC wake-up
}

/** Drive the NVIC line that serves `line` from the PR & IMR bits of its group. */
function updateIrq(line: i32, cycle: i64): void {
  let group: u32;
  if (line <= 4 || line >= 16) group = <u32>1 << <u32>line;
  else if (line <= 9) group = 0x3E0;
  else group = 0xFC00;
  irqline.drive(irqOf(line), (pr & imr & group) != 0, cycle);
}

function fire(line: i32, edge: u32, cycle: i64): void {
  const bit: u32 = <u32>1 << <u32>line;
  if ((imr & bit) == 0) return;
  pr |= bit;
  trace.emitAt(cycle, trace.EV_EXTI, 0, <u32>line, edge);
  updateIrq(line, cycle);
}

/** A GPIO pin changed level (gpio.ts): an edge on line `pin` if that port is routed to it. */
export function pinChanged(port: i32, pin: i32, high: bool, cycle: i64): void {
  if (syscfg.source(pin) != port) return;
  const bit: u32 = <u32>1 << <u32>pin;
  if (high) { if ((rtsr & bit) != 0) fire(pin, EDGE_RISING, cycle); }
  else if ((ftsr & bit) != 0) fire(pin, EDGE_FALLING, cycle);
}

export function read(offset: u32): u32 {
  switch (offset) {
    case IMR: return imr;
    case EMR: return emr;
    case RTSR: return rtsr;
    case FTSR: return ftsr;
    case SWIER: return swier;
    case PR: return pr;
  }
  return 0;
}

function updateAll(cycle: i64): void {
  for (let line = 0; line <= 4; line++) updateIrq(line, cycle);
  updateIrq(5, cycle);
  updateIrq(10, cycle);
  for (let line = 16; line < LINES; line++) updateIrq(line, cycle);
}

export function write(offset: u32, value: u32, cycle: i64): void {
  value &= LINE_MASK;
  switch (offset) {
    case IMR: imr = value; updateAll(cycle); break;
    case EMR: emr = value; break;
    case RTSR: rtsr = value; break;
    case FTSR: ftsr = value; break;
    case SWIER: {
      let rising = value & ~swier;
      swier |= value;
      while (rising != 0) {
        const line = <i32>ctz(rising);
        rising &= rising - 1;
        fire(line, EDGE_SOFTWARE, cycle);
      }
      break;
    }
    case PR: {
      pr &= ~value;
      swier &= ~value;
      updateAll(cycle);
      break;
    }
  }
}
