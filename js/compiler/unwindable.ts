/**
 * Which functions Asyncify has to instrument: those that can be on a
 * context's wasm stack when it unwinds.
 *
 * A context is unwound (suspended at a check point, or discarded when it
 * panics) only while it runs: the dispatch loop calls its entry through the
 * function table (machine.ts runContext), and an unwind starts only with a
 * context running (mcu/core.ts suspend and discard trap otherwise). So every
 * frame an unwind passes through belongs to a function reachable from a
 * table entry, over direct calls and over indirect calls (each of which may
 * reach any table entry). Anything else (the boot code, the host's exports
 * such as hoprt_fault, the dispatch loop's own calls, the runtime helpers
 * the build removes at the end) is never on a context's stack: Asyncify's
 * own analysis would instrument it all the same whenever it calls, however
 * indirectly, something that can unwind (a panic path, a check point).
 * Instrumenting it costs build time (Asyncify's time grows with what it
 * instruments) and nothing else: the instrumented functions are exactly
 * what they were, as no function on a context's stack calls one left out.
 *
 * Of the functions a context's stack can hold, the atomic ones (the
 * allocator, the collector, the stacklet allocator) and the hardware that
 * never reaches a check point (the bus, the epilogue's stacklet return) are
 * never on a *suspended* stack: no check point runs inside them. They are on
 * an unwinding stack only when a panic is raised inside them (an abort in
 * the allocator, a bus fault), and a panic never comes back: AssemblyScript
 * puts an `unreachable` after every abort, and the bus one after every
 * fault. Left out of Asyncify, such a function runs into that `unreachable`
 * once the discard has started below it: the trap ends the run, and the
 * host finishes the panic through hoprt_fault, the way it recovers from any
 * trap (docs/abi.md, Faults). The trace is the same either way. They are a
 * third of what Asyncify would instrument, and of its time.
 *
 * A function is left out so only if every call in it that can start or pass
 * on an unwind is followed at once by `unreachable` (`panicsByTrap`,
 * checked on the code itself at every build); anything else is instrumented.
 *
 * The lists are computed from the call graph at every build, never written
 * by hand (tests/host/unwindable.test.ts).
 */
import binaryen from "assemblyscript/binaryen";
import { childrenOf, type CallGraph } from "./walk.js";
import type { FunctionClass } from "./rule.js";

const b = binaryen as any;

/**
 * Functions reachable from the table's entries over direct calls: the only
 * ones a running context's stack can hold (an indirect call reaches only
 * table entries, which are all counted already).
 */
export function contextReachable(graph: CallGraph): Set<string> {
  const reached = new Set<string>();
  const work = [...graph.table];
  while (work.length > 0) {
    const name = work.pop()!;
    if (reached.has(name)) continue;
    reached.add(name);
    for (const callee of graph.callees.get(name) ?? []) if (!reached.has(callee)) work.push(callee);
  }
  return reached;
}

/**
 * Names Asyncify's lists can hold as they are: its reader escapes a name
 * with a character outside the text format's identifier characters (so a
 * generic's `Map<u32,u32>` would match nothing), reads `*` as a wildcard
 * and a list starting with `@` as a file name.
 */
const LISTABLE = /^[0-9A-Za-z!#$%&'+\-./:<=>?^_`|~][0-9A-Za-z!#$%&'+\-./:<=>?@^_`|~]*$/;

/**
 * Defined functions that no context's stack can hold: Asyncify leaves them as
 * they are (its remove-list). A name the list cannot hold stays out of it, so
 * Asyncify's own analysis decides for that function (it may instrument it).
 */
export function outsideContexts(graph: CallGraph): string[] {
  const reached = contextReachable(graph);
  return graph.functions.filter((name) => !reached.has(name) && LISTABLE.test(name));
}

/** The list as Asyncify's pass argument reads it (comma-separated: no listable name holds one); "" when empty. */
export function asyncifyList(names: readonly string[]): string {
  return names.join(",");
}

/**
 * The functions to leave out of Asyncify although a context's stack can hold
 * them, because a panic raised inside them traps (see the top of this file):
 * reachable from the table, of a class that has no check points (atomic and
 * hardware code), unable to reach a suspension (any function that starts an
 * unwind other than `discard`, the panic's), and with every call that can
 * unwind followed at once by `unreachable`. What can unwind is counted
 * without the functions left out (they trap instead), so the set is a fixed
 * point: a candidate with an unguarded call to a function that can unwind
 * stays instrumented, and so may its callers in turn. An indirect call may
 * reach any table entry; from atomic code, only the atomic ones (the rule,
 * rule.ts: atomic code calls only what the runtime registers, such as the
 * collector's visitors and its root scan's range recorder).
 */
export function panicsByTrap(module: any, graph: CallGraph, classOf: (name: string) => FunctionClass, discard: string): string[] {
  const starters = unwindStarters(module, graph);
  const reach = indirectReach(graph, classOf);
  const suspending = canReach(graph, new Set(starters.filter((name) => name !== discard)), new Set(), reach);
  const reached = contextReachable(graph);
  const trapping = new Set(graph.functions.filter((name) =>
    reached.has(name) && classOf(name) !== "instrumented" && !suspending.has(name) && !starters.includes(name) && LISTABLE.test(name)));
  const guarded = new Map<string, GuardedCalls>();
  for (;;) {
    const unwinding = canReach(graph, new Set(starters), trapping, reach);
    const out = [...trapping].filter((name) => {
      let calls = guarded.get(name);
      if (!calls) guarded.set(name, (calls = unwindingCalls(module.getFunction(name))));
      return calls.unguarded.some((callee) => callee === null ? reach(name).some((entry) => unwinding.has(entry)) : unwinding.has(callee));
    });
    if (out.length === 0) {
      // Only what Asyncify would otherwise instrument: the rest it leaves as it is anyway.
      const wouldUnwind = canReach(graph, new Set(starters), new Set(), () => graph.table);
      return graph.functions.filter((name) => trapping.has(name) && wouldUnwind.has(name));
    }
    if (process.env.HOPRT_PROFILE) for (const name of out) process.stderr.write(`hoprt: ${name} stays instrumented: it goes on after a call that unwinds: ${guarded.get(name)!.unguarded.filter((c) => c === null || unwinding.has(c)).join(", ")}\n`);
    for (const name of out) trapping.delete(name);
  }
}

/** Defined functions that call Asyncify's start_unwind import themselves (the check point's suspend, the panic's discard). */
function unwindStarters(module: any, graph: CallGraph): string[] {
  const imports = new Set<string>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module === "asyncify" && info.base === "start_unwind") imports.add(info.name);
  }
  return graph.functions.filter((name) => [...(graph.callees.get(name) ?? [])].some((callee) => imports.has(callee)));
}

/** The table entries an indirect call in each function may reach: from atomic code the atomic ones, else all. */
function indirectReach(graph: CallGraph, classOf: (name: string) => FunctionClass): (caller: string) => readonly string[] {
  const atomicEntries = graph.table.filter((entry) => classOf(entry) === "atomic");
  return (caller) => (classOf(caller) === "atomic" ? atomicEntries : graph.table);
}

/**
 * The functions that can call, however indirectly, one of `targets` (which
 * count themselves), not passing through `barriers` (functions that never
 * return while an unwind is under way); `reach`: the table entries an
 * indirect call in a function may reach.
 */
function canReach(graph: CallGraph, targets: Set<string>, barriers: Set<string>, reach: (caller: string) => readonly string[]): Set<string> {
  const reaching = new Set(targets);
  for (let changed = true; changed;) {
    changed = false;
    for (const name of graph.functions) {
      if (reaching.has(name) || barriers.has(name)) continue;
      let reaches = graph.callsIndirect.has(name) && reach(name).some((entry) => reaching.has(entry) && !barriers.has(entry));
      if (!reaches) for (const callee of graph.callees.get(name) ?? []) if (reaching.has(callee) && !barriers.has(callee)) { reaches = true; break; }
      if (!reaches) continue;
      reaching.add(name);
      changed = true;
    }
  }
  return reaching;
}

interface GuardedCalls {
  /** Callees (null: an indirect call) of the calls not followed at once by `unreachable`. */
  unguarded: Array<string | null>;
}

/**
 * The calls in a function's body that are not followed at once by
 * `unreachable`: a call (or a drop or local.set of its result) with an
 * `unreachable` as the next expression of its block is guarded.
 */
function unwindingCalls(func: number): GuardedCalls {
  const body = b.getFunctionInfo(func).body;
  const guardedCalls = new Set<number>();
  const unguarded: Array<string | null> = [];
  const calls: number[] = [];
  const work: number[] = body ? [body] : [];
  while (work.length > 0) {
    const expr = work.pop()!;
    const id = b.getExpressionId(expr);
    if (id === b.CallId || id === b.CallIndirectId) calls.push(expr);
    if (id === b.BlockId) {
      const n = b.Block.getNumChildren(expr);
      for (let i = 0; i + 1 < n; i++) {
        if (b.getExpressionId(b.Block.getChildAt(expr, i + 1)) !== b.UnreachableId) continue;
        const call = callIn(b.Block.getChildAt(expr, i));
        if (call) guardedCalls.add(call);
      }
    }
    for (const child of childrenOf(expr)) work.push(child);
  }
  for (const call of calls) {
    if (guardedCalls.has(call)) continue;
    unguarded.push(b.getExpressionId(call) === b.CallId ? b.Call.getTarget(call) : null);
  }
  return { unguarded };
}

/** The call `expr` is, or whose result it drops or stores in a local; 0 for anything else. */
function callIn(expr: number): number {
  let id = b.getExpressionId(expr);
  if (id === b.DropId) expr = b.Drop.getValue(expr);
  else if (id === b.LocalSetId) expr = b.LocalSet.getValue(expr);
  id = b.getExpressionId(expr);
  return id === b.CallId || id === b.CallIndirectId ? expr : 0;
}
