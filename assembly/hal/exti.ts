/**
 * EXTI helpers: route a pin to its EXTI line (SYSCFG_EXTICRx), choose the
 * edges, unmask it; clear and test pending lines from the handler. Attach
 * the handler with irq.attach(exti.irqOf(line), handler, priority) and
 * irq.enable(...), as CMSIS code does with NVIC_EnableIRQ.
 */
import * as bus from "../mcu/bus";
import * as errors from "../kernel/errors";
import { refuse } from "../kernel/context";
import { rcc } from "./rcc";

export namespace exti {
  export const BASE: u32 = 0x40013C00;
  export const IMR: u32 = BASE + 0x00;
  export const EMR: u32 = BASE + 0x04;
  export const RTSR: u32 = BASE + 0x08;
  export const FTSR: u32 = BASE + 0x0C;
  export const SWIER: u32 = BASE + 0x10;
  export const PR: u32 = BASE + 0x14;
  export const SYSCFG_EXTICR1: u32 = 0x40013808;

  export const RISING: u32 = 1;
  export const FALLING: u32 = 2;
  export const BOTH: u32 = 3;

  /** IRQ numbers (RM0090 table 61). */
  export const IRQ_EXTI0: i32 = 6;
  export const IRQ_EXTI1: i32 = 7;
  export const IRQ_EXTI2: i32 = 8;
  export const IRQ_EXTI3: i32 = 9;
  export const IRQ_EXTI4: i32 = 10;
  export const IRQ_EXTI9_5: i32 = 23;
  export const IRQ_EXTI15_10: i32 = 40;

  /** The IRQ that serves GPIO EXTI line 0..15. */
  export function irqOf(line: u32): i32 {
    if (line <= 4) return IRQ_EXTI0 + <i32>line;
    if (line <= 9) return IRQ_EXTI9_5;
    return IRQ_EXTI15_10;
  }

  function setBit(addr: u32, bit: u32, on: bool): void {
    const v = bus.read32(addr);
    bus.write32(addr, on ? v | bit : v & ~bit);
  }

  /**
   * Make pin `p` (port * 16 + n) interrupt on `edges` (RISING, FALLING,
   * BOTH) through EXTI line n: SYSCFG clock and routing, edge selection,
   * a stale pending bit cleared, the line unmasked.
   */
  export function configure(p: u32, edges: u32): i32 {
    if (p >= 9 * 16 || edges == 0 || edges > 3) return refuse(errors.ERR_BAD_ARGUMENT, p);
    const line = p & 15;
    const port = p >> 4;
    rcc.enableSyscfg();
    const cr = SYSCFG_EXTICR1 + (line >> 2) * 4;
    const shift = (line & 3) * 4;
    bus.write32(cr, (bus.read32(cr) & ~(0xF << shift)) | (port << shift));
    const bit: u32 = 1 << line;
    setBit(RTSR, bit, (edges & RISING) != 0);
    setBit(FTSR, bit, (edges & FALLING) != 0);
    bus.write32(PR, bit);
    setBit(IMR, bit, true);
    return errors.OK;
  }

  export function unmask(line: u32): void { setBit(IMR, 1 << line, true); }
  export function mask(line: u32): void { setBit(IMR, 1 << line, false); }
  /** Whether line `line` is pending. */
  export function isPending(line: u32): bool { return (bus.read32(PR) & (1 << line)) != 0; }
  /** All pending lines (PR). */
  export function pendingLines(): u32 { return bus.read32(PR); }
  /** Clear line `line`'s pending bit (write 1). */
  export function clear(line: u32): void { bus.write32(PR, 1 << line); }
  /** A software trigger on line `line` (SWIER). */
  export function trigger(line: u32): void { bus.write32(SWIER, 1 << line); }
}
