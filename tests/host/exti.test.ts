import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

const APP = `
import { irq, debug, exti, gpio, mmio, task, time } from "hoprt";
const PR: u32 = 0x40013C14;
const IMR: u32 = 0x40013C00;
let entries3: u32 = 0;
function onExti1(): void { debug.mark(1, mmio.read32(PR)); exti.clear(1); }
function onExti2(): void { debug.mark(2, mmio.read32(PR)); exti.clear(2); }
function onExti3(): void {
  entries3++;
  debug.mark(3, mmio.read32(PR));
  mmio.write32(PR, 0); // writing 0 clears nothing
  // The request stays high until PR is cleared: the handler is entered again.
  if (entries3 % 3 == 0) exti.clear(3);
}
function onExti4(): void { debug.mark(4, mmio.read32(PR)); exti.clear(4); }
function onExti9to5(): void { const pr = mmio.read32(PR); debug.mark(5, pr); mmio.write32(PR, pr & 0x3E0); }
function later(arg: u32): void {
  time.sleepMs(10);
  exti.trigger(4);
  // As on silicon, the handler is taken a little after the write (here: at the next check point).
  time.sleepMs(1);
  debug.print("PR 0x" + mmio.read32(PR).toString(16) + " IMR 0x" + mmio.read32(IMR).toString(16));
  debug.print("EXTICR 0x" + mmio.read32(0x40013808).toString(16) + " 0x" + mmio.read32(0x4001380C).toString(16) + " 0x" + mmio.read32(0x40013810).toString(16));
}
function input(port: u32, n: u32, edges: u32): void {
  const p = gpio.pin(port, n);
  gpio.configureInput(p, gpio.PULL_DOWN);
  exti.configure(p, edges);
}
export function main(): void {
  input(gpio.PORT_A, 1, exti.RISING);
  input(gpio.PORT_B, 2, exti.FALLING);
  input(gpio.PORT_C, 3, exti.BOTH);
  input(gpio.PORT_D, 4, exti.RISING);
  input(gpio.PORT_E, 7, exti.RISING);
  input(gpio.PORT_A, 8, exti.RISING);
  exti.mask(8);
  gpio.configureInput(gpio.pin(gpio.PORT_B, 1), gpio.PULL_DOWN); // not routed: line 1 is PA1's
  irq.attach(exti.irqOf(1), onExti1, 4);
  irq.attach(exti.irqOf(2), onExti2, 4);
  irq.attach(exti.irqOf(3), onExti3, 4);
  irq.attach(exti.irqOf(4), onExti4, 4);
  irq.attach(exti.irqOf(7), onExti9to5, 4);
  for (let line: u32 = 1; line <= 4; line++) irq.enable(exti.irqOf(line));
  irq.enable(exti.irqOf(7));
  task.build().entry(later).name("later").priority(6).spawn();
}
`;

const EXC = (irq: number) => 16 + irq;

describe("EXTI", () => {
  it("selects edges per line, routes through SYSCFG, pends exactly at the edge, and PR is write-1-to-clear", async () => {
    const m = await machine("exti", APP);
    m.runFor("1ms");
    const script: Array<[string, bigint, 0 | 1]> = [
      ["PA1", 400_000n, 1], // rising: EXTI1
      ["PA1", 500_000n, 0], // falling: not selected
      ["PB2", 600_000n, 1], // rising: not selected
      ["PB2", 700_000n, 0], // falling: EXTI2
      ["PC3", 800_000n, 1], // both edges: EXTI3
      ["PC3", 900_000n, 0],
      ["PE7", 1_000_000n, 1], // EXTI9_5
      ["PA8", 1_100_000n, 1], // masked: nothing
      ["PB1", 1_200_000n, 1], // line 1 is routed to port A: nothing
    ];
    for (const [pin, cycle, level] of script) m.gpio(pin).setAt(cycle, level);
    m.runFor("15ms");
    expect(m.panics()).toEqual([]);
    const events = m.trace.events();
    const extis = ofKind(events, "exti");
    const soft = extis.find((e) => e.b === 3)!;
    expect(extis.map((e) => `${e.cycle} ${e.a} ${e.b}`)).toEqual([
      "400000 1 1", "700000 2 2", "800000 3 1", "900000 3 2", "1000000 7 1", `${soft.cycle} 4 3`,
    ]);
    expect(soft.cycle > 1_680_000n).toBe(true);
    // The core sleeps at each edge: the handler starts 12 cycles later.
    const enters = ofKind(events, "isr_enter").filter((e) => e.a >= 16 && e.a !== EXC(28));
    const first = (exc: number, after: bigint) => enters.find((e) => e.a === exc && e.cycle >= after)!;
    expect(first(EXC(7), 0n).cycle).toBe(400_012n);
    expect(first(EXC(8), 0n).cycle).toBe(700_012n);
    expect(first(EXC(9), 800_000n).cycle).toBe(800_012n);
    expect(first(EXC(9), 900_000n).cycle).toBe(900_012n);
    expect(first(EXC(23), 0n).cycle).toBe(1_000_012n);
    // A handler that leaves its PR bit set is entered again (tail-chained): 3 entries per edge.
    const exti3 = enters.filter((e) => e.a === EXC(9));
    expect(exti3.map((e) => e.b)).toEqual([12, 6, 6, 12, 6, 6]);
    // Each handler saw its own pending bit in PR; the write of 0 cleared nothing.
    const marks = ofKind(events, "user_mark").map((e) => `${e.a}:${e.b.toString(16)}`);
    expect(marks).toEqual(["1:2", "2:4", "3:8", "3:8", "3:8", "3:8", "3:8", "3:8", "5:80", "4:10"]);
    expect(m.console.lines).toEqual([
      "PR 0x0 IMR 0x9e", // lines 1..4 and 7; 8 masked
      "EXTICR 0x2100 0x4003 0x0", // line 1 A, 2 B, 3 C | line 4 D, 7 E | line 8 A
    ]);
  });
});
