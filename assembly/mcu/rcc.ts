/**
 * RCC, reset and clock control (RM0090 §7.3), plus the flash interface's
 * ACR (§3.9.1), the one flash register clock set-up code writes.
 *
 * Model:
 *  - Clock sources: HSI 16 MHz, HSE 8 MHz (the Discovery's crystal), the
 *    main PLL: f = f_src / PLLM * PLLN / PLLP. An oscillator or the PLL is
 *    ready the moment it is turned on (RDY follows ON; start-up and lock
 *    times are not modeled). PLLM < 2 and PLLN < 2 or > 432, which the
 *    manual calls wrong configurations, keep the PLL from locking (PLLRDY
 *    stays 0). PLLCFGR may only be written with the PLL off (§7.3.2): a
 *    write while PLLON = 1 is ignored.
 *  - CFGR.SW selects SYSCLK; the switch (SWS) happens when the selected
 *    source is ready, at once or as soon as it becomes ready (§7.2.6).
 *    An oscillator or the PLL that SYSCLK uses cannot be turned off.
 *  - The core runs at HCLK = SYSCLK / AHB prescaler; the cycle clock counts
 *    core cycles, so clock.sysclkHz is kept equal to HCLK. PCLK1 = HCLK /
 *    APB1 prescaler and PCLK2 = HCLK / APB2 prescaler: one PCLKx cycle is
 *    exactly apbxDiv core cycles. The APBx timer clock is PCLKx when the
 *    prescaler is 1, else 2 x PCLKx (§7.2).
 *  - xxxENR bits gate the peripherals' registers (peripherals.ts: a gated
 *    peripheral reads 0 and ignores writes); xxxRSTR bits reset them
 *    (peripherals.ts). Low-power enables, BDCR, SSCGR and PLLI2SCFGR are
 *    plain registers with their reset values; nothing they select is
 *    modeled (RTC, I2S, spread spectrum).
 *
 * Invariants: hclkHz == sysclkHz / ahbDiv == clock.sysclkHz; SWS names a
 * ready source; every change of HCLK/PCLK1/PCLK2 is traced (EV_CLOCK).
 */
import * as clock from "./clock";
import * as trace from "../probe/trace";

export const BASE: u32 = 0x40023800;
export const SIZE: u32 = 0x400;
export const CR: u32 = 0x00;
export const PLLCFGR: u32 = 0x04;
export const CFGR: u32 = 0x08;
export const CIR: u32 = 0x0C;
export const AHB1RSTR: u32 = 0x10;
export const AHB2RSTR: u32 = 0x14;
export const AHB3RSTR: u32 = 0x18;
export const APB1RSTR: u32 = 0x20;
export const APB2RSTR: u32 = 0x24;
export const AHB1ENR: u32 = 0x30;
export const AHB2ENR: u32 = 0x34;
export const AHB3ENR: u32 = 0x38;
export const APB1ENR: u32 = 0x40;
export const APB2ENR: u32 = 0x44;
export const AHB1LPENR: u32 = 0x50;
export const AHB2LPENR: u32 = 0x54;
export const AHB3LPENR: u32 = 0x58;
export const APB1LPENR: u32 = 0x60;
export const APB2LPENR: u32 = 0x64;
export const BDCR: u32 = 0x70;
export const CSR: u32 = 0x74;
export const SSCGR: u32 = 0x80;
export const PLLI2SCFGR: u32 = 0x84;

/** FLASH_ACR (latency, prefetch, caches): stored, no timing effect (the weight table is the cost model). */
export const FLASH_ACR_ADDR: u32 = 0x40023C00;
export const FLASH_ACR_MASK: u32 = 0x1F07;

// Reset values (RM0090 §7.3). HSICAL (CR[15:8], factory trimming) reads 0 here.
export const CR_RESET: u32 = 0x0000_0083;
export const PLLCFGR_RESET: u32 = 0x2400_3010;
export const AHB1ENR_RESET: u32 = 0x0010_0000; // CCMDATARAMEN
export const AHB1LPENR_RESET: u32 = 0x7E67_91FF;
export const AHB2LPENR_RESET: u32 = 0x0000_00F1;
export const AHB3LPENR_RESET: u32 = 0x0000_0001;
export const APB1LPENR_RESET: u32 = 0x36FE_C9FF;
export const APB2LPENR_RESET: u32 = 0x0007_5F33;
export const CSR_RESET: u32 = 0x0E00_0000;
export const PLLI2SCFGR_RESET: u32 = 0x2000_3000;

// CR bits.
export const CR_HSION: u32 = 1 << 0;
export const CR_HSIRDY: u32 = 1 << 1;
export const CR_HSITRIM_MASK: u32 = 0x1F << 3;
export const CR_HSEON: u32 = 1 << 16;
export const CR_HSERDY: u32 = 1 << 17;
export const CR_HSEBYP: u32 = 1 << 18;
export const CR_CSSON: u32 = 1 << 19;
export const CR_PLLON: u32 = 1 << 24;
export const CR_PLLRDY: u32 = 1 << 25;
export const CR_PLLI2SON: u32 = 1 << 26;
export const CR_PLLI2SRDY: u32 = 1 << 27;
const CR_WRITABLE: u32 = CR_HSION | CR_HSITRIM_MASK | CR_HSEON | CR_HSEBYP | CR_CSSON | CR_PLLON | CR_PLLI2SON;

// PLLCFGR fields.
export const PLLCFGR_PLLM_SHIFT: u32 = 0;    // 6 bits
export const PLLCFGR_PLLN_SHIFT: u32 = 6;    // 9 bits
export const PLLCFGR_PLLP_SHIFT: u32 = 16;   // 2 bits: /2, /4, /6, /8
export const PLLCFGR_PLLSRC_HSE: u32 = 1 << 22;
export const PLLCFGR_PLLQ_SHIFT: u32 = 24;   // 4 bits
const PLLCFGR_WRITABLE: u32 = 0x0F43_7FFF;
const PLLCFGR_FIXED: u32 = 0x2000_0000;      // reserved bit 29 reads 1

// CFGR fields.
export const CFGR_SW_MASK: u32 = 0x3;
export const CFGR_SWS_SHIFT: u32 = 2;
export const CFGR_HPRE_SHIFT: u32 = 4;       // 4 bits
export const CFGR_PPRE1_SHIFT: u32 = 10;     // 3 bits
export const CFGR_PPRE2_SHIFT: u32 = 13;     // 3 bits
export const SW_HSI: u32 = 0;
export const SW_HSE: u32 = 1;
export const SW_PLL: u32 = 2;
const CFGR_WRITABLE: u32 = 0xFFFF_FCF3;

// Enable bits of the modeled peripherals.
export const AHB1ENR_GPIOAEN: u32 = 1 << 0;  // GPIOA..GPIOI: bits 0..8
export const APB1ENR_TIM2EN: u32 = 1 << 0;   // TIM2..TIM5: bits 0..3
export const APB1ENR_USART2EN: u32 = 1 << 17;
export const APB2ENR_USART1EN: u32 = 1 << 4;
export const APB2ENR_USART6EN: u32 = 1 << 5;
export const APB2ENR_SYSCFGEN: u32 = 1 << 14;

export const HSI_HZ: u32 = 16_000_000;
export const HSE_HZ: u32 = 8_000_000;

// Buses, for gating and clock queries.
export const BUS_AHB1: i32 = 0;
export const BUS_APB1: i32 = 1;
export const BUS_APB2: i32 = 2;

let cr: u32 = CR_RESET;
let pllcfgr: u32 = PLLCFGR_RESET;
let cfgr: u32 = 0;
let cir: u32 = 0;
let ahb1rstr: u32 = 0;
let ahb2rstr: u32 = 0;
let ahb3rstr: u32 = 0;
let apb1rstr: u32 = 0;
let apb2rstr: u32 = 0;
export let ahb1enr: u32 = AHB1ENR_RESET;
let ahb2enr: u32 = 0;
let ahb3enr: u32 = 0;
export let apb1enr: u32 = 0;
export let apb2enr: u32 = 0;
let ahb1lpenr: u32 = AHB1LPENR_RESET;
let ahb2lpenr: u32 = AHB2LPENR_RESET;
let ahb3lpenr: u32 = AHB3LPENR_RESET;
let apb1lpenr: u32 = APB1LPENR_RESET;
let apb2lpenr: u32 = APB2LPENR_RESET;
let bdcr: u32 = 0;
let csr: u32 = CSR_RESET;
let sscgr: u32 = 0;
let plli2scfgr: u32 = PLLI2SCFGR_RESET;
let flashAcr: u32 = 0;

// Derived clocks.
export let sysclkHz: u32 = HSI_HZ;
export let hclkHz: u32 = HSI_HZ;
export let ahbDiv: u32 = 1;
export let apb1Div: u32 = 1;
export let apb2Div: u32 = 1;
let traced: bool = false;

export function reset(): void {
  cr = CR_RESET;
  pllcfgr = PLLCFGR_RESET;
  cfgr = 0;
  cir = 0;
  ahb1rstr = 0; ahb2rstr = 0; ahb3rstr = 0; apb1rstr = 0; apb2rstr = 0;
  ahb1enr = AHB1ENR_RESET; ahb2enr = 0; ahb3enr = 0; apb1enr = 0; apb2enr = 0;
  ahb1lpenr = AHB1LPENR_RESET; ahb2lpenr = AHB2LPENR_RESET; ahb3lpenr = AHB3LPENR_RESET;
  apb1lpenr = APB1LPENR_RESET; apb2lpenr = APB2LPENR_RESET;
  bdcr = 0;
  csr = CSR_RESET;
  sscgr = 0;
  plli2scfgr = PLLI2SCFGR_RESET;
  flashAcr = 0;
  traced = false;
  settle(false);
}

/**
 * What the Discovery's startup code (SystemInit) leaves before main: HSE on,
 * PLL from HSE with M = 8, N = 336, P = 2, Q = 7 (168 MHz, 48 MHz for USB),
 * AHB /1, APB1 /4 (42 MHz), APB2 /2 (84 MHz), 5 flash wait states with
 * prefetch and caches, SYSCLK from the PLL. It runs before cycle 0.
 */
export function startupClocks(): void {
  cr |= CR_HSEON;
  pllcfgr = PLLCFGR_FIXED | 8 | (336 << PLLCFGR_PLLN_SHIFT) | (0 << PLLCFGR_PLLP_SHIFT) | PLLCFGR_PLLSRC_HSE | (7 << PLLCFGR_PLLQ_SHIFT);
  cr |= CR_PLLON;
  cfgr = (5 << CFGR_PPRE1_SHIFT) | (4 << CFGR_PPRE2_SHIFT) | SW_PLL;
  flashAcr = 0x705;
  settle(true);
}

function pllM(): u32 { return pllcfgr & 0x3F; }
function pllN(): u32 { return (pllcfgr >> PLLCFGR_PLLN_SHIFT) & 0x1FF; }
function pllP(): u32 { return (((pllcfgr >> PLLCFGR_PLLP_SHIFT) & 3) + 1) * 2; }

function pllValid(): bool {
  const m = pllM(), n = pllN();
  return m >= 2 && n >= 2 && n <= 432;
}

function pllSourceHz(): u32 { return (pllcfgr & PLLCFGR_PLLSRC_HSE) != 0 ? HSE_HZ : HSI_HZ; }

function pllSourceReady(): bool {
  return (pllcfgr & PLLCFGR_PLLSRC_HSE) != 0 ? (cr & CR_HSEON) != 0 : (cr & CR_HSION) != 0;
}

/** The PLL's output (PLLCLK) in Hz, truncated to a whole number. */
export function pllHz(): u32 {
  if (!pllValid()) return 0;
  return <u32>(<u64>pllSourceHz() * <u64>pllN() / (<u64>pllM() * <u64>pllP()));
}

function sourceReady(sw: u32): bool {
  if (sw == SW_HSI) return (cr & CR_HSIRDY) != 0;
  if (sw == SW_HSE) return (cr & CR_HSERDY) != 0;
  if (sw == SW_PLL) return (cr & CR_PLLRDY) != 0;
  return false;
}

/** The system clock's source now (CFGR.SWS). */
export function sws(): u32 { return (cfgr >> CFGR_SWS_SHIFT) & 3; }

function ahbDivider(hpre: u32): u32 {
  if ((hpre & 8) == 0) return 1;
  const k = hpre & 7; // 2, 4, 8, 16, 64, 128, 256, 512 (32 is skipped)
  return k < 4 ? <u32>2 << k : <u32>4 << k;
}

function apbDivider(ppre: u32): u32 {
  return (ppre & 4) == 0 ? 1 : <u32>2 << (ppre & 3);
}

/** Ready flags follow their enables; finish a pending clock switch; derive the clocks. */
function settle(traceChange: bool): void {
  cr &= ~(CR_HSIRDY | CR_HSERDY | CR_PLLRDY | CR_PLLI2SRDY);
  if ((cr & CR_HSION) != 0) cr |= CR_HSIRDY;
  if ((cr & CR_HSEON) != 0) cr |= CR_HSERDY;
  if ((cr & CR_PLLON) != 0 && pllValid() && pllSourceReady()) cr |= CR_PLLRDY;
  if ((cr & CR_PLLI2SON) != 0) cr |= CR_PLLI2SRDY;
  const sw = cfgr & CFGR_SW_MASK;
  if (sw != sws() && sourceReady(sw)) cfgr = (cfgr & ~(3 << CFGR_SWS_SHIFT)) | (sw << CFGR_SWS_SHIFT);
  const source = sws();
  const oldH = hclkHz, old1 = apb1Div, old2 = apb2Div;
  sysclkHz = source == SW_HSE ? HSE_HZ : source == SW_PLL ? pllHz() : HSI_HZ;
  ahbDiv = ahbDivider((cfgr >> CFGR_HPRE_SHIFT) & 0xF);
  apb1Div = apbDivider((cfgr >> CFGR_PPRE1_SHIFT) & 7);
  apb2Div = apbDivider((cfgr >> CFGR_PPRE2_SHIFT) & 7);
  hclkHz = sysclkHz / ahbDiv;
  clock.setSysclkHz(hclkHz);
  if (traceChange && (!traced || hclkHz != oldH || apb1Div != old1 || apb2Div != old2)) {
    traced = true;
    trace.emit(trace.EV_CLOCK, 0, hclkHz, pclkHz(BUS_APB1), pclkHz(BUS_APB2));
  }
}

/** PCLK1 / PCLK2 (Hz) for BUS_APB1 / BUS_APB2; HCLK for AHB1. */
export function pclkHz(bus: i32): u32 {
  if (bus == BUS_APB1) return hclkHz / apb1Div;
  if (bus == BUS_APB2) return hclkHz / apb2Div;
  return hclkHz;
}

/** Core cycles in one cycle of a bus's peripheral clock. */
export function busCycles(bus: i32): i64 {
  if (bus == BUS_APB1) return <i64>apb1Div;
  if (bus == BUS_APB2) return <i64>apb2Div;
  return 1;
}

/** Core cycles in one tick of the APBx timer clock (x1 when the APB prescaler is 1, else x2). */
export function timerTickCycles(bus: i32): i64 {
  const div = bus == BUS_APB2 ? apb2Div : apb1Div;
  return div == 1 ? 1 : <i64>(div >> 1);
}

/** Whether a peripheral's clock enable bit is set. */
export function enabled(bus: i32, bit: u32): bool {
  const reg = bus == BUS_AHB1 ? ahb1enr : bus == BUS_APB1 ? apb1enr : apb2enr;
  return (reg & bit) != 0;
}

/** A fingerprint of everything peripheral timing depends on (core clock and APB dividers). */
export function timingKey(): u64 {
  return (<u64>hclkHz << 16) | (<u64>apb1Div << 8) | <u64>apb2Div;
}

export function read(offset: u32): u32 {
  switch (offset) {
    case CR: return cr;
    case PLLCFGR: return pllcfgr;
    case CFGR: return cfgr;
    case CIR: return cir;
    case AHB1RSTR: return ahb1rstr;
    case AHB2RSTR: return ahb2rstr;
    case AHB3RSTR: return ahb3rstr;
    case APB1RSTR: return apb1rstr;
    case APB2RSTR: return apb2rstr;
    case AHB1ENR: return ahb1enr;
    case AHB2ENR: return ahb2enr;
    case AHB3ENR: return ahb3enr;
    case APB1ENR: return apb1enr;
    case APB2ENR: return apb2enr;
    case AHB1LPENR: return ahb1lpenr;
    case AHB2LPENR: return ahb2lpenr;
    case AHB3LPENR: return ahb3lpenr;
    case APB1LPENR: return apb1lpenr;
    case APB2LPENR: return apb2lpenr;
    case BDCR: return bdcr;
    case CSR: return csr;
    case SSCGR: return sscgr;
    case PLLI2SCFGR: return plli2scfgr;
  }
  return 0; // reserved offsets read as zero
}

function writeCr(value: u32): void {
  let next = (cr & ~CR_WRITABLE) | (value & CR_WRITABLE);
  const source = sws();
  const pllFromHse = (pllcfgr & PLLCFGR_PLLSRC_HSE) != 0;
  // What SYSCLK uses, directly or through the PLL, cannot be turned off (§7.3.1).
  if (source == SW_HSI || (source == SW_PLL && !pllFromHse)) next |= CR_HSION;
  if (source == SW_HSE || (source == SW_PLL && pllFromHse)) next |= CR_HSEON;
  if (source == SW_PLL) next |= CR_PLLON;
  // HSEBYP can be written only while the HSE is off.
  if ((cr & CR_HSEON) != 0) next = (next & ~CR_HSEBYP) | (cr & CR_HSEBYP);
  cr = next;
}

export function write(offset: u32, value: u32): void {
  switch (offset) {
    case CR: writeCr(value); break;
    case PLLCFGR: if ((cr & CR_PLLON) == 0) pllcfgr = PLLCFGR_FIXED | (value & PLLCFGR_WRITABLE); break;
    case CFGR: cfgr = (cfgr & ~CFGR_WRITABLE) | (value & CFGR_WRITABLE); break;
    case CIR: cir = value & 0x0000_3F00; break; // ready-interrupt enables; no ready interrupts are modeled
    case AHB1RSTR: ahb1rstr = value & 0x2260_11FF; break;
    case AHB2RSTR: ahb2rstr = value & 0xF1; break;
    case AHB3RSTR: ahb3rstr = value & 1; break;
    case APB1RSTR: apb1rstr = value & 0x36FE_C9FF; break;
    case APB2RSTR: apb2rstr = value & 0x0007_5933; break;
    case AHB1ENR: ahb1enr = value & 0x7E74_11FF; break;
    case AHB2ENR: ahb2enr = value & 0xF1; break;
    case AHB3ENR: ahb3enr = value & 1; break;
    case APB1ENR: apb1enr = value & 0x36FE_C9FF; break;
    case APB2ENR: apb2enr = value & 0x0007_5F33; break;
    case AHB1LPENR: ahb1lpenr = value & 0x7E67_91FF; break;
    case AHB2LPENR: ahb2lpenr = value & 0xF1; break;
    case AHB3LPENR: ahb3lpenr = value & 1; break;
    case APB1LPENR: apb1lpenr = value & 0x36FE_C9FF; break;
    case APB2LPENR: apb2lpenr = value & 0x0007_5F33; break;
    case BDCR: bdcr = value & 0x0001_8305; break;
    case CSR: {
      // LSION (LSIRDY follows); RMVF clears the reset flags.
      let next = (csr & 0xFE00_0000) | (value & 1);
      if ((value & (1 << 24)) != 0) next &= 0x00FF_FFFF;
      if ((next & 1) != 0) next |= 2;
      csr = next;
      break;
    }
    case SSCGR: sscgr = value & 0xCFFF_FFFF; break;
    case PLLI2SCFGR: plli2scfgr = value & 0x7000_7FC0; break;
  }
  settle(true);
}

/** The bits of xxxRSTR now set, for peripherals.ts: AHB1 / APB1 / APB2. */
export function resetBits(bus: i32): u32 {
  return bus == BUS_AHB1 ? ahb1rstr : bus == BUS_APB1 ? apb1rstr : apb2rstr;
}

export function readFlashAcr(): u32 { return flashAcr; }
export function writeFlashAcr(value: u32): void { flashAcr = value & FLASH_ACR_MASK; }
