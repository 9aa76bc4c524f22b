/**
 * The cycle model against real Cortex-M4 code: each reference kernel of
 * tests/fidelity (AssemblyScript, run in the machine) must take within ±25 %
 * of the cycles its gcc -O2 build takes by the TRM's counts (the table in
 * tests/fidelity/README.md, derived from kernels.s).
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine } from "./support.js";

const KERNELS = fs.readFileSync(path.join(__dirname, "..", "fidelity", "kernels.ts"), "utf8");

/** Hand-derived counts from tests/fidelity/README.md. */
const REFERENCE: Record<string, number> = {
  crc32: 3979, count: 6004, copyWords: 1797, dot: 709, insertionSort: 9717, firQ15: 4950, formatU32: 217,
};
/**
 * Every kernel within ±25 % (the target). They came within it when the
 * model learned what gcc folds (weights.ts IDIOM_ROWS): SBFX and a shifted
 * second operand (crc32), MLA (firQ15), division by a constant (formatU32),
 * and, for insertionSort, a load reused from an if's condition and the
 * short-circuit `&&` as two conditional branches.
 */
const TOLERANCE: Record<string, number> = {};

// Each kernel runs several times between two time.cycles() reads; the fastest
// run is kept (a SysTick interrupt may land inside one). The cost of reading
// the clock is measured the same way and taken off.
const APP = KERNELS + `
import { task, time, debug } from "hoprt";
function best(which: i32, a: usize, b: usize): u64 {
  let min: u64 = u64.MAX_VALUE;
  const c = b + 512;
  for (let r = 0; r < 5; r++) {
    // The sort works in place: the same unsorted words before every run (untimed).
    if (which == 5) for (let i: u32 = 0; i < 64; i++) store<u32>(c + (<usize>i << 2), i * 2654435761);
    const t0 = time.cycles();
    if (which == 1) crc32(a, 64, 0);
    else if (which == 2) count(1000, 1);
    else if (which == 3) copyWords(a, b, 256);
    else if (which == 4) dot(a, b, 64);
    else if (which == 5) insertionSort(c, 64);
    else if (which == 6) firQ15(a, b, c, 32, 16);
    else if (which == 7) formatU32(1234567890, c, c + 16);
    const t = time.cycles() - t0;
    if (t < min) min = t;
  }
  return min;
}
function run(arg: u32): void {
  const a = heap.alloc(1024), b = heap.alloc(1024);
  for (let i: u32 = 0; i < 256; i++) { store<u32>(a + (<usize>i << 2), i * 2654435761); store<f32>(b + (<usize>i << 2), <f32>i * 0.5); }
  const empty = best(0, a, b);
  debug.print("crc32 " + (best(1, a, b) - empty).toString());
  debug.print("count " + (best(2, a, b) - empty).toString());
  debug.print("copyWords " + (best(3, a, b) - empty).toString());
  debug.print("dot " + (best(4, a, b) - empty).toString());
  debug.print("insertionSort " + (best(5, a, b) - empty).toString());
  let sorted = true;
  for (let i: u32 = 1; i < 64; i++) if (load<u32>(b + 512 + (<usize>i << 2)) < load<u32>(b + 512 + (<usize>(i - 1) << 2))) sorted = false;
  debug.print("sorted " + (sorted ? "yes" : "no"));
  debug.print("firQ15 " + (best(6, a, b) - empty).toString());
  debug.print("formatU32 " + (best(7, a, b) - empty).toString());
  formatU32(1234567890, b + 512, b + 528);
  debug.print("formatted " + String.UTF8.decodeUnsafe(b + 512, 10));
}
export function main(): void { task.build().entry(run).priority(0).spawn(); }
`;

let measured: Record<string, number> = {};
let lines: string[] = [];
beforeAll(async () => {
  const m = await machine("fidelity", APP);
  m.runFor("20ms");
  lines = m.console.lines;
  for (const line of m.console.lines) {
    const [name, cycles] = line.split(" ");
    measured[name] = Number(cycles);
  }
});

describe("modelled cycles against gcc -O2 on a Cortex-M4", () => {
  it("the kernels compute what their C twins do", () => {
    expect(lines).toContain("sorted yes");
    expect(lines).toContain("formatted 1234567890");
  });

  for (const [name, reference] of Object.entries(REFERENCE)) {
    const tolerance = TOLERANCE[name] ?? 0.25;
    it(`${name}: within ±${tolerance * 100} % of ${reference} cycles`, () => {
      const got = measured[name];
      expect(got, `${name} did not run`).toBeGreaterThan(0);
      const ratio = got / reference;
      expect(ratio, `${name}: modelled ${got} cycles, M4 ${reference} (ratio ${ratio.toFixed(2)})`).toBeGreaterThanOrEqual(1 - tolerance);
      expect(ratio, `${name}: modelled ${got} cycles, M4 ${reference} (ratio ${ratio.toFixed(2)})`).toBeLessThanOrEqual(1 + tolerance);
    });
  }
});
