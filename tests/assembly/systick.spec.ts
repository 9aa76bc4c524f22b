/**
 * assembly/mcu/systick.ts: the 24-bit down-counter computed from the cycle
 * clock. Time is driven with clock.advance; due alarms are fired the way
 * core.service() does it (kind 1 = ALARM_SYSTICK -> systick.onWrap()).
 */
import * as clock from "../../assembly/mcu/clock";
import * as nvic from "../../assembly/mcu/nvic";
import * as systick from "../../assembly/mcu/systick";
import * as trace from "../../assembly/probe/trace";

const ALARM_SYSTICK: i32 = 1; // core.ALARM_SYSTICK
const RUN: u32 = systick.CTRL_ENABLE | systick.CTRL_TICKINT | systick.CTRL_CLKSOURCE;

let t0: i64 = 0;

/** Fire every alarm due now, as core.service() does; returns the SysTick wraps fired. */
function service(): i32 {
  const t = clock.now();
  let wraps = 0;
  while (true) {
    const alarm = clock.popDue(t);
    if (alarm < 0) break;
    if ((alarm >>> 16) == ALARM_SYSTICK) {
      systick.onWrap();
      wraps++;
    }
  }
  clock.rearm();
  return wraps;
}

/** Spend `cycles`, then service: the wraps that fired. */
function step(cycles: i64): i32 {
  clock.advance(cycles);
  return service();
}

function val(): u32 { return systick.read(systick.VAL); }
function ctrl(): u32 { return systick.read(systick.CTRL); }

/** LOAD, then CTRL (VAL is 0 after reset); t0 = the cycle of the enable. */
function start(load: u32, control: u32): void {
  systick.write(systick.LOAD, load);
  t0 = clock.now();
  systick.write(systick.CTRL, control);
}

describe("systick", () => {
  beforeAll(() => {
    trace.reset();
  });

  beforeEach(() => {
    while (clock.popDue(i64.MAX_VALUE) >= 0) {}
    clock.setSliceEnd(i64.MAX_VALUE);
    nvic.reset();
    systick.reset();
  });

  it("reads VAL = LOAD + 1 - elapsed counts", () => {
    start(999, RUN);
    expect(systick.read(systick.LOAD)).toBe(999);
    expect(val()).toBe(0); // VAL was 0: the first count reloads it
    expect(step(1)).toBe(0);
    expect(val()).toBe(999);
    expect(step(249)).toBe(0); // t0 + 250
    expect(val()).toBe(750);
    expect(step(749)).toBe(0); // t0 + 999
    expect(val()).toBe(1);
    expect(step(1)).toBe(1); // t0 + 1000: 1 -> 0, the wrap
    expect(val()).toBe(0);
    expect(step(1)).toBe(0);
    expect(val()).toBe(999);
    expect(step(500)).toBe(0); // t0 + 1501
    expect(val()).toBe(499);
    expect(clock.now()).toBe(t0 + 1501);
  });

  it("wraps first exactly LOAD + 1 cycles after the enable, then every LOAD + 1", () => {
    start(999, RUN);
    expect(clock.nextDue()).toBe(t0 + 1000);
    expect(step(999)).toBe(0);
    expect(nvic.isPending(nvic.EXC_SYSTICK)).toBe(false);
    expect(step(1)).toBe(1);
    expect(nvic.isPending(nvic.EXC_SYSTICK)).toBe(true);
    expect(clock.nextDue()).toBe(t0 + 2000);
    expect(step(999)).toBe(0);
    expect(step(1)).toBe(1);
    // Two periods missed in one step: both wraps fire.
    expect(step(2500)).toBe(2); // t0 + 4500, wraps at 3000 and 4000
    expect(val()).toBe(500);
    expect(clock.nextDue()).toBe(t0 + 5000);
  });

  it("sets COUNTFLAG at a wrap and clears it on a read of CTRL", () => {
    start(999, RUN);
    expect(ctrl()).toBe(RUN);
    step(999);
    expect(ctrl()).toBe(RUN);
    step(1);
    expect(ctrl()).toBe(RUN | systick.CTRL_COUNTFLAG);
    expect(ctrl()).toBe(RUN);
  });

  it("without TICKINT sets COUNTFLAG but does not pend the exception", () => {
    const control = systick.CTRL_ENABLE | systick.CTRL_CLKSOURCE;
    start(999, control);
    expect(step(1000)).toBe(1);
    expect(nvic.isPending(nvic.EXC_SYSTICK)).toBe(false);
    expect(ctrl()).toBe(control | systick.CTRL_COUNTFLAG);
  });

  it("counts HCLK/8 when CLKSOURCE = 0: the period is 8x longer", () => {
    start(999, systick.CTRL_ENABLE | systick.CTRL_TICKINT);
    expect(clock.nextDue()).toBe(t0 + 8000);
    expect(step(7)).toBe(0);
    expect(val()).toBe(0);
    expect(step(1)).toBe(0); // t0 + 8: the first count
    expect(val()).toBe(999);
    expect(step(1992)).toBe(0); // t0 + 2000: 250 counts
    expect(val()).toBe(750);
    expect(step(7)).toBe(0); // t0 + 2007: still 250 counts
    expect(val()).toBe(750);
    expect(step(5992)).toBe(0); // t0 + 7999
    expect(val()).toBe(1);
    expect(step(1)).toBe(1); // t0 + 8000
    expect(val()).toBe(0);
    expect(clock.nextDue()).toBe(t0 + 16000);
    expect(step(7999)).toBe(0);
    expect(step(1)).toBe(1);
  });

  it("restarts the count when VAL is written, and clears COUNTFLAG", () => {
    start(999, RUN);
    step(1000);
    step(400); // t0 + 1400
    expect(val()).toBe(600);
    systick.write(systick.VAL, 123); // any value clears the counter
    expect(val()).toBe(0);
    expect(ctrl()).toBe(RUN); // COUNTFLAG cleared by the VAL write
    expect(clock.nextDue()).toBe(t0 + 2400);
    expect(step(1)).toBe(0);
    expect(val()).toBe(999);
    expect(step(998)).toBe(0); // t0 + 2399
    expect(val()).toBe(1);
    expect(step(1)).toBe(1); // t0 + 2400
    expect(ctrl()).toBe(RUN | systick.CTRL_COUNTFLAG);
  });

  it("keeps the count across a disable and resumes it on enable", () => {
    start(999, RUN);
    step(300);
    expect(val()).toBe(700);
    systick.write(systick.CTRL, 0);
    expect(clock.pendingAlarms()).toBe(0);
    step(5000);
    expect(val()).toBe(700);
    const t = clock.now();
    systick.write(systick.CTRL, RUN);
    expect(val()).toBe(700);
    expect(clock.nextDue()).toBe(t + 700);
    expect(step(699)).toBe(0);
    expect(step(1)).toBe(1);
  });

  it("writing LOAD does not disturb the running count", () => {
    start(999, RUN);
    step(100);
    expect(val()).toBe(900);
    systick.write(systick.LOAD, 99);
    expect(systick.read(systick.LOAD)).toBe(99);
    expect(val()).toBe(900); // still counting down from the old reload
    expect(clock.nextDue()).toBe(t0 + 1000);
    expect(step(400)).toBe(0); // t0 + 500
    expect(val()).toBe(500);
    // A CTRL write (same bits) reads the count back: the wrap stays where it was.
    systick.write(systick.CTRL, RUN);
    expect(val()).toBe(500);
    expect(clock.nextDue()).toBe(t0 + 1000);
    expect(step(499)).toBe(0); // t0 + 999
    expect(val()).toBe(1);
    expect(step(1)).toBe(1); // t0 + 1000
    expect(val()).toBe(0);
    expect(step(1)).toBe(0);
    expect(val()).toBe(99); // the new reload
    expect(step(99)).toBe(1); // t0 + 1100: the new period is 100
    expect(clock.nextDue()).toBe(t0 + 1200);
  });
});
