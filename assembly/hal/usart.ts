/**
 * USART helpers for USART1, USART2 and USART6 (asynchronous, 8N1):
 * configure the baud rate from the bus clock, send (polling TXE), receive
 * (polling or from the RXNE interrupt).
 */
import * as bus from "../mcu/bus";
import * as errors from "../kernel/errors";
import { refuse } from "../kernel/context";
import { rcc } from "./rcc";

export namespace usart {
  export const USART1_BASE: u32 = 0x40011000;
  export const USART2_BASE: u32 = 0x40004400;
  export const USART6_BASE: u32 = 0x40011400;
  export const SR: u32 = 0x00;
  export const DR: u32 = 0x04;
  export const BRR: u32 = 0x08;
  export const CR1: u32 = 0x0C;
  export const CR2: u32 = 0x10;
  export const CR3: u32 = 0x14;

  export const SR_ORE: u32 = 1 << 3;
  export const SR_RXNE: u32 = 1 << 5;
  export const SR_TC: u32 = 1 << 6;
  export const SR_TXE: u32 = 1 << 7;
  export const CR1_RE: u32 = 1 << 2;
  export const CR1_TE: u32 = 1 << 3;
  export const CR1_RXNEIE: u32 = 1 << 5;
  export const CR1_TCIE: u32 = 1 << 6;
  export const CR1_TXEIE: u32 = 1 << 7;
  export const CR1_UE: u32 = 1 << 13;

  export const IRQ_USART1: i32 = 37;
  export const IRQ_USART2: i32 = 38;
  export const IRQ_USART6: i32 = 71;

  /** The register block of USART `n` (1, 2 or 6), 0 for another number. */
  export function base(n: u32): u32 {
    if (n == 1) return USART1_BASE;
    if (n == 2) return USART2_BASE;
    if (n == 6) return USART6_BASE;
    return 0;
  }

  export function irqOf(n: u32): i32 { return n == 1 ? IRQ_USART1 : n == 2 ? IRQ_USART2 : n == 6 ? IRQ_USART6 : -1; }

  /** BRR for `baud` from a `pclkHz` bus clock, oversampling by 16: USARTDIV x 16 = pclk / baud, rounded. */
  export function brrFor(pclkHz: u32, baud: u32): u32 { return (pclkHz + baud / 2) / baud; }

  /** Clock USART `n`, set `baud` (8N1, oversampling by 16), enable transmitter and receiver. */
  export function configure(n: u32, baud: u32): i32 {
    const b = base(n);
    if (b == 0 || baud == 0) return refuse(errors.ERR_BAD_ARGUMENT, n);
    rcc.enableUsart(n);
    const pclk = n == 2 ? rcc.pclk1Hz() : rcc.pclk2Hz();
    bus.write32(b + CR1, 0);
    bus.write32(b + BRR, brrFor(pclk, baud));
    bus.write32(b + CR1, CR1_UE | CR1_TE | CR1_RE);
    return errors.OK;
  }

  /** Send one byte: wait for TXE, write DR. */
  export function write(n: u32, byte: u32): void {
    const b = base(n);
    while ((bus.read32(b + SR) & SR_TXE) == 0) {}
    bus.write32(b + DR, byte & 0xFF);
  }

  /** Send a string's characters (the low byte of each UTF-16 unit). */
  export function print(n: u32, s: string): void {
    for (let i = 0; i < s.length; i++) write(n, <u32>s.charCodeAt(i));
  }

  /** Wait until the last frame has left the shift register (TC). */
  export function flush(n: u32): void {
    const b = base(n);
    while ((bus.read32(b + SR) & SR_TC) == 0) {}
  }

  /** Whether a received byte waits in DR. */
  export function readable(n: u32): bool { return (bus.read32(base(n) + SR) & SR_RXNE) != 0; }

  /** The received byte, or -1 if none waits (reading SR then DR also clears an overrun). */
  export function read(n: u32): i32 {
    const b = base(n);
    if ((bus.read32(b + SR) & SR_RXNE) == 0) return -1;
    return <i32>(bus.read32(b + DR) & 0xFF);
  }

  /** Whether bytes were lost since the last read (SR.ORE). */
  export function overrun(n: u32): bool { return (bus.read32(base(n) + SR) & SR_ORE) != 0; }

  function setCr1(n: u32, bit: u32, on: bool): void {
    const addr = base(n) + CR1;
    const v = bus.read32(addr);
    bus.write32(addr, on ? v | bit : v & ~bit);
  }

  /** The RXNE (and overrun) interrupt. */
  export function enableRxInterrupt(n: u32, on: bool = true): void { setCr1(n, CR1_RXNEIE, on); }
  /** The TXE interrupt (TDR empty). */
  export function enableTxInterrupt(n: u32, on: bool = true): void { setCr1(n, CR1_TXEIE, on); }
}
