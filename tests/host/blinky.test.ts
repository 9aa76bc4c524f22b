import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, ofKind } from "./support.js";

const SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/blinky/app.ts"), "utf8");

// TIM2: 84 MHz / (8399 + 1) = 10 kHz, 2499 + 1 counts: 250 ms = 42 000 000 core cycles at 168 MHz.
const PERIOD = 2n * 8400n * 2500n;
const LEDS = [["PD12", "green"], ["PD13", "orange"], ["PD14", "red"], ["PD15", "blue"]] as const;

describe("examples/blinky", () => {
  it("counts in binary on the four LEDs, one step per TIM2 update, every 250 ms exactly", async () => {
    const m = await machine("example-blinky", SOURCE);
    m.runFor("2100ms");
    expect(m.panics()).toEqual([]);
    expect(PERIOD).toBe(42_000_000n);
    const events = m.trace.events();
    const updates = ofKind(events, "tim_update").filter((e) => e.a === 2 && e.b === 0);
    expect(updates).toHaveLength(8);
    for (let k = 1; k < updates.length; k++) expect(updates[k].cycle - updates[k - 1].cycle).toBe(PERIOD);
    const changes = ofKind(events, "gpio");
    // Step k (k = 1..8) shows k in binary: LED i toggles when bit i of k changes.
    let latency: bigint | null = null;
    for (const [i, [pin]] of LEDS.entries()) {
      const mine = changes.filter((e) => e.a === 3 * 16 + 12 + i);
      const expected = updates.map((u, k) => ({ u, level: ((k + 1) >> i) & 1, before: (k >> i) & 1 })).filter((x) => x.level !== x.before);
      expect(mine.map((e) => e.b)).toEqual(expected.map((x) => x.level));
      for (const [j, e] of mine.entries()) {
        const d = e.cycle - expected[j].u.cycle;
        latency ??= d;
        expect(d).toBe(latency); // the same handler path after every update
      }
      expect(m.gpio(pin).get()).toBe((8 >> i) & 1);
    }
    // Entry (12 cycles, the core asleep) plus the handler's few instructions.
    expect(latency! >= 12n && latency! < 500n).toBe(true);
    expect(m.console.lines).toEqual([
      "step 1: green - - -",
      "step 2: - orange - -",
      "step 3: green orange - -",
      "step 4: - - red -",
      "step 5: green - red -",
      "step 6: - orange red -",
      "step 7: green orange red -",
      "step 8: - - - blue",
    ]);
  });

  it("exports a VCD with the four LED pins, the TIM2 line and the running task", async () => {
    const m = await machine("example-blinky", SOURCE);
    m.runFor("600ms");
    const vcd = m.trace.toVcd();
    expect(vcd).toContain("$timescale 1ps $end");
    const ids = new Map<string, string>();
    for (const match of vcd.matchAll(/\$var wire (\d+) (\S+) (\S+) \$end/g)) ids.set(match[3], match[2]);
    expect([...ids.keys()]).toEqual(["PD12", "PD13", "TIM2", "task"]);
    // PD12's first rise: at its cycle x 10^12 / 168 MHz picoseconds.
    const rise = ofKind(m.trace.events(), "gpio").find((e) => e.a === 60)!;
    const ps = (rise.cycle * 1_000_000_000_000n) / 168_000_000n;
    const lines = vcd.split("\n");
    const at = lines.indexOf(`#${ps}`);
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 3)).toContain(`1${ids.get("PD12")}`);
    expect(lines.indexOf("$enddefinitions $end")).toBeLessThan(at);
  });
});
