/**
 * assembly/mcu/rcc.ts: reset values (RM0090 §7.3) and the clocks derived
 * from the registers.
 */
import * as clock from "../../assembly/mcu/clock";
import * as rcc from "../../assembly/mcu/rcc";
import * as trace from "../../assembly/probe/trace";

describe("rcc", () => {
  beforeAll(() => {
    trace.reset();
  });

  beforeEach(() => {
    rcc.reset();
  });

  it("has RM0090's reset values", () => {
    expect(rcc.read(rcc.CR)).toBe(0x0000_0083);
    expect(rcc.read(rcc.PLLCFGR)).toBe(0x2400_3010);
    expect(rcc.read(rcc.CFGR)).toBe(0);
    expect(rcc.read(rcc.CIR)).toBe(0);
    expect(rcc.read(rcc.AHB1RSTR)).toBe(0);
    expect(rcc.read(rcc.APB1RSTR)).toBe(0);
    expect(rcc.read(rcc.APB2RSTR)).toBe(0);
    expect(rcc.read(rcc.AHB1ENR)).toBe(0x0010_0000);
    expect(rcc.read(rcc.AHB2ENR)).toBe(0);
    expect(rcc.read(rcc.APB1ENR)).toBe(0);
    expect(rcc.read(rcc.APB2ENR)).toBe(0);
    expect(rcc.read(rcc.AHB1LPENR)).toBe(0x7E67_91FF);
    expect(rcc.read(rcc.APB1LPENR)).toBe(0x36FE_C9FF);
    expect(rcc.read(rcc.APB2LPENR)).toBe(0x0007_5F33);
    expect(rcc.read(rcc.CSR)).toBe(0x0E00_0000);
    expect(rcc.read(rcc.PLLI2SCFGR)).toBe(0x2000_3000);
  });

  it("runs from the 16 MHz HSI after reset, no prescalers", () => {
    expect(rcc.sysclkHz).toBe(16_000_000);
    expect(rcc.hclkHz).toBe(16_000_000);
    expect(clock.sysclkHz).toBe(16_000_000);
    expect(rcc.pclkHz(rcc.BUS_APB1)).toBe(16_000_000);
    expect(rcc.timerTickCycles(rcc.BUS_APB1)).toBe(1);
  });

  it("after the startup code: 168 MHz from the PLL, APB1 42 MHz, APB2 84 MHz, timers x2", () => {
    rcc.startupClocks();
    expect(rcc.read(rcc.CR)).toBe(0x0303_0083);
    expect(rcc.read(rcc.PLLCFGR)).toBe(0x2740_5408);
    expect(rcc.read(rcc.CFGR)).toBe(0x0000_940A); // SWS = SW = PLL, PPRE1 /4, PPRE2 /2
    expect(rcc.sysclkHz).toBe(168_000_000);
    expect(clock.sysclkHz).toBe(168_000_000);
    expect(rcc.pclkHz(rcc.BUS_APB1)).toBe(42_000_000);
    expect(rcc.pclkHz(rcc.BUS_APB2)).toBe(84_000_000);
    expect(rcc.busCycles(rcc.BUS_APB1)).toBe(4);
    expect(rcc.busCycles(rcc.BUS_APB2)).toBe(2);
    expect(rcc.timerTickCycles(rcc.BUS_APB1)).toBe(2); // 84 MHz
  });

  it("switches SYSCLK only to a ready source, and as soon as it is ready", () => {
    rcc.write(rcc.CFGR, rcc.SW_HSE);
    expect(rcc.sws()).toBe(rcc.SW_HSI); // HSE is off
    rcc.write(rcc.CR, rcc.read(rcc.CR) | rcc.CR_HSEON);
    expect(rcc.sws()).toBe(rcc.SW_HSE);
    expect(rcc.sysclkHz).toBe(8_000_000);
    rcc.write(rcc.CR, rcc.read(rcc.CR) & ~rcc.CR_HSEON); // in use: stays on
    expect(rcc.read(rcc.CR) & rcc.CR_HSERDY).toBe(rcc.CR_HSERDY);
  });

  it("derives the PLL output and refuses PLLCFGR writes while it runs", () => {
    // HSI / 16 * 240 / 4 = 60 MHz
    rcc.write(rcc.PLLCFGR, 16 | (240 << 6) | (1 << 16));
    rcc.write(rcc.CR, rcc.read(rcc.CR) | rcc.CR_PLLON);
    rcc.write(rcc.CFGR, rcc.SW_PLL | (9 << 4)); // AHB /4
    expect(rcc.sysclkHz).toBe(60_000_000);
    expect(rcc.hclkHz).toBe(15_000_000);
    rcc.write(rcc.PLLCFGR, 8 | (336 << 6));
    expect(rcc.read(rcc.PLLCFGR) & 0x7FFF).toBe(16 | (240 << 6));
  });

  it("a PLL with PLLM < 2 never locks", () => {
    rcc.write(rcc.PLLCFGR, 1 | (100 << 6));
    rcc.write(rcc.CR, rcc.read(rcc.CR) | rcc.CR_PLLON);
    expect(rcc.read(rcc.CR) & rcc.CR_PLLRDY).toBe(0);
    rcc.write(rcc.CFGR, rcc.SW_PLL);
    expect(rcc.sws()).toBe(rcc.SW_HSI);
  });

  it("gates with the enable bits", () => {
    expect(rcc.enabled(rcc.BUS_AHB1, rcc.AHB1ENR_GPIOAEN << 3)).toBe(false);
    rcc.write(rcc.AHB1ENR, 1 << 3);
    expect(rcc.enabled(rcc.BUS_AHB1, rcc.AHB1ENR_GPIOAEN << 3)).toBe(true);
    expect(rcc.read(rcc.AHB1ENR)).toBe(1 << 3);
  });
});
