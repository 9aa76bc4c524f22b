/**
 * The cycle cost model: what each WebAssembly instruction costs on the
 * modelled Cortex-M4 (STM32F407 at 0 wait states from flash accelerator).
 *
 * The numbers come from the Cortex-M4 Technical Reference Manual, table 3-1
 * "Cortex-M4 instruction set summary": ALU operations 1 cycle, LDR 2 (1 when
 * pipelined, we charge the unpipelined figure), STR 1, MUL 1, UMULL 1,
 * SDIV/UDIV 2-12 (we charge 7), branches 1 + P where P (pipeline refill) is
 * 1-3 (we charge P = 2), BL 1 + P, BX LR 1 + P, VADD.F32/VMUL.F32 1,
 * VDIV.F32/VSQRT.F32 14. The M4F has no double-precision FPU, so f64 goes
 * through the ARM EABI soft-float routines (__aeabi_dadd ~ 50 cycles,
 * __aeabi_dmul ~ 60, __aeabi_ddiv ~ 100, from the ARM RTABI library figures),
 * and 64-bit division through __aeabi_ldivmod (~ 70).
 *
 * A WebAssembly local lives in a register once compiled, so local.get,
 * local.set and constants cost nothing on their own; the operation that
 * consumes them carries the cost. This is the one table; change it here.
 */
import binaryen from "assemblyscript/binaryen";

export const ENTRY_COST = 12; // exception entry, Cortex-M4 TRM 3.7.1
export const EXIT_COST = 10; // exception return
export const TAIL_CHAIN_COST = 6; // tail-chained exception

/** Call into a function: BL (1 + P) plus the callee's PUSH {r4-r7, lr}. */
export const CALL = 3 + 2;
/** An indirect call: load the table entry, BLX (1 + P), PUSH. */
export const CALL_INDIRECT = 2 + 3 + 2;
/** Function return: POP {r4-r7, pc} (1 + N + P). */
export const RETURN = 4;
/** A taken/untaken branch averaged: 1 + P with P = 2 halved for untaken. */
export const BRANCH = 2;
/** Compare-and-branch of an if. */
export const IF = 2;
/** A call to a hardware function (the MMIO bus, the core's registers):
 *  what the register access costs on silicon, an LDR/STR over the AHB/APB. */
export const HARDWARE_ACCESS = 2;

const b = binaryen as any;

type OpTable = Map<number, number>;

function table(entries: Array<[string[], number]>): OpTable {
  const result: OpTable = new Map();
  for (const [names, cost] of entries) {
    for (const name of names) {
      const op = b[name];
      if (typeof op !== "number") throw new Error(`weights: binaryen has no operator ${name}`);
      result.set(op, cost);
    }
  }
  return result;
}

const i32 = (ops: string[]) => ops.map((o) => o + "Int32");
const i64 = (ops: string[]) => ops.map((o) => o + "Int64");
const f32 = (ops: string[]) => ops.map((o) => o + "Float32");
const f64 = (ops: string[]) => ops.map((o) => o + "Float64");

const BINARY = table([
  [i32(["Add", "Sub", "Mul", "And", "Or", "Xor", "Shl", "ShrU", "ShrS", "RotL", "RotR",
    "Eq", "Ne", "LtS", "LtU", "LeS", "LeU", "GtS", "GtU", "GeS", "GeU"]), 1],
  [i32(["DivS", "DivU", "RemS", "RemU"]), 7],
  [i64(["Add", "Sub", "And", "Or", "Xor", "Eq", "Ne"]), 2],
  [i64(["LtS", "LtU", "LeS", "LeU", "GtS", "GtU", "GeS", "GeU"]), 3],
  [i64(["Shl", "ShrU", "ShrS", "RotL", "RotR"]), 4],
  [i64(["Mul"]), 3],
  [i64(["DivS", "DivU", "RemS", "RemU"]), 70],
  [f32(["Add", "Sub", "Mul", "Min", "Max", "CopySign", "Eq", "Ne", "Lt", "Le", "Gt", "Ge"]), 1],
  [f32(["Div"]), 14],
  [f64(["Add", "Sub"]), 50],
  [f64(["Mul"]), 60],
  [f64(["Div"]), 100],
  [f64(["Min", "Max", "CopySign"]), 20],
  [f64(["Eq", "Ne", "Lt", "Le", "Gt", "Ge"]), 30],
]);

const UNARY = table([
  [i32(["Clz", "Ctz", "EqZ"]), 1],
  [i32(["Popcnt"]), 8],
  [i64(["Clz", "Ctz", "EqZ"]), 3],
  [i64(["Popcnt"]), 16],
  [["ExtendSInt32", "ExtendUInt32", "WrapInt64", "ExtendS8Int32", "ExtendS16Int32",
    "ExtendS8Int64", "ExtendS16Int64", "ExtendS32Int64"], 1],
  [f32(["Neg", "Abs"]), 1],
  [f32(["Sqrt"]), 14],
  [f32(["Ceil", "Floor", "Trunc", "Nearest"]), 3],
  [f64(["Neg", "Abs"]), 2],
  [f64(["Sqrt"]), 200],
  [f64(["Ceil", "Floor", "Trunc", "Nearest"]), 40],
  [["TruncSFloat32ToInt32", "TruncUFloat32ToInt32", "ConvertSInt32ToFloat32", "ConvertUInt32ToFloat32",
    "ReinterpretFloat32", "ReinterpretInt32", "TruncSatSFloat32ToInt32", "TruncSatUFloat32ToInt32"], 1],
  [["TruncSFloat64ToInt32", "TruncUFloat64ToInt32", "ConvertSInt32ToFloat64", "ConvertUInt32ToFloat64",
    "PromoteFloat32", "DemoteFloat64", "TruncSatSFloat64ToInt32", "TruncSatUFloat64ToInt32"], 30],
  [["TruncSFloat32ToInt64", "TruncUFloat32ToInt64", "TruncSFloat64ToInt64", "TruncUFloat64ToInt64",
    "ConvertSInt64ToFloat32", "ConvertUInt64ToFloat32", "ConvertSInt64ToFloat64", "ConvertUInt64ToFloat64",
    "TruncSatSFloat32ToInt64", "TruncSatUFloat32ToInt64", "TruncSatSFloat64ToInt64", "TruncSatUFloat64ToInt64"], 40],
  [["ReinterpretFloat64", "ReinterpretInt64"], 2],
]);

export function binaryCost(op: number): number {
  return BINARY.get(op) ?? 1;
}

export function unaryCost(op: number): number {
  return UNARY.get(op) ?? 1;
}

/** LDR: 2 cycles; a 64-bit load is an LDRD (3). */
export function loadCost(bytes: number): number {
  return bytes > 4 ? 3 : 2;
}

/** STR: 1 cycle (write buffer); STRD 2. */
export function storeCost(bytes: number): number {
  return bytes > 4 ? 2 : 1;
}

/** A global is a word in RAM: a load or a store. */
export const GLOBAL_GET = 2;
export const GLOBAL_SET = 1;
export const SELECT = 2; // IT + conditional MOV
export const MEMORY_SIZE = 1;
export const MEMORY_GROW = 20;
/** memory.copy / memory.fill per call; the bytes are charged by the library loop when bulk memory is off. */
export const BULK_MEMORY = 20;
