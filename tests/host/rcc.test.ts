import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

const APP = `
import { rcc, timer, debug, mmio } from "hoprt";
function hex(label: string, v: u32): void { debug.print(label + " 0x" + v.toString(16)); }
function hz(label: string, v: u32): void { debug.print(label + " " + v.toString()); }
function updates(n: i32): void {
  for (let i = 0; i < n; i++) {
    while (!timer.updatePending(2)) {}
    timer.clearUpdate(2);
  }
}
export function main(): void {
  // What the startup code left (RM0090 7.3; the Discovery's 168 MHz set-up).
  hex("cr", mmio.read32(rcc.CR));
  hex("pllcfgr", mmio.read32(rcc.PLLCFGR));
  hex("cfgr", mmio.read32(rcc.CFGR));
  hex("ahb1enr", mmio.read32(rcc.AHB1ENR));
  hex("apb1enr", mmio.read32(rcc.APB1ENR));
  hex("apb2enr", mmio.read32(rcc.APB2ENR));
  hex("flash-acr", mmio.read32(rcc.FLASH_ACR));
  hz("hclk", rcc.hclkHz());
  hz("pclk1", rcc.pclk1Hz());
  hz("pclk2", rcc.pclk2Hz());
  hz("timclk", rcc.timerClockHz());
  // Turning off the PLL that clocks the core is refused.
  mmio.write32(rcc.CR, mmio.read32(rcc.CR) & ~rcc.CR_PLLON);
  hex("pll-kept", mmio.read32(rcc.CR) & (rcc.CR_PLLON | rcc.CR_PLLRDY));
  // Clock gating: TIM2 does not answer until APB1ENR.TIM2EN.
  mmio.write32(0x40000028, 123);
  hex("gated-psc", mmio.read32(0x40000028));
  // Down to the 16 MHz HSI: the timer clock is HCLK (APB1 prescaler 1).
  rcc.useHsi();
  hz("hsi-hclk", rcc.hclkHz());
  hz("hsi-timclk", rcc.timerClockHz());
  timer.start(2, 15, 999); // 16 x 1000 timer clocks
  updates(3);
  rcc.use168MHz();
  updates(3);
  hz("back-hclk", rcc.hclkHz());
}
`;

describe("RCC", () => {
  it("derives the clocks from its registers, gates peripherals, and re-times the timers on a clock switch", async () => {
    const m = await machine("rcc", APP);
    m.runFor("5ms");
    expect(m.panics()).toEqual([]);
    expect(m.console.lines).toEqual([
      "cr 0x3030083",      // HSI, HSE, PLL on and ready
      "pllcfgr 0x27405408", // M 8, N 336, P 2, HSE, Q 7
      "cfgr 0x940a",       // SW = SWS = PLL, APB1 /4, APB2 /2
      "ahb1enr 0x100000",  // CCMDATARAMEN: the reset value
      "apb1enr 0x0",
      "apb2enr 0x0",
      "flash-acr 0x705",
      "hclk 168000000",
      "pclk1 42000000",
      "pclk2 84000000",
      "timclk 84000000",
      "pll-kept 0x3000000",
      "gated-psc 0x0",
      "hsi-hclk 16000000",
      "hsi-timclk 16000000",
      "back-hclk 168000000",
    ]);
    const events = m.trace.events();
    expect(ofKind(events, "clock").map((e) => [e.a, e.b, e.c])).toEqual([
      [168_000_000, 42_000_000, 84_000_000],
      [16_000_000, 16_000_000, 16_000_000],
      [168_000_000, 42_000_000, 84_000_000],
    ]);
    expect(m.sysclkHz).toBe(168_000_000);
    expect(ofKind(events, "gated").map((e) => [e.a >>> 0, e.b])).toEqual([[0x40000028, 1], [0x40000028, 0]]);
    const overflows = ofKind(events, "tim_update").filter((e) => e.b === 0);
    // At 16 MHz a timer clock is one core cycle; at 168 MHz (APB1 /4, x2) two. The switch falls between the third and fourth.
    expect(overflows[1].cycle - overflows[0].cycle).toBe(16_000n);
    expect(overflows[2].cycle - overflows[1].cycle).toBe(16_000n);
    const clocks = ofKind(events, "clock");
    expect(overflows[2].cycle < clocks[2].cycle && clocks[2].cycle < overflows[3].cycle).toBe(true);
    expect(overflows.length).toBeGreaterThan(20);
    for (let i = 4; i < overflows.length; i++) expect(overflows[i].cycle - overflows[i - 1].cycle).toBe(32_000n);
  });
});
