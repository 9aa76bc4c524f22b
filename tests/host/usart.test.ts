import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

/**
 * Frame times from RM0090 §30.3.4: with oversampling by 16, baud = PCLK /
 * (16 x USARTDIV) and BRR = 16 x USARTDIV, so one bit lasts BRR PCLK cycles;
 * 8N1 is 10 bits; one PCLK cycle is (APB prescaler) core cycles: 4 on APB1
 * (42 MHz), 2 on APB2 (84 MHz) at the default 168 MHz set-up.
 */
const PCLK = { 1: 84_000_000, 2: 42_000_000, 6: 84_000_000 } as Record<number, number>;
const APB_DIV = { 1: 2, 2: 4, 6: 2 } as Record<number, number>;
const brrFor = (n: number, baud: number) => Math.floor((PCLK[n] + Math.floor(baud / 2)) / baud);
const frameFor = (n: number, baud: number) => BigInt(10 * brrFor(n, baud) * APB_DIV[n]);

const REGS = `
import { mmio, debug } from "hoprt";
const U2: u32 = 0x40004400;
function show(label: string, v: u32): void { debug.print(label + " 0x" + v.toString(16)); }
export function main(): void {
  show("gated-sr", mmio.read32(U2));
  mmio.write32(0x40023840, 1 << 17); // RCC_APB1ENR.USART2EN
  show("sr", mmio.read32(U2));
  show("dr", mmio.read32(U2 + 4));
  show("brr", mmio.read32(U2 + 8));
  show("cr1", mmio.read32(U2 + 0xC));
  show("cr2", mmio.read32(U2 + 0x10));
  show("cr3", mmio.read32(U2 + 0x14));
  show("gtpr", mmio.read32(U2 + 0x18));
  mmio.write32(U2, 0xFFFFFFFF);
  show("sr-write-ones", mmio.read32(U2));
  mmio.write32(U2, 0);
  show("sr-write-zero", mmio.read32(U2)); // TC cleared (rc_w0), TXE read-only
  mmio.write32(U2 + 0x10, 0xFFFFFFFF);
  mmio.write32(U2 + 0x14, 0xFFFFFFFF);
  mmio.write32(U2 + 0x8, 0xFFFFFFFF);
  show("cr2-mask", mmio.read32(U2 + 0x10));
  show("cr3-mask", mmio.read32(U2 + 0x14));
  show("brr-mask", mmio.read32(U2 + 0x8));
}
`;

function values(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const m = /^(\S+) 0x([0-9a-f]+)$/.exec(line);
    if (m) out[m[1]] = parseInt(m[2], 16);
  }
  return out;
}

describe("USART registers", () => {
  it("have their reset values, rc_w0 and read-only SR bits, masks, and do not answer without a clock", async () => {
    const m = await machine("usart-regs", REGS);
    m.runFor("1ms");
    expect(values(m.console.lines)).toEqual({
      "gated-sr": 0,
      sr: 0xC0, dr: 0, brr: 0, cr1: 0, cr2: 0, cr3: 0, gtpr: 0,
      "sr-write-ones": 0xC0,
      "sr-write-zero": 0x80,
      "cr2-mask": 0x7F6F,
      "cr3-mask": 0xFFF,
      "brr-mask": 0xFFFF,
    });
    expect(ofKind(m.trace.events(), "gated").map((e) => e.a >>> 0)).toEqual([0x40004400]);
  });
});

function timingApp(n: number, baud: number): string {
  return `
import { usart, debug, time, mmio } from "hoprt";
const N: u32 = ${n};
export function main(): void {
  usart.configure(N, ${baud});
  debug.print("brr " + mmio.read32(usart.base(N) + 8).toString());
  time.sleepMs(5); // the host sends three bytes meanwhile; nobody reads
  const sr1 = mmio.read32(usart.base(N));
  const dr = mmio.read32(usart.base(N) + 4);
  const sr2 = mmio.read32(usart.base(N));
  debug.print("sr 0x" + sr1.toString(16) + " dr " + dr.toString() + " sr 0x" + sr2.toString(16));
  const from = time.cycles();
  usart.print(N, "UVW");
  usart.flush(N);
  debug.print("from " + from.toString());
  debug.print("sent");
}
`;
}

describe("USART timing", () => {
  for (const [n, baud] of [[2, 9600], [2, 115200], [1, 115200], [6, 9600]] as const) {
    it(`USART${n} at ${baud} baud: BRR ${brrFor(n, baud)}, one byte every ${frameFor(n, baud)} cycles, RXNE then overrun`, async () => {
      const F = frameFor(n, baud);
      const m = await machine(`usart-timing-${n}-${baud}`, timingApp(n, baud));
      m.runFor(100_000);
      const W = 200_000n;
      m.uart(n).writeAt(W, "ABC");
      m.runFor("12ms");
      expect(m.panics()).toEqual([]);
      expect(m.console.lines[0]).toBe(`brr ${brrFor(n, baud)}`);
      expect(m.uart(n).frameCycles()).toBe(F);
      const events = m.trace.events();
      // Back to back on the wire: each byte ends one frame after the previous one.
      const rx = ofKind(events, "uart_rx");
      expect(rx.map((e) => `${e.cycle} ${e.a} ${String.fromCharCode(e.b)} ${e.c}`)).toEqual([
        `${W + F} ${n} A 0`, // RXNE
        `${W + 2n * F} ${n} B 1`, // overrun: lost
        `${W + 3n * F} ${n} C 1`,
      ]);
      // SR showed RXNE | ORE; reading SR then DR gave the first byte and cleared both.
      expect(m.console.lines[1]).toBe("sr 0xe8 dr 65 sr 0xc0");
      // The transmitter keeps the shift register busy: one frame after another.
      const tx = ofKind(events, "uart_tx");
      expect(tx.map((e) => String.fromCharCode(e.b)).join("")).toBe("UVW");
      expect(tx[1].cycle - tx[0].cycle).toBe(F);
      expect(tx[2].cycle - tx[1].cycle).toBe(F);
      const from = BigInt(m.console.lines[2].split(" ")[1]);
      // The first DR write comes a few instructions after "from"; its frame ends one frame later.
      expect(tx[0].cycle - from >= F && tx[0].cycle - from < F + 300n).toBe(true);
      expect(m.console.lines[3]).toBe("sent");
      expect(m.uart(n).text()).toBe("UVW");
    });
  }
});

const FORMATS = `
import { mmio, time, debug } from "hoprt";
const U2: u32 = 0x40004400;
const UE: u32 = 1 << 13, RE: u32 = 1 << 2, M: u32 = 1 << 12, OVER8: u32 = 1 << 15;
export function main(): void {
  mmio.write32(0x40023840, 1 << 17);
  mmio.write32(U2 + 8, 0x16D);
  mmio.write32(U2 + 0xC, UE | RE | OVER8); // 8 x 0x16 + (0xD & 7) = 181 PCLK cycles a bit
  time.sleepMs(5);
  mmio.write32(U2 + 0xC, 0);
  mmio.write32(U2 + 0x10, 2 << 12);        // 2 stop bits
  mmio.write32(U2 + 0xC, UE | RE | M);     // 9 data bits: 1 + 9 + 2 = 12 bits of 365 PCLK cycles
  time.sleepMs(5);
  mmio.write32(U2 + 0xC, UE);              // receiver off
  debug.print("done");
}
`;

describe("USART frame formats", () => {
  it("times OVER8, 9-bit and 2-stop-bit frames from BRR, and loses bytes while the receiver is off", async () => {
    const m = await machine("usart-formats", FORMATS);
    const u = m.uart(2);
    m.runFor(100_000);
    expect(u.frameCycles()).toBe(10n * 181n * 4n);
    u.writeAt(300_000n, [1, 2]);
    u.writeAt(1_200_000n, [3, 4]);
    u.writeAt(2_500_000n, [5]);
    m.runFor(3_000_000);
    expect(m.console.lines).toEqual(["done"]);
    const rx = ofKind(m.trace.events(), "uart_rx").map((e) => `${e.cycle} ${e.b} ${e.c}`);
    const A = 7240n, B = 17520n;
    expect(rx).toEqual([
      `${300_000n + A} 1 0`, `${300_000n + 2n * A} 2 1`,
      // Nobody read DR: RXNE from byte 1 is still set, so these overrun too.
      `${1_200_000n + B} 3 1`, `${1_200_000n + 2n * B} 4 1`,
      "2500000 5 2", // receiver off: lost at once
    ]);
    expect(u.receiving()).toBe(false);
  });
});

const TXE_IRQ = `
import { irq, usart, debug, mmio } from "hoprt";
const N: u32 = 2;
const text = "xyz";
let next: i32 = 0;
function onUsart2(): void {
  if (next < text.length) usart.write(N, <u32>text.charCodeAt(next++));
  else usart.enableTxInterrupt(N, false); // TXE stays 1: without this the handler would run again and again
}
export function main(): void {
  usart.configure(N, 115200);
  irq.attach(usart.irqOf(N), onUsart2, 5);
  irq.enable(usart.irqOf(N));
  usart.enableTxInterrupt(N);
}
`;

describe("USART interrupts", () => {
  it("the TXE interrupt feeds the transmitter one frame apart", async () => {
    const m = await machine("usart-txe", TXE_IRQ);
    m.runFor("2ms");
    const F = frameFor(2, 115200);
    const tx = ofKind(m.trace.events(), "uart_tx");
    expect(m.uart(2).text()).toBe("xyz");
    expect(tx[1].cycle - tx[0].cycle).toBe(F);
    expect(tx[2].cycle - tx[1].cycle).toBe(F);
    // Four entries: three bytes, then the one that turns TXEIE off.
    expect(ofKind(m.trace.events(), "isr_enter").filter((e) => e.a === 16 + 38)).toHaveLength(4);
  });

  it("refuses bad USART numbers, bytes and cycles with a clear Error", async () => {
    const m = await machine("usart-txe", TXE_IRQ);
    expect(() => m.uart(3)).toThrow("uart: 3 is not a USART of the model (1, 2 or 6)");
    expect(() => m.uart(0)).toThrow(/uart: 0 is not a USART/);
    expect(() => m.uart("2" as any)).toThrow(/uart: "2" is not a USART/);
    expect(() => m.uart(2).write([1, 256])).toThrow("uart(2).write: byte 1 is 256, not a whole number 0..255");
    expect(() => m.uart(2).write([0.5])).toThrow(/byte 0 is 0.5/);
    expect(() => m.uart(2).write(42 as any)).toThrow(/send a string, a Uint8Array or an array of bytes/);
    m.runFor(1000);
    expect(() => m.uart(2).writeAt(5n, "x")).toThrow(/uart\(2\)\.writeAt: cycle 5 is in the past/);
    expect(() => m.uart(2).on("line" as any, () => {})).toThrow(/unknown event "line"/);
  });
});
