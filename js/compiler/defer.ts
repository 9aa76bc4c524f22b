/**
 * Cleanup handlers through the compiler (DESIGN §5 "Panics and cleanup").
 *
 * Runs on the module as AssemblyScript emitted it, before any optimization,
 * so every call to `unwind.defer` is still a direct call in the source
 * function that wrote it. Each such function (and only those: everything
 * else pays nothing) gets:
 *  - on entry, `mark = deferMark()`: the running context's newest cleanup
 *    record;
 *  - on every way out (each `return` and the fall-through end), a call
 *    `runDeferred(mark)`, which runs the records registered since, newest
 *    first, before the function's result is returned;
 *  - an export for the optimizations that follow, which keeps Binaryen
 *    from inlining it (an exported function that makes calls is never
 *    inlined), so its handlers run when *it* returns, not its caller.
 * A panic discards the frames; the kernel's unwinder runs what is left on
 * the list (assembly/kernel/unwind.ts).
 */
import binaryen from "assemblyscript/binaryen";
import { PACKAGE_PREFIX } from "./rule.js";
import { childrenOf } from "./walk.js";

const b = binaryen as any;

export const DEFER_NAMES = {
  /** The app-facing call that registers a handler (assembly/index.ts unwind.defer). */
  defer: PACKAGE_PREFIX + "index/unwind.defer",
  mark: PACKAGE_PREFIX + "kernel/unwind/deferMark",
  run: PACKAGE_PREFIX + "kernel/unwind/runDeferred",
};

/** The export prefix that keeps a defer-calling function from being inlined (removed with the other helper exports). */
export const NO_INLINE_PREFIX = "__hoprt_keep_defer_";


function callsDirectly(expr: number, target: string): boolean {
  if (!expr) return false;
  const id = b.getExpressionId(expr);
  if (id === b.ConstId) return false;
  if (id === b.CallId && b.Call.getTarget(expr) === target) return true;
  return childrenOf(expr).some((c) => callsDirectly(c, target));
}

/** Rewrites the returns of one function: each runs the handlers first. */
class ReturnRewriter {
  constructor(private readonly m: any, private readonly runCall: () => number, private readonly tmp: (type: number) => number) {}

  /** Walk `expr`, replacing children in place; returns the expression to use in its stead. */
  walk(expr: number): number {
    if (!expr) return expr;
    const id = b.getExpressionId(expr);
    const m = this.m;
    switch (id) {
      case b.ReturnId: {
        const value = b.Return.getValue(expr);
        if (!value) return m.block(null, [this.runCall(), expr], b.unreachable);
        const walked = this.walk(value);
        const type = b.getExpressionType(walked);
        if (type === b.unreachable) { b.Return.setValue(expr, walked); return expr; }
        const local = this.tmp(type);
        b.Return.setValue(expr, m.block(null, [m.local.set(local, walked), this.runCall(), m.local.get(local, type)], type));
        return expr;
      }
      case b.BlockId: {
        const n = b.Block.getNumChildren(expr);
        for (let i = 0; i < n; i++) b.Block.setChildAt(expr, i, this.walk(b.Block.getChildAt(expr, i)));
        return expr;
      }
      case b.IfId:
        b.If.setCondition(expr, this.walk(b.If.getCondition(expr)));
        b.If.setIfTrue(expr, this.walk(b.If.getIfTrue(expr)));
        if (b.If.getIfFalse(expr)) b.If.setIfFalse(expr, this.walk(b.If.getIfFalse(expr)));
        return expr;
      case b.LoopId:
        b.Loop.setBody(expr, this.walk(b.Loop.getBody(expr)));
        return expr;
      case b.BreakId:
        if (b.Break.getValue(expr)) b.Break.setValue(expr, this.walk(b.Break.getValue(expr)));
        if (b.Break.getCondition(expr)) b.Break.setCondition(expr, this.walk(b.Break.getCondition(expr)));
        return expr;
      case b.SwitchId:
        if (b.Switch.getValue(expr)) b.Switch.setValue(expr, this.walk(b.Switch.getValue(expr)));
        b.Switch.setCondition(expr, this.walk(b.Switch.getCondition(expr)));
        return expr;
      case b.CallId: {
        const n = b.Call.getNumOperands(expr);
        for (let i = 0; i < n; i++) b.Call.setOperandAt(expr, i, this.walk(b.Call.getOperandAt(expr, i)));
        return expr;
      }
      case b.CallIndirectId: {
        b.CallIndirect.setTarget(expr, this.walk(b.CallIndirect.getTarget(expr)));
        const n = b.CallIndirect.getNumOperands(expr);
        for (let i = 0; i < n; i++) b.CallIndirect.setOperandAt(expr, i, this.walk(b.CallIndirect.getOperandAt(expr, i)));
        return expr;
      }
      case b.LocalSetId: b.LocalSet.setValue(expr, this.walk(b.LocalSet.getValue(expr))); return expr;
      case b.GlobalSetId: b.GlobalSet.setValue(expr, this.walk(b.GlobalSet.getValue(expr))); return expr;
      case b.LoadId: b.Load.setPtr(expr, this.walk(b.Load.getPtr(expr))); return expr;
      case b.StoreId:
        b.Store.setPtr(expr, this.walk(b.Store.getPtr(expr)));
        b.Store.setValue(expr, this.walk(b.Store.getValue(expr)));
        return expr;
      case b.UnaryId: b.Unary.setValue(expr, this.walk(b.Unary.getValue(expr))); return expr;
      case b.BinaryId:
        b.Binary.setLeft(expr, this.walk(b.Binary.getLeft(expr)));
        b.Binary.setRight(expr, this.walk(b.Binary.getRight(expr)));
        return expr;
      case b.SelectId:
        b.Select.setIfTrue(expr, this.walk(b.Select.getIfTrue(expr)));
        b.Select.setIfFalse(expr, this.walk(b.Select.getIfFalse(expr)));
        b.Select.setCondition(expr, this.walk(b.Select.getCondition(expr)));
        return expr;
      case b.DropId: b.Drop.setValue(expr, this.walk(b.Drop.getValue(expr))); return expr;
      case b.MemoryGrowId: b.MemoryGrow.setDelta(expr, this.walk(b.MemoryGrow.getDelta(expr))); return expr;
      case b.MemoryCopyId:
        b.MemoryCopy.setDest(expr, this.walk(b.MemoryCopy.getDest(expr)));
        b.MemoryCopy.setSource(expr, this.walk(b.MemoryCopy.getSource(expr)));
        b.MemoryCopy.setSize(expr, this.walk(b.MemoryCopy.getSize(expr)));
        return expr;
      case b.MemoryFillId:
        b.MemoryFill.setDest(expr, this.walk(b.MemoryFill.getDest(expr)));
        b.MemoryFill.setValue(expr, this.walk(b.MemoryFill.getValue(expr)));
        b.MemoryFill.setSize(expr, this.walk(b.MemoryFill.getSize(expr)));
        return expr;
      case b.ConstId: case b.LocalGetId: case b.GlobalGetId: case b.NopId: case b.UnreachableId: case b.MemorySizeId:
        return expr;
      default:
        throw new Error(`hoprt transform (defer): unsupported expression kind ${id}`);
    }
  }
}

export interface DeferReport {
  /** The functions that got a cleanup epilogue. */
  functions: string[];
}

/** Give every function that calls `unwind.defer` its cleanup epilogue; see the file's header. */
export function addDeferEpilogues(module: any): DeferReport {
  const functions: string[] = [];
  if (!module.getFunction(DEFER_NAMES.defer)) return { functions };
  for (const name of [DEFER_NAMES.mark, DEFER_NAMES.run]) {
    if (!module.getFunction(name)) throw new Error(`hoprt transform: the firmware has no function ${name}; is it built from the hoprt package?`);
  }
  const infos: any[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) infos.push(b.getFunctionInfo(module.getFunctionByIndex(i)));
  const m = module;
  for (const info of infos) {
    if (info.module !== "" || info.name === DEFER_NAMES.defer || !callsDirectly(info.body, DEFER_NAMES.defer)) continue;
    const params = b.expandType(info.params) as number[];
    const vars = [...info.vars] as number[];
    const newLocal = (type: number) => { vars.push(type); return params.length + vars.length - 1; };
    const mark = newLocal(b.i32);
    const tmps = new Map<number, number>();
    const tmp = (type: number) => { let l = tmps.get(type); if (l === undefined) { l = newLocal(type); tmps.set(type, l); } return l; };
    const runCall = () => m.call(DEFER_NAMES.run, [m.local.get(mark, b.i32)], b.none);
    const walked = new ReturnRewriter(m, runCall, tmp).walk(info.body);
    const enter = m.local.set(mark, m.call(DEFER_NAMES.mark, [], b.i32));
    const result = info.results;
    let body: number;
    if (result === b.none) body = m.block(null, [enter, walked, runCall()], b.none);
    else {
      const bodyType = b.getExpressionType(walked);
      if (bodyType === b.unreachable) body = m.block(null, [enter, walked], result);
      else {
        const local = tmp(result);
        body = m.block(null, [enter, m.local.set(local, walked), runCall(), m.local.get(local, result)], result);
      }
    }
    // Re-adding under the same name keeps every reference (calls, table, exports) valid.
    module.removeFunction(info.name);
    module.addFunction(info.name, info.params, result, vars, body);
    module.addFunctionExport(info.name, NO_INLINE_PREFIX + functions.length);
    functions.push(info.name);
  }
  return { functions };
}
