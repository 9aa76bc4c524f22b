import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, ofKind } from "./support.js";

const SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/uart-echo/app.ts"), "utf8");
const USART2 = 16 + 38;
// 115200 baud from PCLK1 = 42 MHz: BRR = round(42e6 / 115200) = 365 (0x16D); 10 bits of 365 PCLK1 cycles, 4 core cycles each.
const F = 10n * 365n * 4n;

describe("examples/uart-echo", () => {
  it("echoes every byte one frame after it arrives, at the timing 115200 baud implies", async () => {
    const m = await machine("example-uart-echo", SOURCE);
    m.runFor("1ms");
    expect(m.console.lines).toEqual(["uart-echo: USART2 at 115200 baud"]);
    const uart = m.uart(2);
    expect(uart.frameCycles()).toBe(14_600n);
    const got: Array<[number, bigint]> = [];
    uart.on("data", (bytes, cycle) => { for (const b of bytes) got.push([b, cycle]); });
    const text = "Hello, HopRT!\n";
    const W = 1_000_000n;
    uart.writeAt(W, text);
    m.runFor("10ms");
    uart.write("again");
    const W2 = m.cycles;
    m.runFor("5ms");
    expect(m.panics()).toEqual([]);
    expect(uart.text()).toBe(text + "again");
    const events = m.trace.events();
    const rx = ofKind(events, "uart_rx");
    const tx = ofKind(events, "uart_tx");
    expect(rx.every((e) => e.c === 0)).toBe(true); // no overrun
    // Back to back on the wire, from the cycle each write started.
    rx.slice(0, text.length).forEach((e, k) => expect(e.cycle).toBe(W + BigInt(k + 1) * F));
    rx.slice(text.length).forEach((e, k) => expect(e.cycle).toBe(W2 + BigInt(k + 1) * F));
    // Each byte is echoed by the RXNE handler, entered 12 cycles after it arrives (the core sleeps between bytes),
    // and leaves the transmitter one frame after the handler's DR write: the same delay for every byte.
    const enters = ofKind(events, "isr_enter").filter((e) => e.a === USART2);
    expect(enters.map((e) => e.cycle)).toEqual(rx.map((e) => e.cycle + 12n));
    const delay = tx[0].cycle - rx[0].cycle;
    expect(delay >= F + 12n && delay < F + 500n).toBe(true);
    tx.forEach((e, k) => {
      expect(e.b).toBe(rx[k].b);
      expect(e.cycle - rx[k].cycle).toBe(delay);
    });
    expect(got.map(([, c]) => c)).toEqual(tx.map((e) => e.cycle));
  });

  it("a long write (more than the wire's 512-byte ring) stays back to back, however the host slices the run", async () => {
    const { firmware } = await import("./support.js");
    const { Machine } = await import("../../js/host/machine.js");
    const wasm = await firmware("example-uart-echo", SOURCE);
    const input = new Uint8Array(1500).map((_, i) => (i * 7) & 0xFF);
    const drive = (slices: number) => {
      const m = Machine.loadSync(wasm);
      m.runFor("1ms");
      m.uart(2).writeAt(500_000n, input);
      const total = 1500n * F + 2_000_000n;
      const end = m.cycles + total;
      for (let i = 0; i < slices - 1; i++) m.runFor(total / BigInt(slices));
      m.runFor(end - m.cycles);
      return m;
    };
    const whole = drive(1);
    const sliced = drive(37);
    const rx = ofKind(whole.trace.events(), "uart_rx");
    expect(rx).toHaveLength(1500);
    rx.forEach((e, k) => expect(e.cycle).toBe(500_000n + BigInt(k + 1) * F));
    expect(whole.uart(2).transmitted()).toEqual(input);
    const key = (m: typeof whole) => ofKind(m.trace.events(), "uart_rx", "uart_tx", "isr_enter").map((e) => `${e.cycle} ${e.kind} ${e.a} ${e.b}`).join("\n");
    expect(key(sliced)).toBe(key(whole));
  });
});
