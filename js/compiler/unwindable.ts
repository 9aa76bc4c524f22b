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
 * The list is computed from the call graph at every build, never written
 * by hand (tests/host/unwindable.test.ts).
 */
import type { CallGraph } from "./walk.js";

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
