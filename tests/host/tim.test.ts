import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

/**
 * RM0090 §18.3.2: CK_CNT = CK_INT / (PSC + 1), an update every ARR + 1
 * counts. At the default 168 MHz set-up the APB1 timer clock is 2 x 42 MHz
 * = 84 MHz: one CK_INT period is 2 core cycles.
 */
const period = (psc: number, arr: number) => BigInt((psc + 1) * (arr + 1) * 2);

const SETUPS: Array<[number, number, number]> = [
  [2, 0, 999],      // 2 000 cycles
  [3, 83, 999],     // 168 000 (1 kHz)
  [4, 8399, 9],     // 168 000, the other way round
  [5, 1, 65535],    // 262 144 (TIM5 is 32-bit)
];

const PERIODS = `
import { timer, debug, mmio } from "hoprt";
export function main(): void {
${SETUPS.map(([n, psc, arr]) => `  timer.start(${n}, ${psc}, ${arr});`).join("\n")}
  debug.print("started");
}
`;

describe("TIM2..TIM5 update period", () => {
  it("is (PSC + 1)(ARR + 1) timer clocks, exactly, for several PSC/ARR", async () => {
    const m = await machine("tim-periods", PERIODS);
    m.runFor("10ms");
    const updates = ofKind(m.trace.events(), "tim_update");
    for (const [n, psc, arr] of SETUPS) {
      const P = period(psc, arr);
      const mine = updates.filter((e) => e.a === n);
      expect(mine[0].b).toBe(1); // the UG in timer.start
      const overflows = mine.filter((e) => e.b === 0);
      expect(overflows.length).toBe(Number((m.cycles - mine[0].cycle) / P));
      // The counter starts at CEN, a few instructions after UG.
      const lag = overflows[0].cycle - mine[0].cycle - P;
      expect(lag >= 0n && lag < 200n).toBe(true);
      for (let i = 1; i < overflows.length; i++) expect(overflows[i].cycle - overflows[i - 1].cycle).toBe(P);
    }
  });
});

const IRQ = `
import { timer, irq, debug, time, task } from "hoprt";
function onTim2(): void { timer.clearUpdate(2); }
function reader(arg: u32): void {
  for (let i = 0; i < 5; i++) {
    time.sleepMs(7); // wakes at 7, 14, 21, 28, 35 ms: the core is asleep at each update

    const c = time.cycles();
    const v = timer.count(2);
    debug.print(c.toString() + " " + v.toString());
  }
}
export function main(): void {
  irq.attach(timer.irqOf(2), onTim2, 3);
  irq.enable(timer.irqOf(2));
  // Half a tick out of phase with SysTick, so no update falls inside the tick's own handler.
  while (time.cycles() < 84_000) {}
  timer.start(2, 8399, 99); // 10 kHz counter, an update every 100 counts: 10 ms
  timer.enableUpdateInterrupt(2);
  task.build().entry(reader).priority(6).spawn();
}
`;

describe("TIM2 update interrupt and counter", () => {
  it("raises the IRQ at the update's exact cycle and CNT reads back right at any cycle", async () => {
    const m = await machine("tim-irq", IRQ);
    m.runFor("40ms");
    expect(m.panics()).toEqual([]);
    const events = m.trace.events();
    const updates = ofKind(events, "tim_update").filter((e) => e.a === 2);
    const overflows = updates.filter((e) => e.b === 0);
    expect(overflows.length).toBe(3);
    const P = period(8399, 99);
    expect(P).toBe(1_680_000n);
    for (const u of overflows) {
      const raise = ofKind(events, "irq_raise").find((e) => e.a === 16 + 28 && e.cycle === u.cycle);
      expect(raise?.b).toBe(3); // a peripheral request
      const enter = ofKind(events, "isr_enter").find((e) => e.a === 16 + 28 && e.cycle >= u.cycle)!;
      expect(enter.cycle).toBe(u.cycle + 12n); // the core was asleep
    }
    // Exactly one entry per update: the handler clears UIF, so the level-sensitive line falls.
    expect(ofKind(events, "isr_enter").filter((e) => e.a === 16 + 28)).toHaveLength(3);
    // CNT = whole counts (16 800 cycles each) since the last update or the start.
    const count = 16_800n;
    const starts = [updates[0].cycle, ...overflows.map((e) => e.cycle)];
    for (const line of m.console.lines) {
      const [c, v] = line.split(" ").map(BigInt);
      const base = starts.filter((s) => s <= c).pop()!;
      // The bus read is at most a few cycles after c; allow the counter's start lag (CEN after UG).
      const lo = (c - base - 200n) / count;
      const hi = (c + 50n - base) / count;
      expect(v >= (lo < 0n ? 0n : lo) && v <= hi).toBe(true);
      expect(v < 100n).toBe(true);
    }
    expect(m.console.lines).toHaveLength(5);
  });
});
