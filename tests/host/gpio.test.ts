import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

/** Firmware that prints "label 0x..." lines; the test reads them back as a map. */
function values(lines: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) {
    const m = /^(\S+) 0x([0-9a-f]+)$/.exec(line);
    if (m) out.set(m[1], parseInt(m[2], 16));
  }
  return out;
}

const REGS = `
import { mmio, debug } from "hoprt";
const RCC_AHB1ENR: u32 = 0x40023830;
const RCC_AHB1RSTR: u32 = 0x40023810;
const A: u32 = 0x40020000, B: u32 = 0x40020400, D: u32 = 0x40020C00, E: u32 = 0x40021000;
const MODER: u32 = 0, OTYPER: u32 = 4, OSPEEDR: u32 = 8, PUPDR: u32 = 0xC, IDR: u32 = 0x10, ODR: u32 = 0x14, BSRR: u32 = 0x18, LCKR: u32 = 0x1C, AFRL: u32 = 0x20, AFRH: u32 = 0x24;
function show(label: string, v: u32): void { debug.print(label + " 0x" + v.toString(16)); }
export function main(): void {
  // Clock off: the port does not respond.
  show("gated-moder", mmio.read32(A + MODER));
  mmio.write32(D + ODR, 0xFFFF);
  mmio.write32(RCC_AHB1ENR, mmio.read32(RCC_AHB1ENR) | 0x1FF);
  show("d-odr-after-gated-write", mmio.read32(D + ODR));
  // Reset values.
  show("a-moder", mmio.read32(A + MODER));
  show("a-ospeedr", mmio.read32(A + OSPEEDR));
  show("a-pupdr", mmio.read32(A + PUPDR));
  show("a-idr", mmio.read32(A + IDR));
  show("b-moder", mmio.read32(B + MODER));
  show("b-ospeedr", mmio.read32(B + OSPEEDR));
  show("b-pupdr", mmio.read32(B + PUPDR));
  show("b-idr", mmio.read32(B + IDR));
  show("d-moder", mmio.read32(D + MODER));
  show("d-otyper", mmio.read32(D + OTYPER));
  show("d-odr", mmio.read32(D + ODR));
  show("d-idr", mmio.read32(D + IDR));
  show("d-lckr", mmio.read32(D + LCKR));
  show("d-afrh", mmio.read32(D + AFRH));
  show("d-reserved", mmio.read32(D + 0x3FC));
  // BSRR: set and reset of the same pin in one write: BS wins (RM0090 8.4.7).
  mmio.write32(D + MODER, 0x55000000);
  mmio.write32(D + BSRR, (1 << 13) | (1 << 14));
  mmio.write32(D + BSRR, (1 << 12) | (1 << 28) | (1 << 29));
  show("bsrr-both", mmio.read32(D + ODR));
  show("bsrr-reads", mmio.read32(D + BSRR));
  // IDR is read-only; ODR keeps 16 bits; IDR shows the outputs.
  mmio.write32(D + IDR, 0xFFFF);
  show("idr-readonly", mmio.read32(D + IDR));
  mmio.write32(D + ODR, 0xFFFFFFFF);
  show("odr-16", mmio.read32(D + ODR));
  show("idr-outputs", mmio.read32(D + IDR));
  // Open drain: ODR = 1 releases the pin to its pull; ODR = 0 pulls low.
  mmio.write32(D + ODR, 0);
  mmio.write32(D + OTYPER, 1 << 12);
  mmio.write32(D + PUPDR, 1 << 24); // PD12 pull-up
  mmio.write32(D + ODR, 1 << 12);
  show("od-released-pullup", mmio.read32(D + IDR) & (1 << 12));
  mmio.write32(D + ODR, 0);
  show("od-low", mmio.read32(D + IDR) & (1 << 12));
  // Pull-up on an input reads 1; the same pin in analog mode reads 0.
  mmio.write32(E + PUPDR, 1);
  show("input-pullup", mmio.read32(E + IDR) & 1);
  mmio.write32(E + MODER, 3);
  show("analog", mmio.read32(E + IDR) & 1);
  // The lock key sequence freezes PD12/PD13's configuration.
  mmio.write32(D + LCKR, 0x13000);
  mmio.write32(D + LCKR, 0x03000);
  mmio.write32(D + LCKR, 0x13000);
  show("lock-read1", mmio.read32(D + LCKR));
  show("lock-read2", mmio.read32(D + LCKR));
  mmio.write32(D + MODER, 0);
  mmio.write32(D + AFRH, 0xFFFFFFFF);
  show("locked-moder", mmio.read32(D + MODER));
  show("locked-afrh", mmio.read32(D + AFRH));
  mmio.write32(D + LCKR, 0);
  show("locked-lckr", mmio.read32(D + LCKR));
  // A wrong sequence (LCK changed between writes) does not lock.
  mmio.write32(E + LCKR, 0x10001);
  mmio.write32(E + LCKR, 0x00002);
  mmio.write32(E + LCKR, 0x10002);
  show("abort-lckr", mmio.read32(E + LCKR));
  mmio.write32(E + MODER, 0x1);
  show("abort-moder", mmio.read32(E + MODER));
  // A peripheral reset (RCC_AHB1RSTR) undoes everything, the lock too.
  mmio.write32(RCC_AHB1RSTR, 1 << 3);
  mmio.write32(RCC_AHB1RSTR, 0);
  show("reset-moder", mmio.read32(D + MODER));
  show("reset-lckr", mmio.read32(D + LCKR));
  show("reset-odr", mmio.read32(D + ODR));
}
`;

describe("GPIO registers", () => {
  it("have RM0090's reset values, BSRR set priority, read-only IDR, lock and gating", async () => {
    const m = await machine("gpio-regs", REGS);
    m.runFor("2ms");
    expect(m.panics()).toEqual([]);
    const v = values(m.console.lines);
    expect(Object.fromEntries(v)).toEqual({
      "gated-moder": 0,
      "d-odr-after-gated-write": 0,
      "a-moder": 0xA8000000,
      "a-ospeedr": 0x0C000000,
      "a-pupdr": 0x64000000,
      "a-idr": 0xA000, // PA13, PA15 pulled up, PA14 pulled down
      "b-moder": 0x280,
      "b-ospeedr": 0xC0,
      "b-pupdr": 0x100,
      "b-idr": 0x10, // PB4 pulled up
      "d-moder": 0,
      "d-otyper": 0,
      "d-odr": 0,
      "d-idr": 0,
      "d-lckr": 0,
      "d-afrh": 0,
      "d-reserved": 0,
      "bsrr-both": 0x5000, // PD12 set (BS12 beats BR12), PD13 reset, PD14 kept
      "bsrr-reads": 0,
      "idr-readonly": 0x5000,
      "odr-16": 0xFFFF,
      "idr-outputs": 0xF000, // outputs PD12..15; the floating inputs read 0
      "od-released-pullup": 0x1000,
      "od-low": 0,
      "input-pullup": 1,
      "analog": 0,
      "lock-read1": 0x13000,
      "lock-read2": 0x13000,
      "locked-moder": 0x05000000, // PD12, PD13 keep output mode
      "locked-afrh": 0xFF00FFFF, // AFRH: PD8..11 and PD14/15 written, PD12/13 (bits 16..23) kept
      "locked-lckr": 0x13000,
      "abort-lckr": 0x2,
      "abort-moder": 0x1,
      "reset-moder": 0,
      "reset-lckr": 0,
      "reset-odr": 0,
    });
    // Each access to the gated port left a trace event with its address.
    const gated = ofKind(m.trace.events(), "gated");
    expect(gated.map((e) => [e.a >>> 0, e.b])).toEqual([[0x40020000, 0], [0x40020C14, 1]]);
    const locks = ofKind(m.trace.events(), "gpio_lock");
    expect(locks.map((e) => [e.a, e.b])).toEqual([[3, 0x3000]]);
  });
});

const OUTPUT = `
import { gpio, board, time, debug } from "hoprt";
export function main(): void {
  board.initLeds();
  for (let i = 0; i < 3; i++) {
    const before = time.cycles();
    gpio.toggle(board.LED_ORANGE);
    const after = time.cycles();
    debug.print(before.toString() + " " + after.toString());
    time.sleepMs(1);
  }
}
`;

describe("GPIO outputs", () => {
  it("every output change is traced at the cycle of the bus write", async () => {
    const m = await machine("gpio-out", OUTPUT);
    const seen: Array<[number, bigint]> = [];
    m.gpio("PD13").on("change", (level, cycle) => seen.push([level, cycle]));
    m.runFor("5ms");
    const changes = ofKind(m.trace.events(), "gpio").filter((e) => e.a === 3 * 16 + 13);
    expect(changes.map((e) => e.b)).toEqual([1, 0, 1]);
    expect(changes.every((e) => e.c === 0)).toBe(true); // caused by the firmware
    m.console.lines.forEach((line, i) => {
      const [before, after] = line.split(" ").map(BigInt);
      // Costs are charged at the start of each straight-line region, so the write's cycle is within [before, after].
      expect(changes[i].cycle >= before && changes[i].cycle <= after).toBe(true);
    });
    expect(seen).toEqual(changes.map((e) => [e.b, e.cycle]));
    expect(m.gpio("PD13").get()).toBe(1);
    expect(m.gpio("PD13").mode()).toBe("output");
  });
});

const INPUT = `
import { gpio, time, debug } from "hoprt";
export function main(): void {
  gpio.configureInput(gpio.pin(gpio.PORT_A, 1), gpio.PULL_DOWN);
  gpio.configureInput(gpio.pin(gpio.PORT_C, 7), gpio.PULL_UP);
  while (true) {
    debug.print("PA1=" + (gpio.read(gpio.pin(gpio.PORT_A, 1)) ? "1" : "0") + " PC7=" + (gpio.read(gpio.pin(gpio.PORT_C, 7)) ? "1" : "0"));
    time.sleepMs(1);
  }
}
`;

describe("GPIO inputs from the host", () => {
  it("takes levels at their exact cycles and falls back to the pulls when released", async () => {
    const m = await machine("gpio-in", INPUT);
    m.runFor("500us");
    const pa1 = m.gpio("PA1");
    const pc7 = m.gpio("PC7");
    expect([pa1.get(), pc7.get()]).toEqual([0, 1]);
    pa1.setAt(300_000n, 1);
    pc7.setAt(300_000n, false);
    pa1.releaseAt(500_000n);
    pc7.releaseAt(500_000n);
    m.runFor(110_000); // to 194 000
    const now = m.cycles;
    pa1.set(true); // now
    pa1.set(0);
    m.runFor(400_000);
    const events = ofKind(m.trace.events(), "gpio");
    // Configuring PC7's pull-up raised it: a change caused by the firmware.
    expect(events.filter((e) => e.c === 0).map((e) => `${e.a} ${e.b}`)).toEqual(["39 1"]);
    const rows = events.filter((e) => e.c !== 0).map((e) => `${e.cycle} ${e.a} ${e.b} ${e.c}`);
    expect(rows).toEqual([
      `${now} 1 1 1`, `${now} 1 0 1`,
      "300000 1 1 2", "300000 39 0 2",
      "500000 1 0 2", "500000 39 1 2",
    ]);
    // The firmware reads what the host drives.
    expect(m.console.lines).toContain("PA1=1 PC7=0");
    expect(m.console.lines[m.console.lines.length - 1]).toBe("PA1=0 PC7=1");
    expect(pa1.driven()).toBe(false);
  });

  it("refuses bad pin names, levels and cycles with a clear Error", async () => {
    const m = await machine("gpio-in", INPUT);
    expect(() => m.gpio("PZ9")).toThrow('gpio: "PZ9": port Z does not exist on the STM32F407 (ports A..I)');
    expect(() => m.gpio("PA16")).toThrow('gpio: "PA16": pin 16 does not exist (pins 0..15)');
    expect(() => m.gpio("A0")).toThrow(/"A0" is not a pin name/);
    expect(() => m.gpio("PA0").set(2 as any)).toThrow('gpio("PA0").set: level must be 0, 1, true or false, got 2');
    expect(() => m.gpio("PA0").set("high" as any)).toThrow(/got "high"/);
    m.runFor(1000);
    expect(() => m.gpio("PA0").setAt(10n, 1)).toThrow(/gpio\("PA0"\)\.setAt: cycle 10 is in the past/);
    expect(() => m.gpio("PA0").on("rise" as any, () => {})).toThrow(/unknown event "rise"/);
    expect(m.gpio("pd12").name).toBe("PD12");
  });
});
