/**
 * The collector's globals, a few at a time.
 *
 * AssemblyScript generates `__visit_globals(cookie)`: one visit per static
 * object (a constant address) and per global that may hold a reference, run
 * as one call. For an application with many of them that is one long
 * uninterruptible stretch of the collector (DESIGN §3: collection is
 * bounded, interruptible steps). This pass rewrites its body so the cookie
 * selects what to visit:
 *
 *   block $end
 *     block $mutable
 *       block $c(n-1) ... block $c0
 *         br_table $c0 ... $c(n-1) $mutable (cookie)
 *       end chunk 0; br $end
 *       ...
 *       end chunk n-1; br $end
 *     end
 *     the visits of mutable globals (copies)
 *   end
 *
 * Cookie k < n visits chunk k (GLOBALS_PER_CHUNK visits): the collector's
 * root scan takes one a step, while tasks run in between. Any other cookie
 * visits only the mutable globals: the final remark, which must see them
 * all at one instant (a global store has no write barrier) but need not
 * revisit static objects, whose later stores go through the barrier. n is
 * written into the collector's `globalChunks`. The cookie reaches each
 * visit unchanged (the collector ignores it). A build without this pass (a
 * user's as-pect specs) keeps globalChunks = 1 and AssemblyScript's body,
 * which visits everything for any cookie: correct, only not split.
 */
import binaryen from "assemblyscript/binaryen";

const b: any = binaryen;

export const VISIT_GLOBALS = "~lib/rt/__visit_globals";
export const GLOBAL_CHUNKS = "~lib/hoprt/kernel/memory/collector/globalChunks";
/** Visits per step: about 55 modelled cycles each, so a chunk stays well under the 500-cycle bound. */
export const GLOBALS_PER_CHUNK = 4;

/** Rewrite `__visit_globals` (see above); returns the number of chunks, 0 if the module has none to rewrite. */
export function chunkGlobalVisits(module: any, perChunk = GLOBALS_PER_CHUNK): number {
  const fn = module.getFunction(VISIT_GLOBALS);
  if (!fn || !module.getGlobal(GLOBAL_CHUNKS)) return 0;
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
  // A static object's visit is a call with a constant address; anything else reads a global.
  const isStatic = (statement: number) =>
    b.getExpressionId(statement) === b.CallId && b.Call.getNumOperands(statement) > 0
    && b.getExpressionId(b.Call.getOperandAt(statement, 0)) === b.ConstId;
  const mutable = statements.filter((s) => !isStatic(s)).map((s) => module.copyExpression(s));
  const chunks: number[][] = [];
  for (let i = 0; i < statements.length; i += perChunk) chunks.push(statements.slice(i, i + perChunk));
  if (chunks.length === 0) chunks.push([]);
  const end = "hoprt$globals$end";
  const onlyMutable = "hoprt$globals$mutable";
  const label = (k: number) => `hoprt$globals$${k}`;
  let body = module.block(label(0), [module.switch(chunks.map((_, k) => label(k)), onlyMutable, module.local.get(0, b.i32))]);
  chunks.forEach((chunk, k) => {
    body = module.block(k + 1 < chunks.length ? label(k + 1) : onlyMutable, [body, ...chunk, module.br(end)]);
  });
  body = module.block(end, [body, ...mutable]);
  const vars = [...info.vars] as number[];
  module.removeFunction(VISIT_GLOBALS);
  module.addFunction(VISIT_GLOBALS, info.params, b.none, vars, body);
  const global = b.getGlobalInfo(module.getGlobal(GLOBAL_CHUNKS));
  module.removeGlobal(GLOBAL_CHUNKS);
  module.addGlobal(GLOBAL_CHUNKS, global.type, global.mutable, module.i32.const(chunks.length));
  return chunks.length;
}
