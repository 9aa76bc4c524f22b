/**
 * The collector's globals, a few at a time.
 *
 * AssemblyScript generates `__visit_globals(cookie)`: one visit per static
 * object (a constant address) and per global that may hold a reference, run
 * as one call. For an application with many of them that is one long
 * uninterruptible stretch of the collector (DESIGN §3: collection is
 * bounded, interruptible steps). This pass rewrites its body so the cookie
 * selects a chunk of GLOBALS_PER_CHUNK visits:
 *
 *   block $end
 *     block $c(n-1) ... block $c0
 *       br_table $c0 ... $c(n-1) $end (cookie)
 *     end chunk 0; br $end
 *     ...
 *     end chunk n-1
 *   end
 *
 * The collector's root scan visits chunk k in its k-th step, while tasks and
 * handlers run in between; n is written into the collector's `globalChunks`.
 * The cookie reaches each visit unchanged (the collector ignores it).
 *
 * A scan in steps misses a reference moved from a global not yet visited
 * into one already visited, so every store to a global the scan visits
 * passes its value through the collector's insertion barrier first
 * (`global.set $g (call $globalStoreBarrier (value))`, atomic: nothing runs
 * between the barrier and the store), as `__link` does for stores into
 * objects; the collector's `globalStoresBarriered` says so, and its final
 * remark then need not revisit the globals at all.
 *
 * A build without this pass (a user's as-pect specs) keeps globalChunks = 1,
 * no barrier and AssemblyScript's body, which visits everything for any
 * cookie: the remark revisits every global at one instant, as before.
 */
import binaryen from "assemblyscript/binaryen";
import { forEachChild } from "./walk.js";

const b: any = binaryen;

export const VISIT_GLOBALS = "~lib/rt/__visit_globals";
export const GLOBAL_CHUNKS = "~lib/hoprt/kernel/memory/collector/globalChunks";
export const GLOBALS_BARRIERED = "~lib/hoprt/kernel/memory/collector/globalStoresBarriered";
/** Made here; named inside the collector so the rule classes it atomic. */
export const GLOBAL_BARRIER = "~lib/hoprt/kernel/memory/collector/globalStoreBarrier";
export const LINK_REFERENCE = "~lib/hoprt/kernel/memory/collector/linkReference";
export const COLLECTOR_PHASE = "~lib/hoprt/kernel/memory/collector/phase";
/** Visits per step: about 55 modelled cycles each, so a chunk stays well under the 500-cycle bound. */
export const GLOBALS_PER_CHUNK = 4;

/** Rewrite `__visit_globals` (see above); returns the number of chunks, 0 if the module has none to rewrite. */
export function chunkGlobalVisits(module: any, perChunk = GLOBALS_PER_CHUNK): number {
  const fn = module.getFunction(VISIT_GLOBALS);
  if (!fn) return 0;
  for (const name of [GLOBAL_CHUNKS, GLOBALS_BARRIERED, COLLECTOR_PHASE]) if (!module.getGlobal(name)) return 0;
  if (!module.getFunction(LINK_REFERENCE)) return 0;
  const info = b.getFunctionInfo(fn);
  if (info.results !== b.none || b.expandType(info.params).length !== 1) {
    throw new Error(`hoprt transform: ${VISIT_GLOBALS} is not (cookie: i32) => void; has AssemblyScript changed it?`);
  }
  const statements: number[] = [];
  if (b.getExpressionId(info.body) === b.BlockId && !b.Block.getName(info.body)) {
    for (let i = 0; i < b.Block.getNumChildren(info.body); i++) statements.push(b.Block.getChildAt(info.body, i));
  } else {
    statements.push(info.body);
  }
  const chunks: number[][] = [];
  for (let i = 0; i < statements.length; i += perChunk) chunks.push(statements.slice(i, i + perChunk));
  if (chunks.length === 0) chunks.push([]);
  const end = "hoprt$globals$end";
  const label = (k: number) => `hoprt$globals$${k}`;
  let body = module.block(label(0), [module.switch(chunks.map((_, k) => label(k)), end, module.local.get(0, b.i32))]);
  chunks.forEach((chunk, k) => {
    const last = k + 1 === chunks.length;
    body = module.block(last ? end : label(k + 1), last ? [body, ...chunk] : [body, ...chunk, module.br(end)]);
  });
  // The globals the scan reads (a static object's visit reads none: its address is a constant).
  const visited = new Set<string>();
  const collect = (e: number): void => {
    if (b.getExpressionId(e) === b.GlobalGetId) visited.add(b.GlobalGet.getName(e));
    else forEachChild(e, collect);
  };
  statements.forEach(collect);
  module.removeFunction(VISIT_GLOBALS);
  module.addFunction(VISIT_GLOBALS, info.params, b.none, [...info.vars], body);
  setInitial(module, GLOBAL_CHUNKS, chunks.length);
  barrierGlobalStores(module, visited);
  setInitial(module, GLOBALS_BARRIERED, 1);
  return chunks.length;
}

function setInitial(module: any, name: string, value: number): void {
  const global = b.getGlobalInfo(module.getGlobal(name));
  module.removeGlobal(name);
  module.addGlobal(name, global.type, global.mutable, module.i32.const(value));
}

/** `global.set $g (v)` becomes `global.set $g (globalStoreBarrier (v))` for every g in `globals`, everywhere. */
function barrierGlobalStores(module: any, globals: Set<string>): void {
  if (globals.size === 0) return;
  // Small enough for the optimizer to inline: outside a collection a store pays a load and a branch.
  module.addFunction(GLOBAL_BARRIER, b.i32, b.i32, [], module.block(null, [
    module.if(module.global.get(COLLECTOR_PHASE, b.i32), module.call(LINK_REFERENCE, [module.local.get(0, b.i32)], b.none)),
    module.local.get(0, b.i32),
  ], b.i32));
  const visit = (e: number): void => {
    if (b.getExpressionId(e) === b.ConstId) return;
    forEachChild(e, visit);
    if (b.getExpressionId(e) === b.GlobalSetId && globals.has(b.GlobalSet.getName(e))) {
      b.GlobalSet.setValue(e, module.call(GLOBAL_BARRIER, [b.GlobalSet.getValue(e)], b.i32));
    }
  };
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.body && info.name !== GLOBAL_BARRIER) visit(info.body);
  }
}
