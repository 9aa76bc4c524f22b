import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, ofKind } from "./support.js";

const SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/button/app.ts"), "utf8");
const EXTI0 = 16 + 6;

describe("examples/button", () => {
  it("a press on PA0 pends EXTI0 at its cycle; the handler's semaphore wakes the task that toggles PD15", async () => {
    const m = await machine("example-button", SOURCE);
    m.runFor("1ms");
    const presses = [1_000_000n, 5_000_000n, 9_000_000n];
    const button = m.gpio("PA0");
    for (const c of presses) {
      button.setAt(c, 1);
      button.setAt(c + 2_000_000n, 0); // released 12 ms later: a falling edge, not selected
    }
    const blue: Array<[number, bigint]> = [];
    m.gpio("PD15").on("change", (level, cycle) => blue.push([level, cycle]));
    m.runFor("80ms");
    expect(m.panics()).toEqual([]);
    const events = m.trace.events();
    expect(ofKind(events, "exti").map((e) => `${e.cycle} ${e.a} ${e.b}`)).toEqual(presses.map((c) => `${c} 0 1`));
    const enters = ofKind(events, "isr_enter").filter((e) => e.a === EXTI0);
    expect(enters.map((e) => e.cycle)).toEqual(presses.map((c) => c + 12n)); // the core was asleep
    expect(blue.map(([level]) => level)).toEqual([1, 0, 1]);
    blue.forEach(([, cycle], i) => expect(cycle > presses[i] + 12n && cycle < presses[i] + 5_000n).toBe(true));
    // The task printed the tick count at each press.
    const ticks = ofKind(events, "irq_raise").filter((e) => e.a === 15);
    const tickAt = (c: bigint) => ticks.filter((t) => t.cycle <= c).length;
    expect(m.console.lines).toEqual([
      "press the user button (PA0)",
      ...presses.map((c, i) => `press ${i + 1} at tick ${tickAt(c)}`),
    ]);
  });
});
