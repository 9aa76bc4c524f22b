/**
 * The cycle cost model: what each piece of code costs on the modelled
 * Cortex-M4 (STM32F407, flash accelerator on: 0 wait states). This is the
 * one table: the transform charges instrumented code from it and the build
 * hands the exception costs to the dispatch loop (build.ts, `--use`), so
 * nothing else holds a cost. Every row names its source; every row has a
 * unit test on hand-written wasm (tests/host/weights.test.ts).
 *
 * Sources:
 *  [TRM]  Cortex-M4 Technical Reference Manual r0p1, table 3-1 "Cortex-M4
 *         instruction set summary": P is the pipeline refill of a taken
 *         branch, 1 to 3 cycles; we take P = 2. N is the number of registers
 *         in a PUSH/POP/LDM/STM list.
 *  [EXC]  TRM 3.7.1 / ARMv7-M: exception entry 12 cycles, exit 10,
 *         tail-chaining 6 (no FP context stacked).
 *  [FPU]  Cortex-M4 TRM table 7-1, FPv4-SP instruction timings: VADD/VSUB/
 *         VMUL/VCMP/VCVT/VABS/VNEG 1, VDIV/VSQRT 14. FPv4-SP has no VRINT:
 *         floorf/ceilf/truncf/rintf are library routines (newlib's bit
 *         manipulation versions, ~20 instructions on their common path).
 *  [AEABI] the ARM run-time ABI helpers a compiler calls where the M4 has no
 *         instruction: f64 arithmetic (__aeabi_dadd ~50 cycles, __aeabi_dmul
 *         ~60, __aeabi_ddiv ~100, compares ~30, conversions ~30-40, sqrt
 *         ~200), 64-bit division (__aeabi_ldivmod ~70).
 *
 * How wasm maps onto M4 code (what a compiler would emit):
 *  - a local lives in a register: local.get/set and constants cost nothing;
 *    the instruction that consumes them carries the cost;
 *  - a conditional branch costs 1 when it falls through and 1 + P when it is
 *    taken; `eqz` feeding a branch folds into the branch's condition;
 *  - a loop is laid out bottom-tested: its back edge is a taken branch and its
 *    header costs nothing of its own;
 *  - a call is BL (1 + P); the callee pushes the callee-saved registers it
 *    uses (and LR unless it is a leaf) and pops them into PC on return.
 */
import binaryen from "assemblyscript/binaryen";

/** [TRM] Pipeline refill of a taken branch. */
export const P = 2;

/** [EXC] Exception entry (stacking the 8-word frame, vector fetch). */
export const EXCEPTION_ENTRY = 12;
/** [EXC] Exception return (unstacking). */
export const EXCEPTION_EXIT = 10;
/** [EXC] Tail-chaining from one handler into the next pending one. */
export const EXCEPTION_TAIL_CHAIN = 6;
// Old names, kept for callers outside the compiler.
export const ENTRY_COST = EXCEPTION_ENTRY;
export const EXIT_COST = EXCEPTION_EXIT;
export const TAIL_CHAIN_COST = EXCEPTION_TAIL_CHAIN;

/** [TRM] B / BL / BX LR: 1 + P. */
export const BRANCH_TAKEN = 1 + P;
/** [TRM] A conditional branch that falls through. */
export const BRANCH_NOT_TAKEN = 1;
/** [TRM] BL: the call instruction itself; the callee's push and pop are charged in the callee. */
export const CALL = 1 + P;
/** [TRM] An indirect call: LDR of the table entry (2) and BLX (1 + P). */
export const CALL_INDIRECT = 2 + 1 + P;
/** [TRM] br_table as a compiler lowers a switch: CMP (1), BHI (1), TBB (2 + P). */
export const TABLE_BRANCH = 1 + 1 + 2 + P;
/**
 * [Hopter] The stack check in a prologue, fast path: load the stacklet's
 * bound (LDR, 2), compare the stack pointer with it (CMP, 1), branch not
 * taken (1).
 */
export const STACK_CHECK = 2 + 1 + BRANCH_NOT_TAKEN;
/** A call into the MCU model: the register access it models, an LDR/STR over the bus [TRM]. */
export const HARDWARE_ACCESS = 2;
/** A call into the debug probe (trace, console): the probe is not the CPU; tracing costs nothing. */
export const PROBE_ACCESS = 0;

/** Registers AAPCS lets a function clobber freely (r0-r3); locals beyond them live in r4-r11. */
const SCRATCH_REGISTERS = 4;
const CALLEE_SAVED_REGISTERS = 8;

/** Callee-saved registers a function with `locals` wasm locals (params included) must save. */
export function savedRegisters(locals: number): number {
  return Math.min(Math.max(locals - SCRATCH_REGISTERS, 0), CALLEE_SAVED_REGISTERS);
}

/**
 * [TRM] What a function's own entry and exit cost: PUSH {saved, lr} (1 + N)
 * and POP {saved, pc} (1 + N + P); a leaf keeps LR, pushes only what it
 * saves and returns with BX LR (1 + P).
 */
export function frameCost(locals: number, leaf: boolean): number {
  const saved = savedRegisters(locals);
  if (leaf) return (saved > 0 ? 2 * (1 + saved) : 0) + BRANCH_TAKEN;
  const n = saved + 1; // plus LR on entry, PC on exit
  return (1 + n) + (1 + n + P);
}

const b = binaryen as any;

type OpTable = Map<number, number>;

/** A row: the binaryen operators it prices, the cycles, and where the figure comes from. */
export interface Row { ops: string[]; cycles: number; source: string }

function table(rows: Row[]): OpTable {
  const result: OpTable = new Map();
  for (const row of rows) {
    for (const name of row.ops) {
      const op = b[name];
      if (typeof op !== "number") throw new Error(`weights: binaryen has no operator ${name}`);
      result.set(op, row.cycles);
    }
  }
  return result;
}

const i32 = (ops: string[]) => ops.map((o) => o + "Int32");
const i64 = (ops: string[]) => ops.map((o) => o + "Int64");
const f32 = (ops: string[]) => ops.map((o) => o + "Float32");
const f64 = (ops: string[]) => ops.map((o) => o + "Float64");

export const BINARY_ROWS: Row[] = [
  { ops: i32(["Add", "Sub", "Mul", "And", "Or", "Xor", "Shl", "ShrU", "ShrS", "RotR",
    "Eq", "Ne", "LtS", "LtU", "LeS", "LeU", "GtS", "GtU", "GeS", "GeU"]), cycles: 1, source: "TRM: ADD/SUB/MUL/logic/shift/CMP 1" },
  { ops: i32(["RotL"]), cycles: 2, source: "TRM: RSB + ROR (no rotate-left instruction)" },
  { ops: i32(["DivS", "DivU"]), cycles: 7, source: "TRM: SDIV/UDIV 2-12, midpoint" },
  { ops: i32(["RemS", "RemU"]), cycles: 8, source: "TRM: SDIV/UDIV 2-12 (7) + MLS (1)" },
  { ops: i64(["Add", "Sub", "And", "Or", "Xor"]), cycles: 2, source: "TRM: ADDS+ADC etc., two 1-cycle halves" },
  { ops: i64(["Eq", "Ne"]), cycles: 2, source: "TRM: CMP + CMPEQ (IT)" },
  { ops: i64(["LtS", "LtU", "LeS", "LeU", "GtS", "GtU", "GeS", "GeU"]), cycles: 3, source: "TRM: CMP + SBCS + flag move" },
  { ops: i64(["Shl", "ShrU", "ShrS", "RotL", "RotR"]), cycles: 4, source: "TRM: a 64-bit shift by register, ~4 ALU ops" },
  { ops: i64(["Mul"]), cycles: 3, source: "TRM: UMULL (1) + 2 MLA (1 each)" },
  { ops: i64(["DivS", "DivU", "RemS", "RemU"]), cycles: 70, source: "AEABI: __aeabi_ldivmod" },
  { ops: f32(["Add", "Sub", "Mul", "Min", "Max", "Eq", "Ne", "Lt", "Le", "Gt", "Ge"]), cycles: 1, source: "FPU: VADD/VSUB/VMUL/VCMP 1" },
  { ops: f32(["CopySign"]), cycles: 3, source: "FPU: VMOV out, BFI, VMOV in" },
  { ops: f32(["Div"]), cycles: 14, source: "FPU: VDIV.F32 14" },
  { ops: f64(["Add", "Sub"]), cycles: 50, source: "AEABI: __aeabi_dadd/dsub" },
  { ops: f64(["Mul"]), cycles: 60, source: "AEABI: __aeabi_dmul" },
  { ops: f64(["Div"]), cycles: 100, source: "AEABI: __aeabi_ddiv" },
  { ops: f64(["Min", "Max", "CopySign"]), cycles: 20, source: "AEABI: fmin/fmax/copysign on two words" },
  { ops: f64(["Eq", "Ne", "Lt", "Le", "Gt", "Ge"]), cycles: 30, source: "AEABI: __aeabi_dcmp*" },
];

export const UNARY_ROWS: Row[] = [
  { ops: i32(["Clz", "EqZ"]), cycles: 1, source: "TRM: CLZ 1; CMP #0 1" },
  { ops: i32(["Ctz"]), cycles: 2, source: "TRM: RBIT + CLZ" },
  { ops: i32(["Popcnt"]), cycles: 8, source: "TRM: the bit-twiddling sequence, ~8 ALU ops" },
  { ops: i64(["Clz", "Ctz", "EqZ"]), cycles: 3, source: "TRM: two halves and a select" },
  { ops: i64(["Popcnt"]), cycles: 16, source: "TRM: two 32-bit popcounts" },
  { ops: ["ExtendSInt32", "ExtendUInt32", "WrapInt64", "ExtendS8Int32", "ExtendS16Int32",
    "ExtendS8Int64", "ExtendS16Int64", "ExtendS32Int64"], cycles: 1, source: "TRM: SXTB/SXTH/ASR/MOV 1" },
  { ops: f32(["Neg", "Abs"]), cycles: 1, source: "FPU: VNEG/VABS 1" },
  { ops: f32(["Sqrt"]), cycles: 14, source: "FPU: VSQRT.F32 14" },
  { ops: f32(["Ceil", "Floor", "Trunc", "Nearest"]), cycles: 20, source: "FPU has no VRINT: newlib ceilf/floorf/truncf/rintf" },
  { ops: f64(["Neg", "Abs"]), cycles: 2, source: "TRM: EOR/BIC of the sign word (+ MOV)" },
  { ops: f64(["Sqrt"]), cycles: 200, source: "AEABI: sqrt in software" },
  { ops: f64(["Ceil", "Floor", "Trunc", "Nearest"]), cycles: 40, source: "AEABI: newlib ceil/floor/trunc/rint" },
  { ops: ["TruncSFloat32ToInt32", "TruncUFloat32ToInt32", "ConvertSInt32ToFloat32", "ConvertUInt32ToFloat32",
    "ReinterpretFloat32", "ReinterpretInt32", "TruncSatSFloat32ToInt32", "TruncSatUFloat32ToInt32"], cycles: 1, source: "FPU: VCVT/VMOV 1" },
  { ops: ["TruncSFloat64ToInt32", "TruncUFloat64ToInt32", "ConvertSInt32ToFloat64", "ConvertUInt32ToFloat64",
    "PromoteFloat32", "DemoteFloat64", "TruncSatSFloat64ToInt32", "TruncSatUFloat64ToInt32"], cycles: 30, source: "AEABI: __aeabi_d2iz/i2d/f2d/d2f" },
  { ops: ["TruncSFloat32ToInt64", "TruncUFloat32ToInt64", "TruncSFloat64ToInt64", "TruncUFloat64ToInt64",
    "ConvertSInt64ToFloat32", "ConvertUInt64ToFloat32", "ConvertSInt64ToFloat64", "ConvertUInt64ToFloat64",
    "TruncSatSFloat32ToInt64", "TruncSatUFloat32ToInt64", "TruncSatSFloat64ToInt64", "TruncSatUFloat64ToInt64"], cycles: 40, source: "AEABI: __aeabi_f2lz/l2f/d2lz/l2d" },
  { ops: ["ReinterpretFloat64", "ReinterpretInt64"], cycles: 2, source: "FPU: two VMOVs (a D register is two S registers)" },
];

const BINARY = table(BINARY_ROWS);
const UNARY = table(UNARY_ROWS);

/** An operator with no row costs one ALU cycle. */
export const DEFAULT_OP = 1;

export function binaryCost(op: number): number {
  return BINARY.get(op) ?? DEFAULT_OP;
}

export function unaryCost(op: number): number {
  return UNARY.get(op) ?? DEFAULT_OP;
}

/**
 * What a compiler folds into one instruction, where the wasm spells two or
 * more (instrument.ts recognises each shape; tests/host/weights.test.ts has
 * a test per row):
 *  - [TRM] a data-processing instruction's second operand may be a register
 *    shifted by a constant (ADD/SUB/AND/ORR/EOR/CMP Rd, Rn, Rm, LSL #k), at
 *    no extra cycle: `x op (y << k)`, `>>`, `>>>`, rotr by a constant;
 *  - [TRM] MLA / MLS (1): `acc + a * b`, `acc - a * b`;
 *  - [TRM] SBFX (1): `0 - (x & 1)`, a one-bit field sign-extended;
 *  - a load in an if's `then` arm of what its condition loaded, the address
 *    computed alike and nothing written in between, costs nothing more: the
 *    compiler reuses the register (Binaryen does not, across the branch);
 *  - division by a constant (`constantDivisionCost`): the multiply by the
 *    reciprocal a compiler emits (the multiplier loaded once, outside loops).
 * Each checked against what arm-none-eabi-gcc 12 -O2 -mcpu=cortex-m4 emits
 * for the C spelling of the shape.
 */
export const IDIOM_ROWS = {
  shiftedOperand: { cycles: 0, source: "TRM: <op2> an immediate-shifted register, ADD Rd, Rn, Rm, LSL #k: 1 in all" },
  multiplyAccumulate: { cycles: 1, source: "TRM (Cortex-M4): MLA / MLS 1" },
  bitFieldExtract: { cycles: 1, source: "TRM: SBFX / UBFX 1" },
  reusedLoad: { cycles: 0, source: "a compiler's CSE: the value an if's condition loaded is still in a register in its then arm" },
} as const;

/** [TRM] UMULL / SMULL: 1 on the Cortex-M4. */
const MULTIPLY_LONG = 1;
/** [TRM] A remainder by a constant from its quotient: multiplied back (ADD / RSB with a shifted operand) and subtracted, 1 each. */
const MULTIPLY_BACK = 2;

/**
 * i32 division or remainder by the constant `divisor` (not 0: that traps,
 * and is charged as a UDIV), as GCC emits it (expmed.c choose_multiplier):
 * unsigned, UMULL by the rounded-up reciprocal and LSR by the post-shift,
 * or, when the multiplier needs 33 bits, an LSR pre-shift (even divisors)
 * or the SUB / ADD ..., LSR #1 fix-up; signed, SMULL (+ ADD / SUB of the
 * dividend when the multiplier's sign is wrong), ASR, and the sign
 * correction SUB q, q, x, ASR #31; powers of two a shift (signed: the
 * rounding ADD first); a remainder multiplies the quotient back and
 * subtracts it (for `% 10`: ADD q, q, q, LSL #2 and SUB r, x, q, LSL #1), 2.
 * Checked against arm-none-eabi-gcc 12 -O2 -mcpu=cortex-m4 (tests/host/weights.test.ts).
 */
export function constantDivisionCost(signed: boolean, remainder: boolean, divisor: number): number {
  const quotient = signed ? signedDivisionByConstant(divisor | 0) : unsignedDivisionByConstant(divisor >>> 0);
  return quotient + (remainder ? MULTIPLY_BACK : 0);
}

function unsignedDivisionByConstant(d: number): number {
  if (d === 1) return 0;
  if ((d & (d - 1)) === 0) return 1; // LSR
  const fits = chooseMultiplier(BigInt(d), 32);
  if (fits.mhigh < 1n << 32n) return MULTIPLY_LONG + (fits.post > 0 ? 1 : 0);
  if ((d & 1) === 0) {
    const pre = 31 - Math.clz32(d & -d);
    const reduced = chooseMultiplier(BigInt(d >>> pre), 32 - pre);
    return 1 + MULTIPLY_LONG + (reduced.post > 0 ? 1 : 0); // LSR, UMULL, LSR
  }
  return MULTIPLY_LONG + 3; // UMULL, SUB, ADD ..., LSR #1, LSR
}

/** GCC's choose_multiplier for an N = 32-bit dividend and `precision` significant bits. */
function chooseMultiplier(d: bigint, precision: number): { mhigh: bigint; post: number } {
  let lgup = 0;
  while ((1n << BigInt(lgup)) < d) lgup++;
  const big = 1n << BigInt(32 + lgup);
  let mlow = big / d;
  let mhigh = (big + (1n << BigInt(32 + lgup - precision))) / d;
  let post = lgup;
  while (post > 0 && (mlow >> 1n) < (mhigh >> 1n)) {
    mlow >>= 1n;
    mhigh >>= 1n;
    post--;
  }
  return { mhigh, post };
}

function signedDivisionByConstant(d: number): number {
  if (d === 1) return 0;
  if (d === -1) return 1; // RSB
  const ad = Math.abs(d);
  if ((ad & (ad - 1)) === 0) return (ad === 2 ? 2 : 3) + (d < 0 ? 1 : 0); // (ASR #31), ADD ..., LSR, ASR (, RSB)
  // Hacker's Delight 10-1: the magic number M and shift s.
  const two31 = 1n << 31n;
  const abs = BigInt(ad);
  const t = two31 + (d < 0 ? 1n : 0n);
  const anc = t - 1n - (t % abs);
  let p = 31;
  let q1 = two31 / anc, r1 = two31 - q1 * anc;
  let q2 = two31 / abs, r2 = two31 - q2 * abs;
  let delta: bigint;
  do {
    p++;
    q1 *= 2n; r1 *= 2n;
    if (r1 >= anc) { q1++; r1 -= anc; }
    q2 *= 2n; r2 *= 2n;
    if (r2 >= abs) { q2++; r2 -= abs; }
    delta = abs - r2;
  } while (q1 < delta || (q1 === delta && r1 === 0n));
  const magic = BigInt.asIntN(32, d < 0 ? -(q2 + 1n) : q2 + 1n);
  const fixup = (d > 0 && magic < 0n) || (d < 0 && magic > 0n) ? 1 : 0; // ADD / SUB the dividend
  const shift = p - 32 > 0 ? 1 : 0;
  return MULTIPLY_LONG + fixup + shift + 1; // SMULL, (ADD), (ASR #31), RSB q, t, q, ASR #s
}

/** [TRM] LDR 2 (not pipelined with a neighbour: we do not model pairing); LDRD 3. */
export function loadCost(bytes: number): number {
  return bytes > 4 ? 3 : 2;
}

/** [TRM] LDR/STR Rt, [Rn, Rm, LSL #0-3]: the address add (and a shift up to 3) are part of the load or store. */
export const ADDRESS_MODE_MAX_SHIFT = 3;

/** [TRM] STR 1 (through the write buffer); STRD 2. */
export function storeCost(bytes: number): number {
  return bytes > 4 ? 2 : 1;
}

/** [TRM] A global is a word in RAM: an LDR (2) to read it (its address is a literal-pool load folded away), an STR (1) to write it. */
export const GLOBAL_GET = 2;
export const GLOBAL_SET = 1;
/** [TRM] IT + conditional MOV. */
export const SELECT = 2;
export const MEMORY_SIZE = 1;
export const MEMORY_GROW = 20;
/** memory.copy / memory.fill per call; the firmware is built without bulk memory, so the library loop is charged instead. */
export const BULK_MEMORY = 20;
