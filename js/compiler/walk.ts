/**
 * Visiting the children of a Binaryen expression, fast.
 *
 * `binaryen.getExpressionInfo` reads every field of a node, names and all
 * (each a string copied out of the wasm heap), to build a new object: the
 * passes that only need a node's children spent most of their time there.
 * This reads the children alone, through the per-kind getters, in the order
 * the passes have always visited them (operands / children first, then
 * condition, ifTrue, ifFalse, body, value, ptr, left, right, target, delta,
 * dest, source, size), so every walk visits the same nodes in the same order
 * as before. A kind not listed here falls back to getExpressionInfo.
 */
import binaryen from "assemblyscript/binaryen";

const b = binaryen as any;

const INFO_KEYS = ["condition", "ifTrue", "ifFalse", "body", "value", "ptr", "left", "right", "target", "delta", "dest", "source", "size"];

/** Call `visit` on each child of `expr` (a null child is skipped). */
export function forEachChild(expr: number, visit: (child: number) => void): void {
  const children = childrenOf(expr);
  for (let i = 0; i < children.length; i++) visit(children[i]);
}

/** The children of `expr`, null children left out. */
export function childrenOf(expr: number): number[] {
  const out: number[] = [];
  const visit = (child: number) => { out.push(child); };
  pushChildren(expr, visit);
  return out;
}

function pushChildren(expr: number, visit: (child: number) => void): void {
  const id = b.getExpressionId(expr);
  switch (id) {
    case b.ConstId: case b.LocalGetId: case b.GlobalGetId: case b.NopId: case b.UnreachableId: case b.MemorySizeId:
      return;
    case b.BlockId: {
      const n = b.Block.getNumChildren(expr);
      for (let i = 0; i < n; i++) visitNonNull(b.Block.getChildAt(expr, i), visit);
      return;
    }
    case b.IfId:
      visitNonNull(b.If.getCondition(expr), visit);
      visitNonNull(b.If.getIfTrue(expr), visit);
      visitNonNull(b.If.getIfFalse(expr), visit);
      return;
    case b.LoopId:
      visitNonNull(b.Loop.getBody(expr), visit);
      return;
    case b.BreakId:
      visitNonNull(b.Break.getCondition(expr), visit);
      visitNonNull(b.Break.getValue(expr), visit);
      return;
    case b.SwitchId:
      visitNonNull(b.Switch.getCondition(expr), visit);
      visitNonNull(b.Switch.getValue(expr), visit);
      return;
    case b.CallId: {
      const n = b.Call.getNumOperands(expr);
      for (let i = 0; i < n; i++) visitNonNull(b.Call.getOperandAt(expr, i), visit);
      return;
    }
    case b.CallIndirectId: {
      const n = b.CallIndirect.getNumOperands(expr);
      for (let i = 0; i < n; i++) visitNonNull(b.CallIndirect.getOperandAt(expr, i), visit);
      visitNonNull(b.CallIndirect.getTarget(expr), visit);
      return;
    }
    case b.LocalSetId:
      visitNonNull(b.LocalSet.getValue(expr), visit);
      return;
    case b.GlobalSetId:
      visitNonNull(b.GlobalSet.getValue(expr), visit);
      return;
    case b.LoadId:
      visitNonNull(b.Load.getPtr(expr), visit);
      return;
    case b.StoreId:
      visitNonNull(b.Store.getValue(expr), visit);
      visitNonNull(b.Store.getPtr(expr), visit);
      return;
    case b.UnaryId:
      visitNonNull(b.Unary.getValue(expr), visit);
      return;
    case b.BinaryId:
      visitNonNull(b.Binary.getLeft(expr), visit);
      visitNonNull(b.Binary.getRight(expr), visit);
      return;
    case b.SelectId:
      visitNonNull(b.Select.getCondition(expr), visit);
      visitNonNull(b.Select.getIfTrue(expr), visit);
      visitNonNull(b.Select.getIfFalse(expr), visit);
      return;
    case b.DropId:
      visitNonNull(b.Drop.getValue(expr), visit);
      return;
    case b.ReturnId:
      visitNonNull(b.Return.getValue(expr), visit);
      return;
    case b.MemoryGrowId:
      visitNonNull(b.MemoryGrow.getDelta(expr), visit);
      return;
    default: {
      const info = b.getExpressionInfo(expr);
      for (const key of ["operands", "children"]) if (Array.isArray(info[key])) for (const c of info[key]) visitNonNull(c, visit);
      for (const key of INFO_KEYS) if (typeof info[key] === "number" && info[key]) visit(info[key]);
    }
  }
}

function visitNonNull(child: number, visit: (child: number) => void): void {
  if (child) visit(child);
}

/** Who calls whom in a module: its defined functions, their direct callees, and its function table. */
export interface CallGraph {
  /** Every defined (not imported) function, in module order. */
  functions: string[];
  /** Direct callees of each defined function, in the order the body first calls them. */
  callees: Map<string, Set<string>>;
  /** Defined functions holding a call_indirect. */
  callsIndirect: Set<string>;
  /** Every function in the module's element segments. */
  table: string[];
}

export function callGraph(module: any): CallGraph {
  const functions: string[] = [];
  const callees = new Map<string, Set<string>>();
  const callsIndirect = new Set<string>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module !== "") continue;
    functions.push(info.name);
    const out = new Set<string>();
    // Depth first, children in order: callees in the order of their first call.
    const work: number[] = info.body ? [info.body] : [];
    while (work.length > 0) {
      const expr = work.pop()!;
      const id = b.getExpressionId(expr);
      if (id === b.ConstId || id === b.LocalGetId || id === b.GlobalGetId) continue;
      if (id === b.CallId) out.add(b.Call.getTarget(expr));
      else if (id === b.CallIndirectId) callsIndirect.add(info.name);
      const children = childrenOf(expr);
      for (let k = children.length - 1; k >= 0; k--) work.push(children[k]);
    }
    callees.set(info.name, out);
  }
  const table: string[] = [];
  for (let i = 0; i < module.getNumElementSegments(); i++) {
    for (const name of b.getElementSegmentInfo(module.getElementSegmentByIndex(i)).data) table.push(name);
  }
  return { functions, callees, callsIndirect, table };
}
