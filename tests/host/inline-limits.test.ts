/**
 * Modelled cycles do not depend on Binaryen's inlining choices
 * (js/compiler/transform.ts pinInlining): a function of at most 20 size
 * units is inlined as a compiler inlines it, and costs nothing beyond its
 * body either way; any other is called, and Binaryen may not inline it.
 *  - the same apps built with Binaryen's inlining limits at 20 (its default,
 *    the pipeline's), 40 and 65 give the same firmware, byte for byte;
 *  - the control: without the pins (inlineCharging false), those limits
 *    change the firmware and move an ISR -> task path by tens of cycles, so
 *    the limits do reach Binaryen in these builds;
 *  - on random modules (fast-check: call graphs with recursion, the table,
 *    functions of every size), Binaryen's inlining with the pins gives the
 *    same module at every limit, and never inlines a function over the size.
 */
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import binaryen from "assemblyscript/binaryen";
import * as fs from "node:fs";
import * as path from "node:path";
import { firmware } from "./support.js";
import { build } from "../../js/compiler/build.js";
import { pinInlining } from "../../js/compiler/transform.js";
import { Machine } from "../../js/host/machine.js";

const ROOT = path.resolve(__dirname, "../..");
const APP = fs.readFileSync(path.join(ROOT, "tests", "host", "apps", "inline-limits.ts"), "utf8");
const DEMO = fs.readFileSync(path.join(ROOT, "examples", "demo", "app.ts"), "utf8");
const LIMITS = [20, 40, 65];

/** Cycles from each debug.mark(1) (the runner pends the interrupt) to the waiter's debug.mark(2). */
function isrToTask(wasm: Uint8Array): number[] {
  const m = Machine.loadSync(wasm);
  m.runFor("20ms");
  const marks = m.trace.events().filter((e) => e.kind === "user_mark");
  const spans: number[] = [];
  for (let i = 0; i + 1 < marks.length; i++) if (marks[i].a === 1 && marks[i + 1].a === 2) spans.push(Number(marks[i + 1].cycle - marks[i].cycle));
  expect(spans.length).toBe(5);
  return spans;
}

describe("Binaryen's inlining limits (js/compiler/transform.ts pinInlining)", () => {
  let pinned: Uint8Array[];
  let free: Uint8Array[];
  beforeAll(async () => {
    // One after another: a build's pipeline settings hold for the build in progress.
    pinned = [];
    free = [];
    for (const size of LIMITS) pinned.push(await firmware("inline-limits", APP, { costInlineSize: size }));
    for (const size of LIMITS) free.push(await firmware("inline-limits", APP, { costInlineSize: size, inlineCharging: false }));
  }, 120_000);

  it("change nothing in the firmware: the same bytes at 20, 40 and 65, so the same cycles", () => {
    for (const wasm of pinned.slice(1)) expect(Buffer.from(wasm).equals(Buffer.from(pinned[0]))).toBe(true);
    const spans = isrToTask(pinned[0]);
    expect(new Set(spans).size).toBe(1);
  });

  it("the control: unpinned, the limits change the firmware and the ISR -> task path", () => {
    expect(Buffer.from(free[1]).equals(Buffer.from(free[0]))).toBe(false);
    const [at20, at40] = [isrToTask(free[0])[0], isrToTask(free[1])[0]];
    expect(Math.abs(at20 - at40)).toBeGreaterThan(20);
  });

  it("builds started together in one process each keep their own settings (js/compiler/build.ts runs them one at a time)", async () => {
    const dir = path.join(ROOT, "build", "test-firmware");
    fs.mkdirSync(dir, { recursive: true });
    const app = path.join(dir, "inline-limits-together.ts");
    fs.writeFileSync(app, APP);
    const options = [{ costInlineSize: 20, inlineCharging: false }, { costInlineSize: 65, inlineCharging: false }];
    const alone = [];
    for (const o of options) alone.push((await build({ app, ...o })).wasm);
    expect(Buffer.from(alone[0]).equals(Buffer.from(alone[1]))).toBe(false);
    const together = await Promise.all(options.map((o) => build({ app, ...o })));
    together.forEach((r, i) => expect(Buffer.from(r.wasm).equals(Buffer.from(alone[i]))).toBe(true));
  }, 120_000);

  it("change nothing in the demo's firmware either", async () => {
    const low = await firmware("inline-limits-demo", DEMO, { costInlineSize: 20 });
    const high = await firmware("inline-limits-demo", DEMO, { costInlineSize: 65 });
    expect(Buffer.from(high).equals(Buffer.from(low))).toBe(true);
  }, 120_000);
});

const b = binaryen as any;

/** A function: its size class, and whom it calls. */
interface Shape { depth: number; callees: number[]; inTable: boolean }

/** A module of `shapes` (app/f0 .. fN): each an expression tree of `depth` levels over its two parameters, calling `callees`. */
function randomModule(shapes: Shape[]): any {
  const m = new b.Module();
  const sig = b.createType([b.i32, b.i32]);
  shapes.forEach((shape, i) => {
    let calls = [...shape.callees];
    const tree = (depth: number, k: number): number => {
      if (calls.length > 0 && (depth === 0 || k % 3 === 0)) {
        const target = calls.shift()!;
        return m.call(`app/f${target}`, [m.local.get(k % 2, b.i32), depth > 0 ? tree(depth - 1, k + 1) : m.i32.const(k)], b.i32);
      }
      if (depth === 0) return k % 2 === 0 ? m.local.get(k % 4 === 0 ? 0 : 1, b.i32) : m.i32.const(k * 7 + i);
      const op = [m.i32.add, m.i32.mul, m.i32.xor][k % 3];
      return op(tree(depth - 1, k + 1), tree(depth - 1, k + 2));
    };
    let body = tree(shape.depth, i);
    // Calls the tree had no room for go after it.
    for (const target of calls) body = m.i32.add(body, m.call(`app/f${target}`, [m.local.get(0, b.i32), m.i32.const(target)], b.i32));
    m.addFunction(`app/f${i}`, sig, b.i32, [], body);
  });
  const tabled = shapes.map((s, i) => (s.inTable ? `app/f${i}` : null)).filter((n): n is string => n !== null);
  m.addTable("table", tabled.length, tabled.length);
  if (tabled.length > 0) m.addActiveElementSegment("table", "elems", tabled, m.i32.const(0));
  m.addFunctionExport("app/f0", "main");
  return m;
}

/** The module after Binaryen's inlining at `limit`, pinned or not. */
function inlinedAt(shapes: Shape[], limit: number, pinned: boolean): Uint8Array {
  const m = randomModule(shapes);
  try {
    b.setAlwaysInlineMaxSize(2);
    b.setFlexibleInlineMaxSize(limit);
    b.setOneCallerInlineMaxSize(limit);
    b.setOptimizeLevel(3);
    b.setShrinkLevel(0);
    const pins = pinned ? pinInlining(m) : null;
    m.runPasses(["inlining-optimizing"]);
    pins?.unpin();
    expect(m.validate()).toBeTruthy();
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

describe("pinInlining on random modules (fast-check)", () => {
  it("Binaryen's inlining gives the same module at limits 20, 40, 65 and 200, and the control differs", () => {
    const shape = (n: number) => fc.record({
      depth: fc.integer({ min: 0, max: 5 }),
      callees: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
      inTable: fc.boolean(),
    });
    let controlDiffered = 0;
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 14 }).chain((n) => fc.array(shape(n), { minLength: n, maxLength: n })),
      (shapes) => {
        const at = [20, 40, 65, 200].map((limit) => Buffer.from(inlinedAt(shapes, limit, true)));
        for (const other of at.slice(1)) expect(other.equals(at[0])).toBe(true);
        if (!Buffer.from(inlinedAt(shapes, 20, false)).equals(Buffer.from(inlinedAt(shapes, 200, false)))) controlDiffered++;
      }), { numRuns: 1500, seed: 0x1d1e5 });
    // The generator makes modules whose inlining the limits do change.
    expect(controlDiffered).toBeGreaterThan(10);
    b.setFlexibleInlineMaxSize(20);
    b.setOneCallerInlineMaxSize(20);
  });
});
