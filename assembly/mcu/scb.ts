/**
 * System Control Block and NVIC registers (ARMv7-M ARM B3.2, B3.4): the
 * register face of the exception model in nvic.ts.
 */
import * as nvic from "./nvic";
import * as core from "./core";
import * as clock from "./clock";
import * as trace from "../probe/trace";
import { Context, HANDLER_ID_BASE } from "./context";

export const SCB_BASE: u32 = 0xE000ED00;
export const CPUID: u32 = 0x00;
export const ICSR: u32 = 0x04;
export const VTOR: u32 = 0x08;
export const AIRCR: u32 = 0x0C;
export const SCR: u32 = 0x10;
export const CCR: u32 = 0x14;
export const SHPR1: u32 = 0x18;
export const SHPR2: u32 = 0x1C;
export const SHPR3: u32 = 0x20;
export const SHCSR: u32 = 0x24;

/** Cortex-M4 r0p1, as on the STM32F407. */
export const CPUID_VALUE: u32 = 0x410F_C241;
export const CCR_RESET: u32 = 0x0000_0200; // STKALIGN

export const ICSR_VECTACTIVE_MASK: u32 = 0x1FF;
export const ICSR_RETTOBASE: u32 = 1 << 11;
export const ICSR_VECTPENDING_SHIFT: u32 = 12;
export const ICSR_ISRPENDING: u32 = 1 << 22;
export const ICSR_PENDSTCLR: u32 = 1 << 25;
export const ICSR_PENDSTSET: u32 = 1 << 26;
export const ICSR_PENDSVCLR: u32 = 1 << 27;
export const ICSR_PENDSVSET: u32 = 1 << 28;
export const ICSR_NMIPENDSET: u32 = 1 << 31;

export const AIRCR_VECTKEY: u32 = 0x05FA;
export const AIRCR_VECTKEYSTAT: u32 = 0xFA05;

export const NVIC_ISER: u32 = 0xE000E100;
export const NVIC_ICER: u32 = 0xE000E180;
export const NVIC_ISPR: u32 = 0xE000E200;
export const NVIC_ICPR: u32 = 0xE000E280;
export const NVIC_IABR: u32 = 0xE000E300;
export const NVIC_IPR: u32 = 0xE000E400;
export const NVIC_IPR_END: u32 = NVIC_IPR + <u32>nvic.IRQ_LINES;
export const NVIC_STIR: u32 = 0xE000EF00;

let vtor: u32 = 0;
let scr: u32 = 0;
let ccr: u32 = CCR_RESET;
let shcsr: u32 = 0;

export function reset(): void {
  vtor = 0;
  scr = 0;
  ccr = CCR_RESET;
  shcsr = 0;
}

function vectActive(): u32 {
  const ctx = core.current;
  if (ctx == 0) return 0;
  const id = changetype<Context>(ctx).id;
  return id >= HANDLER_ID_BASE ? id - HANDLER_ID_BASE : 0;
}

function readIcsr(): u32 {
  let value = vectActive();
  let active = 0;
  for (let e = 1; e < nvic.EXCEPTIONS; e++) if (nvic.isActive(e)) active++;
  if (active <= 1) value |= ICSR_RETTOBASE;
  value |= (<u32>nvic.highestPending() & 0x1FF) << ICSR_VECTPENDING_SHIFT;
  for (let e = nvic.IRQ_BASE; e < nvic.EXCEPTIONS; e++) {
    if (nvic.isPending(e)) { value |= ICSR_ISRPENDING; break; }
  }
  if (nvic.isPending(nvic.EXC_SYSTICK)) value |= ICSR_PENDSTSET;
  if (nvic.isPending(nvic.EXC_PENDSV)) value |= ICSR_PENDSVSET;
  if (nvic.isPending(nvic.EXC_NMI)) value |= ICSR_NMIPENDSET;
  return value;
}

/**
 * A pend written by the firmware (ICSR, ISPR, STIR): as on silicon, the
 * exception is taken right after the store if it beats what runs: raise()
 * ends the budget, and the transform puts a check point right after every
 * call to the bus's stores, in the code that made it (so no MCU function is
 * on the stack a suspended context saves).
 */
// @ts-ignore: decorator
@inline function pend(exc: i32): void {
  core.raise(exc, 1);
}

// @ts-ignore: decorator
@inline function writeIcsr(value: u32): void {
  if ((value & ICSR_NMIPENDSET) != 0) pend(nvic.EXC_NMI);
  if ((value & ICSR_PENDSVSET) != 0) pend(nvic.EXC_PENDSV);
  else if ((value & ICSR_PENDSVCLR) != 0) nvic.clearPending(nvic.EXC_PENDSV);
  if ((value & ICSR_PENDSTSET) != 0) pend(nvic.EXC_SYSTICK);
  else if ((value & ICSR_PENDSTCLR) != 0) nvic.clearPending(nvic.EXC_SYSTICK);
}

function readShpr(first: i32): u32 {
  let value: u32 = 0;
  for (let i = 0; i < 4; i++) value |= <u32>nvic.getPriority(first + i) << (8 * <u32>i);
  return value;
}

function writeShpr(first: i32, value: u32): void {
  for (let i = 0; i < 4; i++) {
    const exc = first + i;
    // Reserved slots (7-10, 13) read as zero.
    if (exc == nvic.EXC_MEMMANAGE || exc == nvic.EXC_BUSFAULT || exc == nvic.EXC_USAGEFAULT ||
        exc == nvic.EXC_SVCALL || exc == nvic.EXC_DEBUGMON || exc == nvic.EXC_PENDSV || exc == nvic.EXC_SYSTICK) {
      nvic.setPriority(exc, <u8>(value >> (8 * <u32>i)));
    }
  }
  clock.requestCheck();
}

export function readScb(offset: u32): u32 {
  switch (offset) {
    case CPUID: return CPUID_VALUE;
    case ICSR: return readIcsr();
    case VTOR: return vtor;
    case AIRCR: return (AIRCR_VECTKEYSTAT << 16) | (nvic.prigroup() << 8);
    case SCR: return scr;
    case CCR: return ccr;
    case SHPR1: return readShpr(4);
    case SHPR2: return readShpr(8);
    case SHPR3: return readShpr(12);
    case SHCSR: return shcsr;
  }
  return 0;
}

// @ts-ignore: decorator
@inline export function writeScb(offset: u32, value: u32): void {
  switch (offset) {
    case ICSR: writeIcsr(value); break;
    case VTOR: vtor = value & 0xFFFF_FE00; break;
    case AIRCR: {
      // Writes without the key are ignored (B3.2.6).
      if ((value >> 16) == AIRCR_VECTKEY) { nvic.setPrigroup(value >> 8); clock.requestCheck(); }
      break;
    }
    case SCR: scr = value & 0x16; break;
    case CCR: ccr = (value & 0x31B) | CCR_RESET; break;
    case SHPR1: writeShpr(4, value); break;
    case SHPR2: writeShpr(8, value); break;
    case SHPR3: writeShpr(12, value); break;
    case SHCSR: shcsr = value & 0x0007_0000; break;
  }
}

/** NVIC register bank access: ISER/ICER/ISPR/ICPR/IABR words, IPR bytes, STIR. */
export function readNvic(addr: u32): u32 {
  if (addr >= NVIC_IPR && addr < NVIC_IPR + 0x60) {
    let value: u32 = 0;
    const first = <i32>(addr - NVIC_IPR);
    for (let i = 0; i < 4; i++) {
      const irq = first + i;
      if (irq < nvic.IRQ_LINES) value |= <u32>nvic.getPriority(nvic.IRQ_BASE + irq) << (8 * <u32>i);
    }
    return value;
  }
  const bank = addr & ~0x7F;
  const word = <i32>((addr & 0x7F) >> 2);
  let value: u32 = 0;
  for (let bit = 0; bit < 32; bit++) {
    const irq = word * 32 + bit;
    if (irq >= nvic.IRQ_LINES) break;
    const exc = nvic.IRQ_BASE + irq;
    let on = false;
    if (bank == NVIC_ISER || bank == NVIC_ICER) on = nvic.isEnabled(exc);
    else if (bank == NVIC_ISPR || bank == NVIC_ICPR) on = nvic.isPending(exc);
    else if (bank == NVIC_IABR) on = nvic.isActive(exc);
    if (on) value |= 1 << <u32>bit;
  }
  return value;
}

export function writeNvic(addr: u32, value: u32): void {
  if (addr == NVIC_STIR) {
    const irq = <i32>(value & 0x1FF);
    if (irq < nvic.IRQ_LINES) pend(nvic.IRQ_BASE + irq);
    return;
  }
  if (addr >= NVIC_IPR && addr < NVIC_IPR + 0x60) {
    const first = <i32>(addr - NVIC_IPR);
    for (let i = 0; i < 4; i++) {
      const irq = first + i;
      if (irq < nvic.IRQ_LINES) nvic.setPriority(nvic.IRQ_BASE + irq, <u8>(value >> (8 * <u32>i)));
    }
    clock.requestCheck();
    return;
  }
  const bank = addr & ~0x7F;
  const word = <i32>((addr & 0x7F) >> 2);
  let bits = value;
  while (bits != 0) {
    const bit = <i32>ctz(bits);
    bits &= bits - 1;
    const irq = word * 32 + bit;
    if (irq >= nvic.IRQ_LINES) break;
    const exc = nvic.IRQ_BASE + irq;
    if (bank == NVIC_ISER) nvic.setEnabled(exc, true);
    else if (bank == NVIC_ICER) nvic.setEnabled(exc, false);
    else if (bank == NVIC_ISPR) pend(exc);
    else if (bank == NVIC_ICPR) { nvic.clearPending(exc); trace.emit(trace.EV_IRQ_CLEAR, 0, <u32>exc, 1); }
  }
  clock.requestCheck();
}

/** Byte write to an IPR register (the usual way to set one IRQ's priority). */
export function writeNvicByte(addr: u32, value: u8): void {
  const irq = <i32>(addr - NVIC_IPR);
  if (irq >= 0 && irq < nvic.IRQ_LINES) nvic.setPriority(nvic.IRQ_BASE + irq, value);
  clock.requestCheck();
}
