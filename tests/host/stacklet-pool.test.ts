/**
 * The stacklet pool (assembly/kernel/stack/pool.ts): a stacklet returned by
 * one task serves the next task's extension without an allocation; the idle
 * task gives an unused one back to the heap; a collection gives it back when
 * memory runs short, so the pool never makes an allocation fail; and
 * `--stacklet-pool 0` frees every stacklet at once.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { Machine } from "../../js/host/machine.js";
import { build } from "../../js/compiler/build.js";
import { firmware, ofKind } from "./support.js";

const APP = `
import { task, time, debug, stack } from "hoprt";
function recurse(n: u32, acc: u32): u32 {
  if (n == 0) return acc;
  return recurse(n - 1, acc + n) + 1;
}
let resultA: u32 = 0, resultB: u32 = 0, allocationsA: i32 = 0, allocationsB: i32 = 0;
let chunks: u32 = 0;
const kept: StaticArray<u8>[] = [];
// Twice: the second pass takes one stacklet of the size the first one learned, and returns it to the pool.
function deepA(arg: u32): void {
  const before = stack.extensions();
  resultA = recurse(40, arg);
  resultA = recurse(40, arg);
  allocationsA = stack.extensions() - before;
}
function deepB(arg: u32): void {
  const before = stack.extensions();
  resultB = recurse(40, arg);
  allocationsB = stack.extensions() - before;
}
// Fills the heap a chunk at a time until it is out of memory (it panics then).
function filler(arg: u32): void {
  task.build().entry(deepA).arg(1).priority(9).name("deepA").spawn();
  time.sleepMs(1);
  while (true) { kept.push(new StaticArray<u8>(256)); chunks++; }
}
export function main(): void {
  task.build().entry(deepA).arg(1).priority(9).name("deepA").spawn();
  time.sleepMs(2);
  task.build().entry(deepB).arg(2).priority(9).name("deepB").spawn();
  time.sleepMs(2);
  debug.print("A " + resultA.toString() + " " + allocationsA.toString() + " B " + resultB.toString() + " " + allocationsB.toString());
  time.sleepMs(60);
  debug.print("aged");
  time.sleepMs(10);
  task.build().entry(filler).priority(9).name("filler").spawn();
  time.sleepMs(50);
  debug.print("chunks " + chunks.toString());
}
`;

const expected = (arg: number) => 40 + arg + (40 * 41) / 2;

describe("the stacklet pool", () => {
  let pooled: Uint8Array;
  let unpooled: Uint8Array;
  beforeAll(async () => {
    pooled = await firmware("stacklet-pool", APP);
    unpooled = await firmware("stacklet-pool-0", APP, { stackletPool: 0 });
  }, 300_000);

  it("one task's returned stacklet serves another task's deep phase without an allocation", () => {
    const m = Machine.loadSync(pooled);
    m.runFor("1ms");
    const before = m.memory();
    m.runFor("5ms");
    expect(m.console.lines[0]).toMatch(/^A \d+ \d+ B \d+ \d+$/);
    const [, a, allocA, , b, allocB] = m.console.lines[0].split(" ").map(Number);
    expect([a, b]).toEqual([expected(1), expected(2)]);
    expect(allocA).toBeGreaterThanOrEqual(1);
    expect(allocB).toBe(0);
    // Both tasks have ended: the stacklet is pooled, held by no one.
    const after = m.memory();
    expect(after.stackletsPooled).toBe(1);
    expect(after.stackletPooledBytes).toBeGreaterThan(40 * 16);
    expect(after.stacklets - after.stackletsPooled).toBe(before.stacklets - before.stackletsPooled);
    // Each task took a stacklet and gave it back: the trace follows every one (its counter track).
    const mainId = m.tasks().find((t) => t.name === "main")!.id;
    const takes = ofKind(m.trace.events(), "stacklet_alloc").filter((e) => e.context !== mainId);
    const gives = ofKind(m.trace.events(), "stacklet_free").filter((e) => e.context !== mainId);
    expect(takes.length).toBe(gives.length);
    expect(takes.length).toBeGreaterThanOrEqual(2);
    expect(gives.at(-1)!.b).toBe(0);
  });

  it("the idle task gives a stacklet unused for 20 ms back to the heap: stack memory is what it is without a pool", () => {
    const at = (wasm: Uint8Array, time: string) => {
      const m = Machine.loadSync(wasm, { collectTrace: false });
      m.runFor(time);
      expect(m.panics()).toEqual([]);
      return m.memory();
    };
    // 20 ms after deepB returned, and 19: the pooled stacklet is still there.
    expect(at(pooled, "23ms").stackletsPooled).toBe(1);
    const aged = at(pooled, "66ms");
    const plain = at(unpooled, "66ms");
    expect(aged.stackletsPooled).toBe(0);
    expect(aged.stackletPooledBytes).toBe(0);
    expect(plain.stackletsPooled).toBe(0);
    expect(aged.stackDynamicBytes).toBe(plain.stackDynamicBytes);
    expect(aged.stackletBytes).toBe(plain.stackletBytes);
    expect(aged.stacklets).toBe(plain.stacklets);
  });

  it("out of memory comes only once the pooled stacklets are back in the heap: the pool costs no usable memory", () => {
    const chunksOf = (wasm: Uint8Array) => {
      const m = Machine.loadSync(wasm, { collectTrace: false });
      m.runFor("200ms");
      expect(m.panics().map((p) => [p.where, p.reason])).toEqual([["task filler", "out of memory"]]);
      return Number(m.console.lines.find((l) => l.startsWith("chunks "))!.split(" ")[1]);
    };
    const withPool = chunksOf(pooled);
    const withoutPool = chunksOf(unpooled);
    expect(withPool).toBeGreaterThan(100);
    // The same heap either way (the pool build's table is a few bytes: at most one chunk apart).
    expect(Math.abs(withPool - withoutPool)).toBeLessThanOrEqual(1);
  });

  it("--stacklet-pool 0 gives every stacklet back to the heap when its function returns, as Hopter's", () => {
    const m = Machine.loadSync(unpooled);
    m.runFor("6ms");
    const [, , allocA, , , allocB] = m.console.lines[0].split(" ").map(Number);
    // deepA's second pass allocates one stacklet of the learned size; deepB learns anew, as deepA's first pass did.
    expect(allocB).toBeGreaterThan(1);
    expect(allocA).toBe(allocB + 1);
    expect(m.memory().stackletsPooled).toBe(0);
  });

  it("refuses a pool size out of range, naming it", async () => {
    for (const bad of [-1, 17, 1.5]) {
      await expect(build({ app: "tests/host/apps/stacklets.ts", stackletPool: bad })).rejects.toThrow(/stacklet pool must be a whole number of stacklets from 0 to 16 \(got /);
    }
  });
});
