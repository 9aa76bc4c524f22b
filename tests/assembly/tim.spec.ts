/**
 * assembly/mcu/tim.ts: TIM2..TIM5 time bases computed from the cycle clock.
 * Time is driven with clock.advance; due alarms are fired the way
 * core.service() does it (kind 3 = ALARM_TIM -> tim.onOverflow()). At the
 * default 168 MHz set-up the APB1 timer clock is 84 MHz: one CK_INT tick is
 * 2 core cycles, so a count lasts 2 x (PSC + 1) cycles.
 */
import * as clock from "../../assembly/mcu/clock";
import * as nvic from "../../assembly/mcu/nvic";
import * as rcc from "../../assembly/mcu/rcc";
import * as tim from "../../assembly/mcu/tim";
import * as trace from "../../assembly/probe/trace";

const ALARM_TIM: i32 = 3; // core.ALARM_TIM
const TIM2: i32 = 0;
const TIM3: i32 = 1;
const IRQ_TIM2: i32 = 16 + 28;

/** Fire every alarm due now, as core.service() does; returns the overflows fired. */
function service(): i32 {
  const t = clock.now();
  let fired = 0;
  while (true) {
    const alarm = clock.popDue(t);
    if (alarm < 0) break;
    if ((alarm >>> 16) == ALARM_TIM) {
      tim.onOverflow(alarm & 0xFFFF, clock.lastDue);
      fired++;
    }
  }
  clock.rearm();
  return fired;
}

function step(cycles: i64): i32 {
  clock.advance(cycles);
  return service();
}

function now(): i64 { return clock.now(); }
function cnt(i: i32): u32 { return tim.read(i, tim.CNT, now()); }
function w(i: i32, reg: u32, value: u32): void { tim.write(i, reg, value, now()); }
function r(i: i32, reg: u32): u32 { return tim.read(i, reg, now()); }

/** PSC, ARR, UG, clear UIF, then CR1 (the usual start). */
function start(i: i32, psc: u32, arr: u32, cr1: u32): void {
  w(i, tim.PSC, psc);
  w(i, tim.ARR, arr);
  w(i, tim.EGR, tim.EGR_UG);
  w(i, tim.SR, 0);
  w(i, tim.CR1, cr1 | tim.CR1_CEN);
}

describe("tim", () => {
  beforeAll(() => {
    trace.reset();
  });

  beforeEach(() => {
    while (clock.popDue(i64.MAX_VALUE) >= 0) {}
    clock.setSliceEnd(i64.MAX_VALUE);
    nvic.reset();
    rcc.reset();
    rcc.startupClocks();
    rcc.write(rcc.APB1ENR, 0xF); // TIM2..TIM5 clocks
    tim.reset();
  });

  it("comes out of reset with every register 0", () => {
    for (let off: u32 = 0; off <= 0x50; off += 4) expect(r(TIM3, off)).toBe(0);
  });

  it("counts CK_INT / (PSC + 1) and reads back exactly at any cycle", () => {
    start(TIM2, 2, 99, 0); // a count every 2 x 3 = 6 cycles
    expect(cnt(TIM2)).toBe(0);
    step(5);
    expect(cnt(TIM2)).toBe(0);
    step(1);
    expect(cnt(TIM2)).toBe(1);
    step(6 * 97 - 1);
    expect(cnt(TIM2)).toBe(97);
    step(6 * 2);
    expect(cnt(TIM2)).toBe(99);
    expect(r(TIM2, tim.SR) & tim.SR_UIF).toBe(0);
    expect(step(1)).toBe(1); // 600 cycles: the overflow
    expect(cnt(TIM2)).toBe(0);
    expect(r(TIM2, tim.SR) & tim.SR_UIF).toBe(1);
  });

  it("updates every (PSC + 1)(ARR + 1) counts, exactly, with UIE pending the IRQ", () => {
    start(TIM2, 83, 999, 0); // 84 x 1000 x 2 = 168 000 cycles: 1 kHz
    w(TIM2, tim.DIER, tim.DIER_UIE);
    expect(nvic.isPending(IRQ_TIM2)).toBe(false);
    expect(step(167_999)).toBe(0);
    expect(step(1)).toBe(1);
    expect(nvic.isPending(IRQ_TIM2)).toBe(true);
    w(TIM2, tim.SR, ~tim.SR_UIF); // rc_w0: the line falls
    expect(nvic.isLevelHigh(IRQ_TIM2)).toBe(false);
    expect(step(167_999)).toBe(0);
    expect(step(1)).toBe(1);
    expect(nvic.isLevelHigh(IRQ_TIM2)).toBe(true);
  });

  it("clears SR bits written 0 and keeps those written 1", () => {
    start(TIM2, 0, 9, 0);
    step(20);
    w(TIM2, tim.EGR, 0x1E); // CC1G..CC4G set CC1IF..CC4IF
    expect(r(TIM2, tim.SR)).toBe(0x1F);
    w(TIM2, tim.SR, 0xFFFF_FFFF);
    expect(r(TIM2, tim.SR)).toBe(0x1F);
    w(TIM2, tim.SR, ~(<u32>0x2));
    expect(r(TIM2, tim.SR)).toBe(0x1D);
    expect(r(TIM2, tim.EGR)).toBe(0); // write-only
  });

  it("loads PSC at the update event only, and ARR at once unless ARPE", () => {
    start(TIM2, 0, 9, 0); // 20 cycles per period
    w(TIM2, tim.PSC, 1);  // preloaded: the current period still counts every 2 cycles
    step(19);
    expect(cnt(TIM2)).toBe(9);
    expect(step(1)).toBe(1);
    step(4);
    expect(cnt(TIM2)).toBe(1); // now 4 cycles per count
    w(TIM2, tim.ARR, 2);       // no ARPE: in use at once
    expect(step(8)).toBe(1);   // counts 1 -> 2 -> overflow at 3 counts from 0: cycle 12 of the period
    expect(cnt(TIM2)).toBe(0);
  });

  it("with ARPE keeps the old ARR until the next update", () => {
    start(TIM2, 0, 9, tim.CR1_ARPE);
    w(TIM2, tim.ARR, 4);
    expect(r(TIM2, tim.ARR)).toBe(4);
    expect(step(19)).toBe(0);
    expect(step(1)).toBe(1); // the old ARR = 9 ended this period
    expect(step(9)).toBe(0);
    expect(step(1)).toBe(1); // then 5 counts of 2 cycles
  });

  it("stops after one update in one-pulse mode", () => {
    start(TIM2, 0, 4, tim.CR1_OPM);
    expect(step(10)).toBe(1);
    expect(r(TIM2, tim.CR1) & tim.CR1_CEN).toBe(0);
    expect(step(1000)).toBe(0);
    expect(cnt(TIM2)).toBe(0);
  });

  it("UDIS: the counter wraps with no update; UG still clears it", () => {
    start(TIM2, 0, 4, tim.CR1_UDIS);
    expect(step(10)).toBe(1); // the overflow alarm fires...
    expect(r(TIM2, tim.SR)).toBe(0); // ...but makes no update event
    step(4);
    expect(cnt(TIM2)).toBe(2);
    w(TIM2, tim.EGR, tim.EGR_UG);
    expect(cnt(TIM2)).toBe(0);
    expect(r(TIM2, tim.SR)).toBe(0);
  });

  it("UG with UIE already set pends the IRQ (UIF rises)", () => {
    w(TIM2, tim.DIER, tim.DIER_UIE);
    w(TIM2, tim.EGR, tim.EGR_UG);
    expect(nvic.isPending(IRQ_TIM2)).toBe(true);
  });

  it("UG sets UIF unless URS", () => {
    w(TIM2, tim.EGR, tim.EGR_UG);
    expect(r(TIM2, tim.SR)).toBe(1);
    w(TIM2, tim.SR, 0);
    w(TIM2, tim.CR1, tim.CR1_URS);
    w(TIM2, tim.EGR, tim.EGR_UG);
    expect(r(TIM2, tim.SR)).toBe(0);
  });

  it("a CNT written above ARR counts to the maximum and wraps without an update", () => {
    start(TIM3, 0, 9, 0); // 16-bit
    w(TIM3, tim.CNT, 0xFFFE);
    step(2);
    expect(cnt(TIM3)).toBe(0xFFFF);
    expect(step(2)).toBe(0);
    expect(cnt(TIM3)).toBe(0);
    expect(step(18)).toBe(0);
    expect(cnt(TIM3)).toBe(9);
    expect(step(2)).toBe(1);
  });

  it("keeps 32 bits on TIM2 and 16 on TIM3", () => {
    w(TIM2, tim.ARR, 0xFFFF_FFFF);
    w(TIM3, tim.ARR, 0xFFFF_FFFF);
    expect(r(TIM2, tim.ARR)).toBe(0xFFFF_FFFF);
    expect(r(TIM3, tim.ARR)).toBe(0xFFFF);
    w(TIM2, tim.PSC, 0x12345);
    expect(r(TIM2, tim.PSC)).toBe(0x2345);
  });

  it("is blocked while ARR is 0", () => {
    w(TIM2, tim.CR1, tim.CR1_CEN);
    step(1000);
    expect(cnt(TIM2)).toBe(0);
    expect(clock.pendingAlarms()).toBe(0);
  });

  it("holds CNT while disabled and resumes with the same prescaler phase", () => {
    start(TIM2, 4, 999, 0); // 10 cycles per count
    step(37);
    w(TIM2, tim.CR1, 0);
    expect(cnt(TIM2)).toBe(3);
    step(1000);
    expect(cnt(TIM2)).toBe(3);
    w(TIM2, tim.CR1, tim.CR1_CEN);
    step(2);
    expect(cnt(TIM2)).toBe(3);
    step(1);
    expect(cnt(TIM2)).toBe(4);
  });
});
