/**
 * One test per row of the weight table (js/compiler/weights.ts), on
 * hand-written wasm: each module is instrumented by the real transform pass
 * (instrumentModule), run, and the cycles it charged read from the budget.
 * The expected figure of each case is computed from the table's own
 * constants, so the test pins down how the instrumenter applies the table.
 */
import { describe, it, expect } from "vitest";
import binaryen from "assemblyscript/binaryen";
import * as W from "../../js/compiler/weights.js";
import { instrumentModule } from "../../js/compiler/instrument.js";
import { NAMES } from "../../js/compiler/transform.js";

const b = binaryen as any;
const START = 1_000_000;

/** Instrument `funcs` (wat function definitions) and return a runner giving the cycles each call of an export charged. */
function instrumented(funcs: string, inlinedCalls?: ReadonlySet<string>) {
  const module = b.parseText(`(module
    (memory (export "memory") 1)
    (global $${NAMES.budget} (export "budget") (mut i32) (i32.const ${START}))
    (global $${NAMES.stackPointer} (mut i32) (i32.const 60000))
    (global $${NAMES.stackLimit} (mut i32) (i32.const 0))
    (global $${NAMES.taskStackPointer} (mut i32) (i32.const 0))
    (global $g (mut i32) (i32.const 7))
    (func $${NAMES.checkpoint})
    (func $${NAMES.stackOverflow} (param i32 i32 i32) (result i32) (i32.const 0))
    (func $${NAMES.mainStackExhausted} (param i32 i32 i32) (result i32) (unreachable))
    (func $${NAMES.stackReturn} (param i32))
    (func $~lib/hoprt/mcu/bus/read32 (param i32) (result i32) (i32.const 1))
    (func $~lib/hoprt/probe/trace/emit (param i32))
    (table 1 funcref)
    (elem (i32.const 0) $app/leaf0)
    (func $app/leaf0 (result i32) (i32.const 0))
    ${funcs})`);
  module.setFeatures(b.Features.MVP | b.Features.SignExt | b.Features.MutableGlobals | b.Features.NontrappingFPToInt);
  instrumentModule(module, { ...NAMES, budgetBias: 0, heapBase: 50000, dataEnd: 1024, inlinedCalls });
  if (!module.validate()) throw new Error("invalid module after instrumentation");
  const bytes = module.emitBinary();
  module.dispose();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const budget = instance.exports.budget as WebAssembly.Global;
  return (name: string, ...args: number[]) => {
    budget.value = START;
    (instance.exports[name] as (...a: number[]) => unknown)(...args);
    return START - budget.value;
  };
}

// Each function below has 2 params, so savedRegisters = 0; a leaf returns with BX LR.
const LEAF = W.frameCost(2, true);

function typeOf(op: string): string {
  return op.endsWith("Int32") ? "i32" : op.endsWith("Int64") ? "i64" : op.endsWith("Float32") ? "f32" : "f64";
}

// binaryen operator name -> wat instruction
const WAT: Record<string, string> = {
  Add: "add", Sub: "sub", Mul: "mul", And: "and", Or: "or", Xor: "xor", Shl: "shl", ShrU: "shr_u", ShrS: "shr_s",
  RotL: "rotl", RotR: "rotr", Eq: "eq", Ne: "ne", LtS: "lt_s", LtU: "lt_u", LeS: "le_s", LeU: "le_u", GtS: "gt_s",
  GtU: "gt_u", GeS: "ge_s", GeU: "ge_u", DivS: "div_s", DivU: "div_u", RemS: "rem_s", RemU: "rem_u", Lt: "lt",
  Le: "le", Gt: "gt", Ge: "ge", Min: "min", Max: "max", CopySign: "copysign", Div: "div",
  Clz: "clz", Ctz: "ctz", Popcnt: "popcnt", EqZ: "eqz", Neg: "neg", Abs: "abs", Sqrt: "sqrt", Ceil: "ceil",
  Floor: "floor", Trunc: "trunc", Nearest: "nearest",
};

describe("the weight table, row by row", () => {
  for (const row of W.BINARY_ROWS) {
    it(`binary ${row.ops[0]}…: ${row.cycles} (${row.source})`, () => {
      const funcs = row.ops.map((op, i) => {
        const t = typeOf(op);
        const name = op.replace(/(Int32|Int64|Float32|Float64)$/, "");
        return `(func $app/f${i} (export "f${i}") (param ${t} ${t}) (drop (${t}.${WAT[name]} (local.get 0) (local.get 1))))`;
      }).join("\n");
      const run = instrumented(funcs);
      row.ops.forEach((op, i) => {
        const args = typeOf(op) === "i64" ? [1n, 1n] : [3, 1];
        expect(run(`f${i}`, ...(args as any)), op).toBe(row.cycles + LEAF);
      });
    });
  }

  for (const row of W.UNARY_ROWS) {
    const named = row.ops.filter((op) => /^(Clz|Ctz|Popcnt|EqZ|Neg|Abs|Sqrt|Ceil|Floor|Trunc|Nearest)(Int32|Int64|Float32|Float64)$/.test(op));
    if (named.length === 0) continue; // conversion rows: below
    it(`unary ${named[0]}…: ${row.cycles} (${row.source})`, () => {
      const funcs = named.map((op, i) => {
        const t = typeOf(op);
        const name = op.replace(/(Int32|Int64|Float32|Float64)$/, "");
        return `(func $app/u${i} (export "u${i}") (param ${t} ${t}) (drop (${t}.${WAT[name]} (local.get 0))))`;
      }).join("\n");
      const run = instrumented(funcs);
      named.forEach((op, i) => {
        const args = typeOf(op) === "i64" ? [1n, 1n] : [3, 1];
        expect(run(`u${i}`, ...(args as any)), op).toBe(row.cycles + LEAF);
      });
    });
  }

  it("conversions: f32<->i32 1, f64<->i32 30, to/from i64 40, f64 reinterpret 2 (FPU, AEABI)", () => {
    const run = instrumented(`
      (func $app/a (export "a") (param f32 i32) (drop (i32.trunc_sat_f32_s (local.get 0))))
      (func $app/b (export "b") (param f64 i32) (drop (i32.trunc_sat_f64_s (local.get 0))))
      (func $app/c (export "c") (param i32 i32) (drop (f64.convert_i32_u (local.get 0))))
      (func $app/d (export "d") (param f32 i32) (drop (i64.trunc_sat_f32_s (local.get 0))))
      (func $app/e (export "e") (param f64 i32) (drop (i64.reinterpret_f64 (local.get 0))))
      (func $app/f (export "f") (param i32 i32) (drop (i64.extend_i32_s (local.get 0))))`);
    const cost = (name: string) => W.unaryCost(b[name]);
    expect(run("a", 1.5, 0)).toBe(cost("TruncSatSFloat32ToInt32") + LEAF);
    expect(cost("TruncSatSFloat32ToInt32")).toBe(1);
    expect(run("b", 1.5, 0)).toBe(30 + LEAF);
    expect(run("c", 1, 0)).toBe(30 + LEAF);
    expect(run("d", 1.5, 0)).toBe(40 + LEAF);
    expect(run("e", 1.5, 0)).toBe(2 + LEAF);
    expect(run("f", 1, 0)).toBe(1 + LEAF);
  });

  it("loads (LDR 2, LDRD 3), stores (STR 1, STRD 2), globals (2 / 1), select (IT+MOV 2)", () => {
    const run = instrumented(`
      (func $app/l32 (export "l32") (param i32 i32) (drop (i32.load (local.get 0))))
      (func $app/l64 (export "l64") (param i32 i32) (drop (i64.load (local.get 0))))
      (func $app/s32 (export "s32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func $app/s64 (export "s64") (param i32 i32) (i64.store (local.get 0) (i64.const 1)))
      (func $app/gg (export "gg") (param i32 i32) (drop (global.get $g)))
      (func $app/gs (export "gs") (param i32 i32) (global.set $g (local.get 1)))
      (func $app/sel (export "sel") (param i32 i32) (drop (select (local.get 0) (local.get 1) (local.get 1))))`);
    expect(run("l32", 0, 0)).toBe(W.loadCost(4) + LEAF);
    expect(W.loadCost(4)).toBe(2);
    expect(run("l64", 0, 0)).toBe(3 + LEAF);
    expect(run("s32", 0, 0)).toBe(W.storeCost(4) + LEAF);
    expect(W.storeCost(4)).toBe(1);
    expect(run("s64", 0, 0)).toBe(2 + LEAF);
    expect(run("gg", 0, 0)).toBe(W.GLOBAL_GET + LEAF);
    expect(run("gs", 0, 0)).toBe(W.GLOBAL_SET + LEAF);
    expect(run("sel", 0, 0)).toBe(W.SELECT + LEAF);
  });

  it("an address [Rn, Rm, LSL #n] is part of the load or store: its add and shift (n <= 3) are free", () => {
    const run = instrumented(`
      (func $app/idx (export "idx") (param i32 i32) (drop (i32.load (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))))))
      (func $app/far (export "far") (param i32 i32) (drop (i32.load (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 4))))))
      (func $app/st (export "st") (param i32 i32) (i32.store (i32.add (local.get 0) (local.get 1)) (local.get 1)))`);
    expect(run("idx", 0, 0)).toBe(W.loadCost(4) + LEAF);
    expect(run("far", 0, 0)).toBe(1 /* LSL #4 is not an addressing mode */ + W.loadCost(4) + LEAF);
    expect(run("st", 0, 0)).toBe(W.storeCost(4) + LEAF);
  });

  it("a shift by a constant is the second operand of ADD / SUB / AND / ORR / EOR / CMP (Rm, LSL #k): free (TRM <op2>); by a register, or into MUL, an LSL of its own", () => {
    const run = instrumented(`
      (func $app/right (export "right") (param i32 i32) (drop (i32.xor (local.get 0) (i32.shr_u (local.get 1) (i32.const 1)))))
      (func $app/left (export "left") (param i32 i32) (drop (i32.add (i32.shl (local.get 0) (i32.const 3)) (local.get 1))))
      (func $app/cmp (export "cmp") (param i32 i32) (drop (i32.lt_u (local.get 0) (i32.shr_s (local.get 1) (i32.const 31)))))
      (func $app/rot (export "rot") (param i32 i32) (drop (i32.or (local.get 0) (i32.rotr (local.get 1) (i32.const 8)))))
      (func $app/reg (export "reg") (param i32 i32) (drop (i32.xor (local.get 0) (i32.shr_u (local.get 1) (local.get 0)))))
      (func $app/mul (export "mul") (param i32 i32) (drop (i32.mul (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))
      (func $app/kept (export "kept") (param i32 i32) (drop (i32.add (local.get 0) (local.tee 1 (i32.shl (local.get 1) (i32.const 2))))))`);
    expect(W.IDIOM_ROWS.shiftedOperand.cycles).toBe(0);
    for (const name of ["right", "left", "cmp", "rot"]) expect(run(name, 5, 3), name).toBe(1 + LEAF);
    expect(run("reg", 5, 3)).toBe(2 + LEAF);
    expect(run("mul", 5, 3)).toBe(2 + LEAF);
    expect(run("kept", 5, 3)).toBe(2 + LEAF);
  });

  it("MLA / MLS: a product added to a value, or taken from one, is one instruction (TRM, Cortex-M4: 1)", () => {
    const run = instrumented(`
      (func $app/mla (export "mla") (param i32 i32) (drop (i32.add (local.get 0) (i32.mul (local.get 0) (local.get 1)))))
      (func $app/mla2 (export "mla2") (param i32 i32) (drop (i32.add (i32.mul (local.get 0) (local.get 1)) (local.get 1))))
      (func $app/mls (export "mls") (param i32 i32) (drop (i32.sub (local.get 0) (i32.mul (local.get 0) (local.get 1)))))
      (func $app/rsb (export "rsb") (param i32 i32) (drop (i32.sub (i32.mul (local.get 0) (local.get 1)) (local.get 1))))`);
    expect(W.IDIOM_ROWS.multiplyAccumulate.cycles).toBe(1);
    for (const name of ["mla", "mla2", "mls"]) expect(run(name, 5, 3), name).toBe(1 + LEAF);
    expect(run("rsb", 5, 3)).toBe(2 + LEAF); // MUL, then SUB: no instruction takes a value from a product
  });

  it("SBFX: 0 - (x & 1), a one-bit field sign-extended, is one instruction (TRM: 1)", () => {
    const run = instrumented(`
      (func $app/sbfx (export "sbfx") (param i32 i32) (drop (i32.sub (i32.const 0) (i32.and (local.get 0) (i32.const 1)))))
      (func $app/two (export "two") (param i32 i32) (drop (i32.sub (i32.const 0) (i32.and (local.get 0) (i32.const 3)))))`);
    expect(W.IDIOM_ROWS.bitFieldExtract.cycles).toBe(1);
    expect(run("sbfx", 5, 0)).toBe(1 + LEAF);
    expect(run("two", 5, 0)).toBe(2 + LEAF);
  });

  it("division by a constant is GCC's multiply by the reciprocal (UMULL / SMULL 1, shifts and fix-ups 1 each; a remainder multiplies back and subtracts, 2)", () => {
    // What arm-none-eabi-gcc -O2 -mcpu=cortex-m4 emits for each (the multiplier loaded outside the loop):
    expect(W.constantDivisionCost(false, false, 10)).toBe(2); // umull; lsrs #3
    expect(W.constantDivisionCost(false, true, 10)).toBe(4);  // ... + add q, q, q, lsl #2; sub r, x, q, lsl #1
    expect(W.constantDivisionCost(false, false, 6)).toBe(2);  // umull; lsrs #2
    expect(W.constantDivisionCost(false, false, 7)).toBe(4);  // umull; subs; add ..., lsr #1; lsrs #2
    expect(W.constantDivisionCost(false, false, 14)).toBe(3); // lsrs #1; umull; lsrs #2 (the pre-shift)
    expect(W.constantDivisionCost(false, false, 3)).toBe(2);  // umull; lsrs #1
    expect(W.constantDivisionCost(false, false, 8)).toBe(1);  // lsrs #3
    expect(W.constantDivisionCost(false, false, 1)).toBe(0);
    expect(W.constantDivisionCost(true, false, 10)).toBe(3);  // smull; asrs #31; rsb ..., asr #2
    expect(W.constantDivisionCost(true, false, 3)).toBe(2);   // smull; sub ..., asr #31 (no shift)
    expect(W.constantDivisionCost(true, false, 7)).toBe(4);   // smull; add; asrs #31; rsb ..., asr #2
    expect(W.constantDivisionCost(true, false, 2)).toBe(2);   // add ..., lsr #31; asrs #1
    expect(W.constantDivisionCost(true, false, 16)).toBe(3);  // cmp; it lt; addlt #15; asrs #4 (the IT folded)
    const run = instrumented(`
      (func $app/u10 (export "u10") (param i32 i32) (drop (i32.div_u (local.get 0) (i32.const 10))))
      (func $app/r10 (export "r10") (param i32 i32) (drop (i32.rem_u (local.get 0) (i32.const 10))))
      (func $app/s7 (export "s7") (param i32 i32) (drop (i32.div_s (local.get 0) (i32.const 7))))
      (func $app/zero (export "zero") (param i32 i32) (drop (i32.div_u (local.get 0) (i32.const 0))))
      (func $app/reg (export "reg") (param i32 i32) (drop (i32.rem_u (local.get 0) (local.get 1))))`);
    expect(run("u10", 1234, 0)).toBe(2 + LEAF);
    expect(run("r10", 1234, 0)).toBe(4 + LEAF);
    expect(run("s7", -1234, 0)).toBe(4 + LEAF);
    expect(run("reg", 1234, 7)).toBe(W.binaryCost(b.RemUInt32) + LEAF);
    expect(() => run("zero", 1, 0)).toThrow(); // by 0: a trap, charged as the UDIV it is
  });

  it("if (a && b) / if (a || b): two conditional branches, each taken straight to where the whole goes, the second the if's own", () => {
    const run = instrumented(`
      (func $app/and (export "and") (param i32 i32)
        (if (if (result i32) (local.get 0) (then (i32.lt_u (local.get 1) (i32.const 10))) (else (i32.const 0)))
          (then (global.set $g (local.get 1)))))
      (func $app/or (export "or") (param i32 i32)
        (if (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.lt_u (local.get 1) (i32.const 10))))
          (then (global.set $g (local.get 1)))))`);
    const CMP = 1, SET = W.GLOBAL_SET, NT = W.BRANCH_NOT_TAKEN, TAKEN = W.BRANCH_TAKEN;
    // &&: CBZ a (falls through), CMP, BHS past (falls through), the store.
    expect(run("and", 1, 3)).toBe(NT + CMP + NT + SET + LEAF);
    // a false: CBZ taken past the if, nothing else.
    expect(run("and", 0, 3)).toBe(TAKEN + LEAF);
    // b false: CBZ falls through, CMP, BHS taken past.
    expect(run("and", 1, 30)).toBe(NT + CMP + TAKEN + LEAF);
    // ||: CBNZ a taken into `then`; else CMP and BHS past (taken) or into `then` (falls through).
    expect(run("or", 1, 30)).toBe(TAKEN + SET + LEAF);
    expect(run("or", 0, 3)).toBe(NT + CMP + NT + SET + LEAF);
    expect(run("or", 0, 30)).toBe(NT + CMP + TAKEN + LEAF);
  });

  it("an if's then arm reuses what its condition loaded (a compiler's CSE: 0) until a store, a call or a write to the address's locals", () => {
    const run = instrumented(`
      (func $app/reuse (export "reuse") (param i32 i32)
        (if (i32.le_u (i32.load (i32.add (local.get 0) (i32.const 4))) (local.get 1))
          (then (global.set $g (i32.load (i32.add (local.get 0) (i32.const 4)))))))
      (func $app/teed (export "teed") (param i32 i32)
        (if (if (result i32) (local.get 1) (then (i32.lt_u (i32.load (i32.add (local.get 0) (i32.shl (i32.sub (local.get 1) (i32.const 1)) (i32.const 2)))) (i32.const 5))) (else (i32.const 0)))
          (then (global.set $g (i32.load (i32.add (local.get 0) (i32.shl (local.tee 1 (i32.sub (local.get 1) (i32.const 1))) (i32.const 2))))))))
      (func $app/stored (export "stored") (param i32 i32)
        (if (i32.le_u (i32.load (local.get 0)) (local.get 1))
          (then (i32.store (local.get 0) (local.get 1)) (global.set $g (i32.load (local.get 0))))))
      (func $app/moved (export "moved") (param i32 i32)
        (if (i32.le_u (i32.load (local.get 0)) (local.get 1))
          (then (local.set 0 (local.get 1)) (global.set $g (i32.load (local.get 0))))))
      (func $app/other (export "other") (param i32 i32)
        (if (i32.le_u (i32.load (local.get 0)) (local.get 1))
          (then (global.set $g (i32.load16_u (local.get 0))))))
      (func $app/either (export "either") (param i32 i32)
        (if (if (result i32) (local.get 1) (then (i32.const 1)) (else (i32.lt_u (i32.load (local.get 0)) (i32.const 5))))
          (then (global.set $g (i32.load (local.get 0))))))`);
    const LDR = W.loadCost(4), CMP = 1, SET = W.GLOBAL_SET, NT = W.BRANCH_NOT_TAKEN;
    expect(W.IDIOM_ROWS.reusedLoad.cycles).toBe(0);
    // The memory is zeroed: every condition below holds, so each run takes the then arm.
    // The condition's LDR (its address add folded), CMP, branch; the then arm's load is the register.
    expect(run("reuse", 0, 0)).toBe(LDR + CMP + NT + SET + LEAF);
    // a && a[j-1] > 5 then a[--j]: the same address (the tee is the compiler's SUBS), loaded once.
    expect(run("teed", 0, 1)).toBe(NT + 1 /* SUB */ + LDR + CMP + NT + 1 /* SUB */ + SET + LEAF);
    // A store, a write to the address's local, another width, a load the condition may not have made: loaded again.
    expect(run("stored", 0, 0)).toBe(LDR + CMP + NT + W.storeCost(4) + LDR + SET + LEAF);
    expect(run("moved", 0, 0)).toBe(LDR + CMP + NT + LDR + SET + LEAF);
    expect(run("other", 0, 0)).toBe(LDR + CMP + NT + LDR + SET + LEAF);
    expect(run("either", 0, 1)).toBe(W.BRANCH_TAKEN + LDR + SET + LEAF);
  });

  it("a counted loop pays its compare and one taken branch per trip: the back edge is charged once", () => {
    const run = instrumented(`
      (func $app/count (export "count") (param i32 i32)
        (loop $l
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if $l (local.get 0))))`);
    // SUBS (1) + BNE taken (1 + P) per trip, whatever the trip count.
    const perTrip = 1 + W.BRANCH_TAKEN;
    expect(run("count", 10, 0) - run("count", 9, 0)).toBe(perTrip);
    expect(run("count", 1, 0)).toBe(perTrip + LEAF);
  });

  it("a top-tested loop is rotated as a compiler does: CMP and one taken back edge per trip (the exit test shares it)", () => {
    const run = instrumented(`
      (func $app/top (export "top") (param i32 i32)
        (block $out (loop $l
          (br_if $out (i32.eqz (i32.lt_u (local.get 1) (local.get 0))))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br $l))))`);
    const perTrip = 1 /* CMP */ + 1 /* ADD */ + W.BRANCH_TAKEN;
    expect(run("top", 20, 0) - run("top", 19, 0)).toBe(perTrip);
  });

  it("an if pays the branch only where it is taken", () => {
    const run = instrumented(`
      (func $app/one (export "one") (param i32 i32)
        (if (local.get 0) (then (global.set $g (local.get 1)))))
      (func $app/two (export "two") (param i32 i32)
        (if (local.get 0) (then (global.set $g (local.get 1))) (else (global.set $g (local.get 0)))))`);
    // if without else: falls through into `then` (1), or is taken past it (1 + P).
    expect(run("one", 1, 0)).toBe(W.BRANCH_NOT_TAKEN + W.GLOBAL_SET + LEAF);
    expect(run("one", 0, 0)).toBe(W.BRANCH_NOT_TAKEN + W.P + LEAF);
    // if/else: `then` ends with B over `else` (1 + P); `else` is reached by the taken branch.
    expect(run("two", 1, 0)).toBe(W.BRANCH_NOT_TAKEN + W.GLOBAL_SET + W.BRANCH_TAKEN + LEAF);
    expect(run("two", 0, 0)).toBe(W.BRANCH_NOT_TAKEN + W.P + W.GLOBAL_SET + LEAF);
  });

  it("br_table: CMP, BHI, TBB (2 + P)", () => {
    const run = instrumented(`
      (func $app/sw (export "sw") (param i32 i32)
        (block $a (block $b (br_table $a $b (local.get 0)))))`);
    expect(run("sw", 0, 0)).toBe(W.TABLE_BRANCH + LEAF);
    expect(W.TABLE_BRANCH).toBe(1 + 1 + 2 + W.P);
  });

  it("calls: BL (1 + P) at the site; the callee's PUSH {r4.., lr} (1 + N) and POP {r4.., pc} (1 + N + P); indirect LDR + BLX", () => {
    const run = instrumented(`
      (func $app/callee6 (param i32 i32 i32 i32 i32 i32) (result i32) (call $app/leaf0))
      (func $app/caller (export "caller") (param i32 i32)
        (drop (call $app/callee6 (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))
      (func $app/indirect (export "indirect") (param i32 i32)
        (drop (call_indirect (result i32) (local.get 0))))`);
    // callee6: 6 locals -> saves r4, r5; not a leaf: PUSH {r4, r5, lr} = 4, POP {r4, r5, pc} = 1 + 3 + P.
    expect(W.frameCost(6, false)).toBe(4 + (1 + 3 + W.P));
    const leaf0 = W.frameCost(0, true); // BX LR
    expect(leaf0).toBe(1 + W.P);
    // A function with a frame also pays the stack check (the next test); a leaf saving nothing has no frame.
    const callerFrame = W.frameCost(2, false) + W.STACK_CHECK;
    expect(run("caller", 0, 0)).toBe(callerFrame + W.CALL + W.frameCost(6, false) + W.STACK_CHECK + W.CALL + leaf0);
    expect(W.CALL).toBe(1 + W.P);
    expect(run("indirect", 0, 0)).toBe(callerFrame + W.CALL_INDIRECT + leaf0);
    expect(W.CALL_INDIRECT).toBe(2 + 1 + W.P);
  });

  it("a call of a function a compiler inlines (transform.ts pinInlining) costs its body alone: no BL, no PUSH / POP, no stack check", () => {
    const funcs = `
      (func $app/small (param i32 i32 i32 i32 i32 i32) (result i32) (i32.add (local.get 0) (call $app/leaf0)))
      (func $app/caller (export "caller") (param i32 i32)
        (drop (call $app/small (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))`;
    const callerFrame = W.frameCost(2, false) + W.STACK_CHECK;
    const body = W.binaryCost(b.AddInt32) + W.CALL + W.frameCost(0, true); // its add and its own call of leaf0
    expect(instrumented(funcs)("caller", 0, 0)).toBe(callerFrame + W.CALL + W.frameCost(6, false) + W.STACK_CHECK + body);
    expect(instrumented(funcs, new Set(["app/small"]))("caller", 0, 0)).toBe(callerFrame + body);
  });

  it("the stack check in a prologue: LDR the bound, CMP, a branch not taken (Hopter); only functions with a frame have one", () => {
    const run = instrumented(`
      (func $app/framed (export "framed") (param i32 i32) (drop (call $app/leaf0)))
      (func $app/saver (export "saver") (param i32 i32 i32 i32 i32) (local.set 0 (i32.const 1)))
      (func $app/bare (export "bare") (param i32 i32) (local.set 0 (i32.const 1)))`);
    expect(W.STACK_CHECK).toBe(2 + 1 + W.BRANCH_NOT_TAKEN);
    expect(run("framed", 0, 0)).toBe(W.frameCost(2, false) + W.STACK_CHECK + W.CALL + W.frameCost(0, true));
    // A leaf that saves r4 pushes it: a frame, so a check; one that saves nothing has neither.
    expect(run("saver", 0, 0, 0, 0, 0) - run("bare", 0, 0)).toBe(W.frameCost(5, true) + W.STACK_CHECK - LEAF);
  });

  it("a bus access costs its LDR/STR; tracing costs nothing", () => {
    const run = instrumented(`
      (func $app/bus (export "bus") (param i32 i32) (drop (call $~lib/hoprt/mcu/bus/read32 (local.get 0))))
      (func $app/traced (export "traced") (param i32 i32) (call $~lib/hoprt/probe/trace/emit (local.get 0)))`);
    expect(run("bus", 0, 0)).toBe(W.HARDWARE_ACCESS + LEAF);
    expect(run("traced", 0, 0)).toBe(W.PROBE_ACCESS + LEAF);
    expect(W.PROBE_ACCESS).toBe(0);
  });

  it("exception entry, exit and tail-chain are the Cortex-M4's 12, 10, 6, and the firmware uses these", () => {
    expect([W.EXCEPTION_ENTRY, W.EXCEPTION_EXIT, W.EXCEPTION_TAIL_CHAIN]).toEqual([12, 10, 6]);
  });
});
