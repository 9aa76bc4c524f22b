/**
 * assembly/mcu/nvic.ts: pending/active/enabled state, priorities and the
 * ARMv7-M preemption rules (B1.5.4): PRIMASK, BASEPRI, PRIGROUP.
 */
import * as nvic from "../../assembly/mcu/nvic";

/** Exception number of IRQ n. */
function irq(n: i32): i32 { return nvic.IRQ_BASE + n; }

/** A xorshift32 generator for the random operation mixes (AssemblyScript has no closures). */
let seed: u32 = 0x9E3779B9;
function next(n: i32): i32 {
  seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
  return <i32>(seed % <u32>n);
}

/** An enabled IRQ at `priority`, made pending. */
function pendIrq(n: i32, priority: u8): i32 {
  const e = irq(n);
  nvic.setPriority(e, priority);
  nvic.setEnabled(e, true);
  nvic.setPending(e);
  return e;
}

describe("nvic", () => {
  beforeEach(() => {
    nvic.reset();
  });

  it("has nothing pending or active after reset", () => {
    pendIrq(3, 0x40);
    nvic.activate(irq(4));
    nvic.setPrimask(true);
    nvic.setBasepri(0x80);
    nvic.setPrigroup(5);
    nvic.reset();
    expect(nvic.highestPending()).toBe(0);
    expect(nvic.preempting()).toBe(0);
    expect(nvic.isPending(irq(3))).toBe(false);
    expect(nvic.isActive(irq(4))).toBe(false);
    expect(nvic.anyActive()).toBe(false);
    expect(nvic.primask()).toBe(false);
    expect(nvic.basepri()).toBe(0);
    expect(nvic.prigroup()).toBe(0);
    expect(nvic.getPriority(irq(3))).toBe(0);
    expect(nvic.executionPriority()).toBe(256);
    // IRQs start disabled, system exceptions enabled.
    expect(nvic.isEnabled(irq(3))).toBe(false);
    expect(nvic.isEnabled(nvic.EXC_SYSTICK)).toBe(true);
  });

  it("keeps only the upper nibble of a priority", () => {
    nvic.setPriority(irq(0), 0x35);
    expect(nvic.getPriority(irq(0))).toBe(0x30);
    nvic.setPriority(nvic.EXC_PENDSV, 0xFF);
    expect(nvic.getPriority(nvic.EXC_PENDSV)).toBe(0xF0);
    nvic.setPriority(nvic.EXC_SYSTICK, 0x0F);
    expect(nvic.getPriority(nvic.EXC_SYSTICK)).toBe(0x00);
  });

  it("keeps the fixed negative priorities of Reset, NMI and HardFault", () => {
    nvic.setPriority(nvic.EXC_HARDFAULT, 0x80);
    nvic.setPriority(nvic.EXC_NMI, 0x80);
    expect(nvic.priorityOf(nvic.EXC_RESET)).toBe(-3);
    expect(nvic.priorityOf(nvic.EXC_NMI)).toBe(-2);
    expect(nvic.priorityOf(nvic.EXC_HARDFAULT)).toBe(-1);
  });

  it("chooses the pending exception with the higher priority (lower value)", () => {
    pendIrq(5, 0x40);
    const high = pendIrq(7, 0x20);
    expect(nvic.highestPending()).toBe(high);
    nvic.clearPending(high);
    expect(nvic.highestPending()).toBe(irq(5));
    nvic.clearPending(irq(5));
    expect(nvic.highestPending()).toBe(0);
  });

  it("breaks a priority tie with the lower exception number", () => {
    pendIrq(9, 0x50);
    pendIrq(4, 0x50);
    pendIrq(6, 0x50);
    expect(nvic.highestPending()).toBe(irq(4));
    // SysTick (15) at the same priority beats every IRQ (>= 16).
    nvic.setPriority(nvic.EXC_SYSTICK, 0x50);
    nvic.setPending(nvic.EXC_SYSTICK);
    expect(nvic.highestPending()).toBe(nvic.EXC_SYSTICK);
  });

  it("does not choose a disabled IRQ", () => {
    const masked = pendIrq(2, 0x10);
    const other = pendIrq(3, 0x80);
    nvic.setEnabled(masked, false);
    expect(nvic.highestPending()).toBe(other);
    expect(nvic.preempting()).toBe(other);
    nvic.clearPending(other);
    expect(nvic.highestPending()).toBe(0);
    expect(nvic.preempting()).toBe(0);
    // Still pending: enabling it makes it eligible.
    expect(nvic.isPending(masked)).toBe(true);
    nvic.setEnabled(masked, true);
    expect(nvic.highestPending()).toBe(masked);
  });

  it("preempts thread mode with any enabled pending exception", () => {
    const e = pendIrq(1, 0xF0);
    expect(nvic.executionPriority()).toBe(256);
    expect(nvic.preempting()).toBe(e);
  });

  it("preempts an active exception only with a strictly higher priority", () => {
    const running = irq(10);
    nvic.setPriority(running, 0x40);
    nvic.setEnabled(running, true);
    nvic.activate(running);
    expect(nvic.executionPriority()).toBe(0x40);

    const same = pendIrq(11, 0x40);
    expect(nvic.highestPending()).toBe(same);
    expect(nvic.preempting()).toBe(0);

    nvic.clearPending(same);
    pendIrq(12, 0x80);
    expect(nvic.preempting()).toBe(0);

    const higher = pendIrq(13, 0x30);
    expect(nvic.preempting()).toBe(higher);

    nvic.deactivate(running);
    expect(nvic.anyActive()).toBe(false);
    expect(nvic.preempting()).toBe(higher);
  });

  it("takes the execution priority from the highest-priority active exception", () => {
    nvic.setPriority(irq(20), 0x60);
    nvic.setPriority(irq(21), 0x20);
    nvic.activate(irq(20));
    nvic.activate(irq(21));
    expect(nvic.executionPriority()).toBe(0x20);
    pendIrq(22, 0x30);
    expect(nvic.preempting()).toBe(0);
    nvic.deactivate(irq(21));
    expect(nvic.executionPriority()).toBe(0x60);
    expect(nvic.preempting()).toBe(irq(22));
  });

  it("PRIMASK blocks every configurable priority but not HardFault or NMI", () => {
    const e = pendIrq(0, 0x00);
    nvic.setPrimask(true);
    expect(nvic.executionPriority()).toBe(0);
    expect(nvic.highestPending()).toBe(e);
    expect(nvic.preempting()).toBe(0);

    nvic.setPending(nvic.EXC_HARDFAULT);
    expect(nvic.highestPending()).toBe(nvic.EXC_HARDFAULT);
    expect(nvic.preempting()).toBe(nvic.EXC_HARDFAULT);

    nvic.setPending(nvic.EXC_NMI);
    expect(nvic.preempting()).toBe(nvic.EXC_NMI);

    nvic.clearPending(nvic.EXC_NMI);
    nvic.clearPending(nvic.EXC_HARDFAULT);
    nvic.setPrimask(false);
    expect(nvic.preempting()).toBe(e);
  });

  it("BASEPRI masks priorities numerically >= BASEPRI", () => {
    nvic.setBasepri(0x40);
    expect(nvic.executionPriority()).toBe(0x40);
    const equal = pendIrq(1, 0x40);
    expect(nvic.preempting()).toBe(0);
    nvic.clearPending(equal);
    const lower = pendIrq(2, 0x50);
    expect(nvic.preempting()).toBe(0);
    const higher = pendIrq(3, 0x30);
    expect(nvic.preempting()).toBe(higher);
    nvic.clearPending(higher);
    // BASEPRI = 0 masks nothing.
    nvic.setBasepri(0);
    expect(nvic.preempting()).toBe(lower);
  });

  it("BASEPRI does not lower a higher active priority", () => {
    nvic.setPriority(irq(5), 0x20);
    nvic.activate(irq(5));
    nvic.setBasepri(0x80);
    expect(nvic.executionPriority()).toBe(0x20);
  });

  it("PRIGROUP = 4: bits [4:0] are sub-priority, so 0x20 and 0x30 share a group", () => {
    nvic.setPrigroup(4);
    const running = irq(8);
    nvic.setPriority(running, 0x30);
    nvic.activate(running);
    // Group priority of 0x30 is 0x30 & 0xE0 = 0x20.
    expect(nvic.executionPriority()).toBe(0x20);

    const sameGroup = pendIrq(9, 0x20);
    expect(nvic.preempting()).toBe(0);

    // 0x10 is in group 0x00: it preempts.
    const higherGroup = pendIrq(10, 0x10);
    expect(nvic.preempting()).toBe(higherGroup);
    nvic.clearPending(higherGroup);

    // With PRIGROUP = 0 (bit 0 only is sub-priority), 0x20 preempts 0x30.
    nvic.setPrigroup(0);
    expect(nvic.executionPriority()).toBe(0x30);
    expect(nvic.preempting()).toBe(sameGroup);
  });

  it("PRIGROUP: sub-priority orders pending exceptions of the same group", () => {
    nvic.setPrigroup(4);
    pendIrq(30, 0x30);
    const sub = pendIrq(31, 0x20);
    // Same group (0x20), but sub-priority 0x00 < 0x10 wins over the lower number.
    expect(nvic.highestPending()).toBe(sub);
  });

  it("PRIGROUP applies to BASEPRI", () => {
    nvic.setPrigroup(5); // bits [5:0] are sub-priority: group = priority & 0xC0
    nvic.setBasepri(0x70);
    expect(nvic.executionPriority()).toBe(0x40);
    pendIrq(1, 0x40);
    expect(nvic.preempting()).toBe(0);
    const e = pendIrq(0, 0x30);
    expect(nvic.preempting()).toBe(e);
  });

  // preempting() and executionPriority() keep their answers between changes and update them in
  // place when an exception becomes pending (a context switch pends PendSV, then asks at once):
  // after any mix of operations, asked or not in between, they say what the registers say.
  it("keeps its cached arbitration equal to the registers' over random operation mixes", () => {
    const pool: i32[] = [nvic.EXC_NMI, nvic.EXC_HARDFAULT, nvic.EXC_SVCALL, nvic.EXC_PENDSV, nvic.EXC_SYSTICK,
      irq(0), irq(1), irq(2), irq(3), irq(31), irq(32), irq(63), irq(64), irq(81)];
    const levels: u8[] = [0x00, 0x10, 0x20, 0x30, 0x80, 0xF0];
    let compared = 0;
    let preempted = 0;
    let wrongPreempting = 0;
    let wrongExecution = 0;
    for (let round = 0; round < 50; round++) {
      nvic.reset();
      for (let step = 0; step < 400; step++) {
        const e = pool[next(pool.length)];
        switch (next(12)) {
          case 0: case 1: case 2: nvic.setPending(e); break;
          case 3: nvic.clearPending(e); break;
          case 4: nvic.setEnabled(e, next(3) != 0); break;
          case 5: nvic.activate(e); break;
          case 6: nvic.deactivate(e); break;
          case 7: nvic.setPriority(e, levels[next(levels.length)]); break;
          case 8: nvic.setPrimask(next(4) == 0); break;
          case 9: nvic.setBasepri(next(2) == 0 ? 0 : levels[next(levels.length)]); break;
          case 10: nvic.setPrigroup(<u32>next(8)); break;
          case 11: nvic.setLevel(e, next(2) == 0); break;
        }
        // Ask (and so fill the caches) only some of the time: updates then meet both a known and an unknown answer.
        // (Counted, not expected one by one: each expectation allocates, and the spec has no collector.)
        if (next(2) == 0) {
          if (nvic.preempting() != nvic.preemptingFromState()) wrongPreempting++;
          if (nvic.executionPriority() != nvic.executionPriorityFromState()) wrongExecution++;
          compared++;
          if (nvic.preemptingFromState() != 0) preempted++;
        }
      }
    }
    expect(wrongPreempting).toBe(0);
    expect(wrongExecution).toBe(0);
    expect(compared).toBeGreaterThan(5000);
    expect(preempted).toBeGreaterThan(1000); // the mixes reach the interesting answers, not only 0
  });
});
