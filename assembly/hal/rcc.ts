/**
 * RCC helpers: peripheral clock enables and the clock frequencies, read
 * back from the RCC registers as firmware on silicon computes them.
 */
import * as bus from "../mcu/bus";
import * as errors from "../kernel/errors";
import { refuse } from "../kernel/context";

export namespace rcc {
  export const BASE: u32 = 0x40023800;
  export const CR: u32 = BASE + 0x00;
  export const PLLCFGR: u32 = BASE + 0x04;
  export const CFGR: u32 = BASE + 0x08;
  export const AHB1RSTR: u32 = BASE + 0x10;
  export const APB1RSTR: u32 = BASE + 0x20;
  export const APB2RSTR: u32 = BASE + 0x24;
  export const AHB1ENR: u32 = BASE + 0x30;
  export const APB1ENR: u32 = BASE + 0x40;
  export const APB2ENR: u32 = BASE + 0x44;
  export const FLASH_ACR: u32 = 0x40023C00;

  export const CR_HSION: u32 = 1 << 0;
  export const CR_HSIRDY: u32 = 1 << 1;
  export const CR_HSEON: u32 = 1 << 16;
  export const CR_HSERDY: u32 = 1 << 17;
  export const CR_PLLON: u32 = 1 << 24;
  export const CR_PLLRDY: u32 = 1 << 25;

  export const APB1ENR_USART2EN: u32 = 1 << 17;
  export const APB2ENR_USART1EN: u32 = 1 << 4;
  export const APB2ENR_USART6EN: u32 = 1 << 5;
  export const APB2ENR_SYSCFGEN: u32 = 1 << 14;

  export const HSI_HZ: u32 = 16_000_000;
  export const HSE_HZ: u32 = 8_000_000;

  function setBits(addr: u32, bits: u32): void { bus.write32(addr, bus.read32(addr) | bits); }

  /** Clock GPIO port 0 (A) .. 8 (I). */
  export function enableGpio(port: u32): i32 {
    if (port > 8) return refuse(errors.ERR_BAD_ARGUMENT, port);
    setBits(AHB1ENR, 1 << port);
    return errors.OK;
  }

  /** Clock TIM2..TIM5. */
  export function enableTimer(n: u32): i32 {
    if (n < 2 || n > 5) return refuse(errors.ERR_BAD_ARGUMENT, n);
    setBits(APB1ENR, 1 << (n - 2));
    return errors.OK;
  }

  /** Clock USART1, USART2 or USART6. */
  export function enableUsart(n: u32): i32 {
    if (n == 1) setBits(APB2ENR, APB2ENR_USART1EN);
    else if (n == 2) setBits(APB1ENR, APB1ENR_USART2EN);
    else if (n == 6) setBits(APB2ENR, APB2ENR_USART6EN);
    else return refuse(errors.ERR_BAD_ARGUMENT, n);
    return errors.OK;
  }

  export function enableSyscfg(): void { setBits(APB2ENR, APB2ENR_SYSCFGEN); }

  /** SYSCLK from CFGR.SWS: HSI, HSE or the PLL (f_src / M * N / P). */
  export function sysclkHz(): u32 {
    const sws = (bus.read32(CFGR) >> 2) & 3;
    if (sws == 0) return HSI_HZ;
    if (sws == 1) return HSE_HZ;
    const pll = bus.read32(PLLCFGR);
    const src: u64 = (pll & (1 << 22)) != 0 ? HSE_HZ : HSI_HZ;
    const m: u64 = pll & 0x3F;
    const n: u64 = (pll >> 6) & 0x1FF;
    const p: u64 = ((((pll >> 16) & 3) + 1) * 2);
    return <u32>(src * n / (m * p));
  }

  function ahbDivider(hpre: u32): u32 {
    if ((hpre & 8) == 0) return 1;
    const k = hpre & 7;
    return k < 4 ? <u32>2 << k : <u32>4 << k;
  }

  function apbDivider(ppre: u32): u32 { return (ppre & 4) == 0 ? 1 : <u32>2 << (ppre & 3); }

  /** HCLK: the core and AHB clock. */
  export function hclkHz(): u32 { return sysclkHz() / ahbDivider((bus.read32(CFGR) >> 4) & 0xF); }
  /** PCLK1: the APB1 clock (USART2, TIM2..5's bus). */
  export function pclk1Hz(): u32 { return hclkHz() / apbDivider((bus.read32(CFGR) >> 10) & 7); }
  /** PCLK2: the APB2 clock (USART1, USART6, SYSCFG). */
  export function pclk2Hz(): u32 { return hclkHz() / apbDivider((bus.read32(CFGR) >> 13) & 7); }
  /** The APB1 timer clock: PCLK1, doubled when the APB1 prescaler is not 1. */
  export function timerClockHz(): u32 {
    const div = apbDivider((bus.read32(CFGR) >> 10) & 7);
    return div == 1 ? hclkHz() : hclkHz() / div * 2;
  }

  /**
   * Run from the HSI (16 MHz) with the PLL off and no prescalers: what a
   * low-power firmware or a test of clock changes does.
   */
  export function useHsi(): void {
    setBits(CR, CR_HSION);
    while ((bus.read32(CR) & CR_HSIRDY) == 0) {}
    bus.write32(CFGR, bus.read32(CFGR) & ~0xFCF3); // SW = HSI, prescalers /1
    while (((bus.read32(CFGR) >> 2) & 3) != 0) {}
    bus.write32(CR, bus.read32(CR) & ~CR_PLLON);
  }

  /**
   * The Discovery's 168 MHz set-up (what the startup code does before
   * main): PLL from the 8 MHz HSE, M = 8, N = 336, P = 2, Q = 7; AHB /1,
   * APB1 /4, APB2 /2; 5 flash wait states.
   */
  export function use168MHz(): void {
    setBits(CR, CR_HSEON);
    while ((bus.read32(CR) & CR_HSERDY) == 0) {}
    if ((bus.read32(CFGR) & 0xC) == 0x8) return; // already on the PLL
    bus.write32(CR, bus.read32(CR) & ~CR_PLLON);
    bus.write32(PLLCFGR, 8 | (336 << 6) | (0 << 16) | (1 << 22) | (7 << 24));
    setBits(CR, CR_PLLON);
    while ((bus.read32(CR) & CR_PLLRDY) == 0) {}
    bus.write32(FLASH_ACR, 0x705);
    bus.write32(CFGR, (bus.read32(CFGR) & ~0xFCF3) | (5 << 10) | (4 << 13) | 2);
    while (((bus.read32(CFGR) >> 2) & 3) != 2) {}
  }
}
