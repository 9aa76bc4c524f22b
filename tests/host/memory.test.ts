import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

const APP = `
import { task, time, debug } from "hoprt";
function chatty(arg: u32): void {
  for (let n: u32 = 0; ; n++) {
    debug.print("n=" + n.toString());
    if ((n & 63) == 63) time.sleepMs(1);
  }
}
export function main(): void {
  task.build().entry(chatty).arg(1).priority(5).spawn();
  task.build().entry(chatty).arg(2).priority(5).spawn();
}
`;

describe("memory", () => {
  it("the print-in-a-loop pattern runs in constant memory", async () => {
    const m = await machine("chatty", APP);
    let peakAfterWarmup = 0;
    for (let slice = 0; slice < 40; slice++) {
      m.runFor("5ms");
      if (slice >= 5) peakAfterWarmup = Math.max(peakAfterWarmup, m.memory().heapUsed);
      m.console.lines.length = 0; // the host keeps only what it needs
    }
    const gcs = ofKind(m.trace.events(), "gc").length;
    expect(gcs).toBeGreaterThan(10);
    const mem = m.memory();
    expect(mem.heapPeak).toBeLessThan(mem.heapCapacity / 2);
    expect(peakAfterWarmup).toBeLessThan(40_000);
    // Still printing at the end: nothing died of exhaustion.
    m.runFor("1ms");
    expect(m.console.lines.length).toBeGreaterThan(0);
    expect(ofKind(m.trace.events(), "panic")).toEqual([]);
  });
});
