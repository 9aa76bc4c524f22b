/**
 * Loop check points laid out for speed (instrument.ts splitCheckLoop: the
 * check on the back edges, the call outside the loop, the budget mirrored in
 * a local in call-free loops, stores merged across local arithmetic) must be
 * indistinguishable from the reference layout (`loop { charge; check; body }`):
 * the same budget at every check point and at every hardware access, the same
 * result, the same budget after a trap. Hand-written loops, each instrumented
 * both ways, run on random trip counts, budgets and refills (fast-check).
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import binaryen from "assemblyscript/binaryen";
import { instrumentModule } from "../../js/compiler/instrument.js";
import { computeBounds } from "../../js/compiler/bounds.js";
import { NAMES } from "../../js/compiler/transform.js";

const b = binaryen as any;

const LOOPS = `
  ;; a counting loop: call-free, so the budget is mirrored and the two charges per trip merge
  (func $app/count (export "count") (param $n i32) (result i32) (local $i i32) (local $x i32)
    (block $exit (loop $l
      (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i32.add (local.get $x) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $x))
  ;; loads (which trap past the memory) and a division on one arm
  (func $app/sum (export "sum") (param $p i32) (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $exit (loop $l
      (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))))
      (if (i32.and (local.get $s) (i32.const 1)) (then (local.set $s (i32.div_u (local.get $s) (i32.const 3)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $s))
  ;; a nest: the inner loop mirrored, the outer one split around it
  (func $app/nest (export "nest") (param $n i32) (param $m i32) (result i32) (local $i i32) (local $j i32) (local $x i32)
    (block $e1 (loop $o
      (br_if $e1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $e2 (loop $in
        (br_if $e2 (i32.ge_u (local.get $j) (local.get $m)))
        (local.set $x (i32.xor (i32.mul (local.get $x) (i32.const 31)) (local.get $j)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $in)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $o)))
    (local.get $x))
  ;; a bottom-tested loop with a bus access (hardware reads the budget): split, not mirrored
  (func $app/poll (export "poll") (param $n i32) (result i32) (local $x i32)
    (loop $l
      (local.set $x (i32.add (local.get $x) (call $~lib/hoprt/mcu/bus/read32 (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $x))
`;

type Log = Array<string | number>;

/** The loops above instrumented in one layout, with a check point and a bus that log the budget they see. */
function build(headerChecks: boolean) {
  const module = b.parseText(`(module
    (import "env" "checkpoint" (func $${NAMES.checkpoint}))
    (import "env" "read32" (func $~lib/hoprt/mcu/bus/read32 (param i32) (result i32)))
    (memory (export "memory") 1)
    (global $${NAMES.budget} (export "budget") (mut i32) (i32.const 0))
    (global $${NAMES.stackPointer} (mut i32) (i32.const 60000))
    (global $${NAMES.stackLimit} (mut i32) (i32.const 0))
    (global $${NAMES.taskStackPointer} (mut i32) (i32.const 0))
    (func $${NAMES.stackOverflow} (param i32 i32 i32) (result i32) (i32.const 0))
    (func $${NAMES.mainStackExhausted} (param i32 i32 i32) (result i32) (unreachable))
    (func $${NAMES.stackReturn} (param i32))
    ${LOOPS})`);
  module.setFeatures(b.Features.MVP | b.Features.SignExt | b.Features.MutableGlobals);
  const names = { ...NAMES, budgetBias: 0, headerChecks, heapBase: 50000, dataEnd: 1024 };
  instrumentModule(module, names);
  if (!module.validate()) throw new Error("invalid module after instrumentation");
  const bounds = computeBounds(module, names);
  const text = module.emitText();
  const bytes = module.emitBinary();
  module.dispose();
  let log: Log = [];
  let refill = 0;
  let budget: WebAssembly.Global;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: {
      checkpoint: () => { log.push("check", budget.value); budget.value += refill; },
      read32: (n: number) => { log.push("bus", budget.value); return n * 7; },
    },
  });
  budget = instance.exports.budget as WebAssembly.Global;
  const memory = new Uint32Array((instance.exports.memory as WebAssembly.Memory).buffer);
  for (let i = 0; i < memory.length; i++) memory[i] = (i * 2654435761) >>> 0;
  return {
    text,
    bounds,
    run(name: string, args: number[], start: number, refillBy: number): Log {
      log = [];
      refill = refillBy;
      budget.value = start;
      try {
        log.push("result", (instance.exports[name] as (...a: number[]) => number)(...args));
      } catch (e) {
        log.push("trap", String((e as Error).message));
      }
      log.push("budget", budget.value);
      return log;
    },
  };
}

/** One function's text in a module's text. */
function fnText(text: string, name: string): string {
  const start = text.indexOf(`(func $${name} `);
  expect(start, name).toBeGreaterThanOrEqual(0);
  const end = text.indexOf("\n (func ", start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

const split = build(false);
const reference = build(true);

const same = (name: string, args: number[], start: number, refill: number) => {
  const got = split.run(name, args, start, refill);
  expect(got).toEqual(reference.run(name, args, start, refill));
  return got;
};

describe("loop check points on the back edge", () => {
  it("leave no call inside a call-free loop, and mirror the budget there", () => {
    const count = fnText(split.text, "app/count");
    const inner = count.slice(count.indexOf("(loop $l"));
    // Everything from the loop's label to the first call after it: the whole loop, back edge included.
    const loopBody = inner.slice(0, inner.indexOf("(call "));
    expect(loopBody).toContain("(br $l)");
    expect(loopBody).not.toContain("(call ");
    expect(loopBody).not.toContain("global.get $" + NAMES.budget);
    // The reference keeps the call at the header.
    const ref = fnText(reference.text, "app/count");
    expect(ref.slice(ref.indexOf("(loop $l"))).toContain("(call $" + NAMES.checkpoint);
  });

  it("report the same latency bound as the reference layout", () => {
    expect(split.bounds).toEqual(reference.bounds);
  });

  it("charge and check exactly as at the header: same budget at every check point and bus access", () => {
    const log = same("count", [50], 100, 40);
    expect(log.filter((x) => x === "check").length).toBeGreaterThan(3); // the budget ran out several times inside the loop
    same("poll", [20], 30, 25);
    same("nest", [6, 9], 60, 35);
  });

  it("leave the exact budget behind a trap inside a mirrored loop", () => {
    // 65536-byte memory: word 16380 + i traps at i = 4.
    const log = same("sum", [65520, 10], 1000, 10);
    expect(log[0]).toBe("trap");
  });

  it("agree with the reference on random trip counts, budgets and refills", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: -20, max: 400 }), fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 65280, max: 65600 }),
        (n, m, start, refill, at) => {
          same("count", [n], start, refill);
          same("nest", [n, m], start, refill);
          same("poll", [n], start, refill);
          same("sum", [at & ~3, n], start, refill);
        },
      ),
      { numRuns: 300 },
    );
  });
});
