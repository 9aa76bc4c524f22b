/**
 * assembly/mcu/clock.ts: the cycle clock (now() = epoch - budget) and the
 * alarm queue, a min-heap ordered by (due cycle, insertion order).
 */
import * as clock from "../../assembly/mcu/clock";

/** popDue's result for an alarm: kind << 16 | arg. */
function alarm(kind: i32, arg: i32): i32 { return (kind << 16) | arg; }

/** Empty the queue (the module has no reset; state persists between tests). */
function drain(): void {
  while (clock.popDue(i64.MAX_VALUE) >= 0) {}
}

describe("clock: alarm queue", () => {
  beforeEach(() => {
    drain();
    clock.setSliceEnd(i64.MAX_VALUE);
  });

  it("pops alarms in order of due cycle, only once they are due", () => {
    const t = clock.now();
    expect(clock.schedule(t + 50, 3, 1)).toBe(true);
    expect(clock.schedule(t + 10, 3, 2)).toBe(true);
    expect(clock.schedule(t + 30, 3, 3)).toBe(true);
    expect(clock.pendingAlarms()).toBe(3);
    expect(clock.nextDue()).toBe(t + 10);

    expect(clock.popDue(t + 9)).toBe(-1);
    expect(clock.popDue(t + 10)).toBe(alarm(3, 2));
    expect(clock.popDue(t + 10)).toBe(-1);
    expect(clock.nextDue()).toBe(t + 30);
    expect(clock.popDue(t + 100)).toBe(alarm(3, 3));
    expect(clock.popDue(t + 100)).toBe(alarm(3, 1));
    expect(clock.popDue(t + 100)).toBe(-1);
    expect(clock.pendingAlarms()).toBe(0);
    expect(clock.nextDue()).toBe(i64.MAX_VALUE);
  });

  it("pops alarms due on the same cycle in insertion (FIFO) order", () => {
    const t = clock.now();
    for (let i = 1; i <= 9; i++) clock.schedule(t + 20, 4, <u16>i);
    for (let i = 1; i <= 9; i++) expect(clock.popDue(t + 20)).toBe(alarm(4, i));
    expect(clock.popDue(t + 20)).toBe(-1);
  });

  it("orders mixed due cycles by cycle, then insertion", () => {
    const t = clock.now();
    const dues: i64[] = [40, 20, 20, 10, 40, 20, 5, 20];
    for (let i = 0; i < dues.length; i++) clock.schedule(t + dues[i], 2, <u16>i);
    // (5,6) (10,3) (20,1) (20,2) (20,5) (20,7) (40,0) (40,4)
    const expected: i32[] = [6, 3, 1, 2, 5, 7, 0, 4];
    for (let i = 0; i < expected.length; i++) {
      expect(clock.popDue(t + 40)).toBe(alarm(2, expected[i]));
    }
    expect(clock.pendingAlarms()).toBe(0);
  });

  it("cancel(kind) removes only that kind", () => {
    const t = clock.now();
    for (let i = 0; i < 10; i++) {
      clock.schedule(t + 100 - <i64>i * 7, (i & 1) != 0 ? 6 : 5, <u16>i);
    }
    clock.cancel(5);
    expect(clock.pendingAlarms()).toBe(5);
    // The odd-numbered (kind 6) alarms remain, latest-inserted first (earliest due).
    const expected: i32[] = [9, 7, 5, 3, 1];
    for (let i = 0; i < expected.length; i++) {
      expect(clock.popDue(t + 100)).toBe(alarm(6, expected[i]));
    }
    expect(clock.popDue(t + 100)).toBe(-1);
  });

  it("cancel(kind) removes every alarm of that kind when a removal reorders the heap", () => {
    const t = clock.now();
    // Inserted in this order, the heap array is [1, 10, 2, 11, 12, 3]: removing
    // the 12 (index 4) moves the 3 from the end up over the 10, which lands at index 4.
    clock.schedule(t + 1, 7, 1);
    clock.schedule(t + 10, 9, 10);
    clock.schedule(t + 2, 7, 2);
    clock.schedule(t + 11, 7, 11);
    clock.schedule(t + 12, 9, 12);
    clock.schedule(t + 3, 7, 3);
    clock.cancel(9);
    expect(clock.pendingAlarms()).toBe(4);
    expect(clock.popDue(t + 20)).toBe(alarm(7, 1));
    expect(clock.popDue(t + 20)).toBe(alarm(7, 2));
    expect(clock.popDue(t + 20)).toBe(alarm(7, 3));
    expect(clock.popDue(t + 20)).toBe(alarm(7, 11));
    expect(clock.popDue(t + 20)).toBe(-1);
  });

  it("cancel(kind, arg) removes only that kind and argument", () => {
    const t = clock.now();
    clock.schedule(t + 1, 2, 5);
    clock.schedule(t + 2, 2, 6);
    clock.schedule(t + 3, 3, 5);
    clock.schedule(t + 4, 2, 5);
    clock.cancel(2, 5);
    expect(clock.pendingAlarms()).toBe(2);
    expect(clock.popDue(t + 4)).toBe(alarm(2, 6));
    expect(clock.popDue(t + 4)).toBe(alarm(3, 5));
    expect(clock.popDue(t + 4)).toBe(-1);
  });

  it("schedule returns false when ALARM_CAPACITY alarms are queued", () => {
    const t = clock.now();
    for (let i = 0; i < clock.ALARM_CAPACITY; i++) {
      expect(clock.schedule(t + 1000 - <i64>i, 1, <u16>i)).toBe(true);
    }
    expect(clock.pendingAlarms()).toBe(128);
    expect(clock.schedule(t + 1, 1, 999)).toBe(false);
    expect(clock.pendingAlarms()).toBe(128);
    // The refused alarm was not queued: the earliest is still the last accepted one.
    expect(clock.nextDue()).toBe(t + 1000 - 127);
    expect(clock.popDue(t + 1000)).toBe(alarm(1, 127));
    expect(clock.schedule(t + 1, 1, 999)).toBe(true);
    expect(clock.pendingAlarms()).toBe(128);
  });
});

describe("clock: now() = epoch - budget", () => {
  beforeEach(() => {
    drain();
    clock.setSliceEnd(i64.MAX_VALUE);
  });

  it("setSliceEnd and rearm keep now(); advance(n) moves it by n", () => {
    const t = clock.now();
    clock.setSliceEnd(t + 1000);
    expect(clock.now()).toBe(t);
    expect(clock.left()).toBe(1000);
    expect(clock.getSliceEnd()).toBe(t + 1000);

    clock.rearm();
    expect(clock.now()).toBe(t);
    expect(clock.left()).toBe(1000);

    clock.advance(300);
    expect(clock.now()).toBe(t + 300);
    expect(clock.left()).toBe(700);

    clock.rearm();
    expect(clock.now()).toBe(t + 300);
    expect(clock.left()).toBe(700);

    // Crossing the deadline leaves the budget negative.
    clock.advance(900);
    expect(clock.now()).toBe(t + 1200);
    expect(clock.left()).toBe(-200);

    // A passed deadline re-arms to "now": nothing left to spend.
    clock.rearm();
    expect(clock.now()).toBe(t + 1200);
    expect(clock.left()).toBe(0);
  });

  it("arms the budget for the earliest alarm before the slice end", () => {
    const t = clock.now();
    clock.setSliceEnd(t + 1000);
    clock.schedule(t + 250, 1, 0);
    expect(clock.now()).toBe(t);
    expect(clock.left()).toBe(250);
    clock.cancel(1);
    expect(clock.now()).toBe(t);
    expect(clock.left()).toBe(1000);
  });

  it("caps one budget at 2^29 cycles", () => {
    const t = clock.now();
    clock.setSliceEnd(t + (<i64>1 << 40));
    expect(clock.now()).toBe(t);
    expect(clock.left()).toBe(1 << 29);
  });

  it("advanceTo jumps forward only", () => {
    const t = clock.now();
    clock.advanceTo(t + 77);
    expect(clock.now()).toBe(t + 77);
    clock.advanceTo(t + 10);
    expect(clock.now()).toBe(t + 77);
  });

  it("advance beyond the i32 budget range keeps exact time", () => {
    const t = clock.now();
    clock.setSliceEnd(t);
    expect(clock.left()).toBe(0);
    clock.advance(3_000_000_000);
    expect(clock.now()).toBe(t + 3_000_000_000);
    expect(clock.left()).toBeLessThan(0);
    clock.advanceTo(t + 8_000_000_000);
    expect(clock.now()).toBe(t + 8_000_000_000);
    clock.setSliceEnd(i64.MAX_VALUE);
    expect(clock.now()).toBe(t + 8_000_000_000);
    expect(clock.left()).toBe(1 << 29);
    // Small steps still spend the budget.
    clock.advance(5);
    expect(clock.now()).toBe(t + 8_000_000_005);
    expect(clock.left()).toBe((1 << 29) - 5);
  });

  it("requestCheck makes the budget negative without changing now()", () => {
    const t = clock.now();
    clock.setSliceEnd(t + 500);
    clock.advance(123);
    clock.requestCheck();
    expect(clock.now()).toBe(t + 123);
    expect(clock.left()).toBeLessThan(0);
    expect(clock.budget).toBe(clock.BUDGET_BIAS - 1); // biased: never a heap address
    expect(clock.left()).toBe(-1);
    clock.rearm();
    expect(clock.now()).toBe(t + 123);
    expect(clock.left()).toBe(377);
  });
});
