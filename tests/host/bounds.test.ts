import { describe, it, expect } from "vitest";
import binaryen from "assemblyscript/binaryen";
import { computeBounds } from "../../js/compiler/bounds.js";
import { formatBounds } from "../../js/compiler/report.js";
import { NAMES } from "../../js/compiler/transform.js";
import { readMeta, META_SECTION } from "../../js/host/meta.js";
import { machine } from "./support.js";

const b = binaryen as any;

// Hand-written instrumented code: charges (`budget -= C`) and check points
// (`if (budget < 0) checkpoint()`), as instrument.ts emits them.
const BUDGET = "$" + NAMES.budget;
const CHECKPOINT = "$" + NAMES.checkpoint;
const charge = (c: number) => `(global.set ${BUDGET} (i32.sub (global.get ${BUDGET}) (i32.const ${c})))`;
const check = `(if (i32.lt_s (global.get ${BUDGET}) (i32.const 0)) (then (call ${CHECKPOINT})))`;

function bounds(functions: string) {
  const module = b.parseText(`(module
    (global ${BUDGET} (mut i32) (i32.const 0))
    (func ${CHECKPOINT})
    ${functions})`);
  try {
    return computeBounds(module, NAMES);
  } finally {
    module.dispose();
  }
}

describe("the latency bounds the build reports", () => {
  it("add the charges between two check points, across a call up to the callee's entry check", () => {
    const r = bounds(`
      (func $app/f ${charge(10)} ${check} ${charge(5)} (call $app/g) ${charge(3)})
      (func $app/g ${charge(7)} ${check} ${charge(2)})`);
    // f: 5 after its entry check, then g's entry charge 7 before g's check = 12;
    // after g returns: g's 2 after its check, then f's 3 = 5.
    expect(r.checkpointGapCycles).toBe(12);
    expect(r.checkpointGapFunction).toBe("app/f");
  });

  it("take the longer arm of an if and count a loop body once between its header checks", () => {
    const r = bounds(`
      (func $app/h (param i32) ${charge(1)} ${check}
        (if (local.get 0) (then ${charge(40)}) (else ${charge(4)}))
        (loop $l ${charge(6)} ${check} ${charge(20)} (br_if $l (local.get 0)))
        ${charge(9)})`);
    // Entry check, the if's longer arm (40), then the loop header's charge (6) before its check: 46.
    // One trip: 20 after the header check, back to the header's 6: 26. Exit: 20 + 9 = 29.
    expect(r.checkpointGapCycles).toBe(46);
  });

  it("report a loop with no check point in atomic code as unbounded, naming its function", () => {
    const r = bounds(`
      (func $~lib/rt/tlsf/scan (param i32) (loop $l ${charge(3)} (br_if $l (local.get 0))))
      (func $~lib/rt/tlsf/alloc ${charge(11)})
      (func $app/f ${charge(2)} ${check} (call $~lib/rt/tlsf/alloc) ${charge(5)})`);
    expect(r.atomicStretchCycles).toBeNull();
    expect(r.atomicStretchFunction).toBe("~lib/rt/tlsf/scan");
    expect(r.atomicUnboundedLoops).toEqual(["~lib/rt/tlsf/scan"]);
    // Time inside atomic code is reported apart, not added to the gap.
    expect(r.checkpointGapCycles).toBe(5);
  });

  it("name every atomic function holding an unbounded loop, not only the first (each must be bounded), boot-only code apart", () => {
    const r = bounds(`
      (func $~lib/rt/tlsf/walk (param i32) (loop $l ${charge(3)} (br_if $l (local.get 0))))
      (func $~lib/rt/tlsf/initialize (param i32) (loop $l ${charge(3)} (br_if $l (local.get 0))))
      (func $~lib/rt/tlsf/bounded ${charge(40)})
      (func $~lib/hoprt/kernel/memory/collector/sweep (param i32) ${charge(1)} (loop $m ${charge(2)} (br_if $m (local.get 0))) (call $~lib/rt/tlsf/walk (local.get 0)))`);
    expect(r.atomicStretchCycles).toBeNull();
    // Sorted; TLSF's initialization runs only at boot (it delays no interrupt).
    expect(r.atomicUnboundedLoops).toEqual(["~lib/hoprt/kernel/memory/collector/sweep", "~lib/rt/tlsf/walk"]);
    expect(formatBounds(r)).toContain("unbounded (loops with no bound in ~lib/hoprt/kernel/memory/collector/sweep, ~lib/rt/tlsf/walk)");
  });

  it("bound a counted loop in atomic code by its trip count, and only a loop it can prove counted", () => {
    // for (i = 0; i < 8; i += 2): at most 4 back edges of 2 + 5 + 3 cycles, and the last test (2) to leave.
    const counted = (increment: string, extra = "") => bounds(`
      (func $~lib/rt/tlsf/count (local $i i32) ${charge(1)} (local.set $i (i32.const 0))
        (loop $l ${charge(2)} (if (i32.lt_u (local.get $i) (i32.const 8))
          (then ${charge(5)} ${extra} ${charge(3)} ${increment} (br $l)))))`);
    expect(counted(`(local.set $i (i32.add (local.get $i) (i32.const 2)))`).atomicStretchCycles).toBe(1 + 4 * (2 + 5 + 3) + 2);
    // From $y up to $y + 12 by 4: 3 back edges.
    const ranged = bounds(`
      (func $~lib/rt/tlsf/zero (param $y i32) (local $x i32) (local.set $x (local.get $y))
        (loop $l ${charge(1)} (if (i32.lt_u (local.get $x) (i32.add (local.get $y) (i32.const 12)))
          (then ${charge(4)} (local.set $x (i32.add (local.get $x) (i32.const 4))) (br $l)))))`);
    expect(ranged.atomicStretchCycles).toBe(3 * (1 + 4) + 1);
    // The instrumentation's shape: the rest of the trip in a block behind its charge; a counter reused on the way out.
    const nested = bounds(`
      (func $~lib/rt/tlsf/find (result i32) (local $i i32) (local.set $i (i32.const 0))
        (loop $l (if (i32.lt_u (local.get $i) (i32.const 4))
          (then ${charge(2)} (block (if (local.get $i) (then (return (local.tee $i (i32.const 7)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))))
        (i32.const 0))`);
    // 4 trips of 2, and a return path out of a fifth walk of the body: the pass is one trip loose on a way out
    // of the function inside the loop (the test that ends the loop is not taken as holding), never short.
    expect(nested.atomicStretchCycles).toBe(5 * 2);
    // Not provable: the counter is written twice, stepped by nothing, or a second branch goes back to the header.
    expect(counted(`(local.set $i (i32.add (local.get $i) (i32.const 2)))`, `(local.set $i (i32.const 0))`).atomicStretchCycles).toBeNull();
    expect(counted(`(local.set $i (i32.add (local.get $i) (i32.const 0)))`).atomicStretchCycles).toBeNull();
    expect(counted(`(local.set $i (i32.add (local.get $i) (i32.const 1)))`, `(br_if $l (local.get $i))`).atomicStretchCycles).toBeNull();
    // A break folded into the test by the optimizer: (i < 8) & more still bounds the loop; (i < 8) | more does not.
    const folded = (op: string) => bounds(`
      (func $~lib/rt/tlsf/fold (param $end i32) (local $i i32) (local.set $i (i32.const 0))
        (loop $l ${charge(2)} (if (${op} (i32.lt_u (local.get $i) (i32.const 8)) (i32.ge_u (local.get $end) (i32.const 64)))
          (then ${charge(5)} (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))))`);
    expect(folded("i32.and").atomicStretchCycles).toBe(8 * (2 + 5) + 2);
    expect(folded("i32.or").atomicStretchCycles).toBeNull();
    // for (i = 1; i < 1; i++), as the optimizer leaves it (a pool of one slot): i < 1 is (i32.eqz i), one trip at most;
    // (i32.eqz) of something else than the counter proves nothing.
    const once = (test: string) => bounds(`
      (func $~lib/rt/tlsf/once (param $n i32) (local $i i32) (local.set $i (i32.const 1))
        (loop $l ${charge(2)} (if ${test}
          (then ${charge(5)} (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))))`);
    expect(once(`(i32.eqz (local.get $i))`).atomicStretchCycles).toBe(1 * (2 + 5) + 2);
    expect(once(`(i32.eqz (local.get $n))`).atomicStretchCycles).toBeNull();
  });

  it("give the longest path through atomic code with its atomic callees", () => {
    const r = bounds(`
      (func $~lib/rt/tlsf/inner ${charge(30)})
      (func $~lib/rt/tlsf/outer (param i32) ${charge(4)} (if (local.get 0) (then (call $~lib/rt/tlsf/inner))) ${charge(1)})`);
    expect(r.atomicStretchCycles).toBe(35);
    expect(r.atomicStretchFunction).toBe("~lib/rt/tlsf/outer");
    expect(r.atomicUnboundedLoops).toEqual([]);
    expect(formatBounds(r)).toContain("35 cycles (in ~lib/rt/tlsf/outer)");
  });

  it("mark unbounded recursion with no check point on the way back", () => {
    const r = bounds(`(func $~lib/rt/tlsf/walk (param i32) ${charge(2)} (if (local.get 0) (then (call $~lib/rt/tlsf/walk (local.get 0)))) ${charge(1)})`);
    expect(r.atomicStretchCycles).toBeNull();
  });

  it("are written into the firmware, where the host reads them", async () => {
    const m = await machine("bounds", `
      import { task, debug } from "hoprt";
      function worker(arg: u32): void { while (true) { debug.print("w " + arg.toString()); task.yieldCurrent(); } }
      export function main(): void { task.build().entry(worker).arg(1).spawn(); }`);
    const meta = m.meta!;
    expect(meta).not.toBeNull();
    expect(meta.bounds.checkpointGapCycles).toBeGreaterThan(0);
    expect(meta.bounds.checkpointGapFunction).not.toBe("");
    expect(Number.isFinite(meta.bounds.checkpointGapCycles)).toBe(true);
    // An unbounded atomic stretch comes with the atomic functions whose loops have no bound, the named one among them.
    if (meta.bounds.atomicStretchCycles === null) {
      expect(meta.bounds.atomicUnboundedLoops!.length).toBeGreaterThan(0);
      expect(meta.bounds.atomicUnboundedLoops).toContain(meta.bounds.atomicStretchFunction);
    } else expect(meta.bounds.atomicUnboundedLoops).toEqual([]);
    // One allocation or free is one of the atomic stretches: bounded, and no longer than the longest.
    expect(meta.bounds.heapStretchCycles).toBeGreaterThan(0);
    if (meta.bounds.atomicStretchCycles !== null) expect(meta.bounds.heapStretchCycles!).toBeLessThanOrEqual(meta.bounds.atomicStretchCycles);
  });

  it("read as null from a firmware whose section is missing or malformed (the firmware is untrusted)", () => {
    const moduleWith = (contents: string | null) => {
      const mod = new b.Module();
      if (contents !== null) mod.addCustomSection(META_SECTION, new TextEncoder().encode(contents));
      const bytes = mod.emitBinary();
      mod.dispose();
      return new WebAssembly.Module(bytes);
    };
    expect(readMeta(moduleWith(null))).toBeNull();
    expect(readMeta(moduleWith("{not json"))).toBeNull();
    expect(readMeta(moduleWith(JSON.stringify({ bounds: { checkpointGapCycles: "12", checkpointGapFunction: "f", atomicStretchCycles: 1, atomicStretchFunction: "g" } })))).toBeNull();
    expect(readMeta(moduleWith(JSON.stringify({ bounds: { checkpointGapCycles: -1, checkpointGapFunction: "f", atomicStretchCycles: 1, atomicStretchFunction: "g" } })))).toBeNull();
    const good = { bounds: { checkpointGapCycles: 12, checkpointGapFunction: "f", atomicStretchCycles: null, atomicStretchFunction: "g" } };
    expect(readMeta(moduleWith(JSON.stringify(good)))).toEqual(good);
    const listed = { bounds: { ...good.bounds, atomicUnboundedLoops: ["g", "h"] } };
    expect(readMeta(moduleWith(JSON.stringify(listed)))).toEqual(listed);
    expect(readMeta(moduleWith(JSON.stringify({ bounds: { ...good.bounds, atomicUnboundedLoops: "g" } })))).toBeNull();
    expect(readMeta(moduleWith(JSON.stringify({ bounds: { ...good.bounds, atomicUnboundedLoops: ["g", 7] } })))).toBeNull();
    const heap = { bounds: { ...good.bounds, heapStretchCycles: 595 } };
    expect(readMeta(moduleWith(JSON.stringify(heap)))).toEqual(heap);
    for (const bad of [-1, 1.5, "595", {}]) expect(readMeta(moduleWith(JSON.stringify({ bounds: { ...good.bounds, heapStretchCycles: bad } })))).toBeNull();
  });
});
