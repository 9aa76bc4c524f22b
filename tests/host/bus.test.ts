import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

const APP = `
import { task, mmio, debug } from "hoprt";
function reads(addr: u32): void {
  debug.print("read 0x" + addr.toString(16));
  const v = mmio.read32(addr);
  debug.print("got 0x" + v.toString(16) + " from 0x" + addr.toString(16));
}
function writes(addr: u32): void {
  debug.print("write 0x" + addr.toString(16));
  mmio.write32(addr, 1);
  debug.print("wrote 0x" + addr.toString(16));
}
export function main(): void {
  mmio.write32(0x40023830, 1 << 3); // GPIOD clock
  task.build().entry(reads).arg(0x40004800).name("usart3").priority(3).spawn();   // USART3: not modeled
  task.build().entry(writes).arg(0x50000000).name("otg").priority(3).spawn();     // USB OTG FS: not modeled
  task.build().entry(reads).arg(0x40020C02).name("unaligned").priority(3).spawn();
  task.build().entry(reads).arg(0x40020C3C).name("reserved").priority(3).spawn(); // inside GPIOD's window
  task.build().entry(reads).arg(0x40013C00).name("exti").priority(3).spawn();     // EXTI has no clock gate
}
`;

describe("the peripheral bus", () => {
  it("an address no peripheral answers is a bus fault: the task panics with the address", async () => {
    const m = await machine("bus-fault", APP);
    const result = m.runFor("2ms");
    expect(result.reason).toBe("cycles");
    expect(m.panics().map((p) => [p.where, p.reason, p.detail >>> 0])).toEqual([
      ["task usart3", "bus fault", 0x40004800],
      ["task otg", "bus fault", 0x50000000],
      ["task unaligned", "bus fault", 0x40020C02],
    ]);
    expect(m.console.lines).toEqual([
      "read 0x40004800",
      "write 0x50000000",
      "read 0x40020c02",
      "read 0x40020c3c",
      "got 0x0 from 0x40020c3c",
      "read 0x40013c00",
      "got 0x0 from 0x40013c00",
    ]);
    expect(ofKind(m.trace.events(), "panic").map((e) => e.a)).toEqual([7, 7, 7]);
  });
});
