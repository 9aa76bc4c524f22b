/**
 * The HopRT transform for asc (`asc --transform hoprt/transform`).
 *
 * After AssemblyScript compiles the firmware it:
 *  1. optimizes the module (Binaryen -O3), so costs and check points are
 *     those of optimized code, as a C compiler's would be;
 *  2. instruments it (instrument.ts): cycle charges, check points, frames;
 *  3. applies Asyncify, so any context can be suspended at a check point;
 *  4. removes the helper exports (a second optimization gained nothing: see below).
 * The same source always gives the same module: every step is
 * deterministic.
 */
import { Transform } from "assemblyscript/transform";
import binaryen from "assemblyscript/binaryen";
import { instrumentModule, type InstrumentNames, type InstrumentReport } from "./instrument.js";
import { PACKAGE_PREFIX, classify } from "./rule.js";
import { computeBounds, type Bounds } from "./bounds.js";
import { META_SECTION, type FirmwareMeta } from "../host/meta.js";
import { addDeferEpilogues, DEFER_NAMES } from "./defer.js";
import { chunkGlobalVisits } from "./globals.js";
import { forEachChild, callGraph, childrenOf } from "./walk.js";
import { outsideContexts, asyncifyList, panicsByTrap } from "./unwindable.js";

const b = binaryen as any;

export const NAMES: InstrumentNames = {
  budget: PACKAGE_PREFIX + "mcu/clock/budget",
  stackPointer: "~lib/memory/__stack_pointer",
  stackLimit: PACKAGE_PREFIX + "mcu/core/stackGuard",
  checkpoint: PACKAGE_PREFIX + "mcu/core/checkpoint",
  stackOverflow: PACKAGE_PREFIX + "mcu/core/stackGuardHit",
  mainStackExhausted: PACKAGE_PREFIX + "mcu/core/mainStackExhausted",
  discard: PACKAGE_PREFIX + "mcu/core/discard",
  stackReturn: PACKAGE_PREFIX + "mcu/core/stackReturn",
  taskStackPointer: PACKAGE_PREFIX + "mcu/core/taskStackPointer",
  busStores: [PACKAGE_PREFIX + "mcu/bus/write32", PACKAGE_PREFIX + "mcu/bus/write8"],
};

const KEEP_PREFIX = "__hoprt_keep_";

/** AssemblyScript's argument-count register, and the imports that reach it (assembly/mcu/argc.ts). */
const ARGUMENTS_LENGTH = "~argumentsLength";
const ARGC_READ = PACKAGE_PREFIX + "mcu/argc/argumentsLength";
const ARGC_WRITE = PACKAGE_PREFIX + "mcu/argc/setArgumentsLength";

function implementArgumentCount(module: any): void {
  const hasRegister = Boolean(module.getGlobal(ARGUMENTS_LENGTH));
  if (module.getFunction(ARGC_READ)) {
    module.removeFunction(ARGC_READ);
    module.addFunction(ARGC_READ, b.none, b.i32, [], hasRegister ? module.global.get(ARGUMENTS_LENGTH, b.i32) : module.i32.const(0));
  }
  if (module.getFunction(ARGC_WRITE)) {
    module.removeFunction(ARGC_WRITE);
    module.addFunction(ARGC_WRITE, b.i32, b.none, [], hasRegister ? module.global.set(ARGUMENTS_LENGTH, module.local.get(0, b.i32)) : module.nop());
  }
}
export const ASYNCIFY_RESET_EXPORT = "hoprt_asyncify_reset";

function requireFunction(module: any, name: string): void {
  if (!module.getFunction(name)) throw new Error(`hoprt transform: the firmware has no function ${name}; is it built from the hoprt package?`);
}

function requireGlobal(module: any, name: string): void {
  if (!module.getGlobal(name)) throw new Error(`hoprt transform: the firmware has no global ${name}; is it built from the hoprt package?`);
}

const HARDWARE_MARK = "~hoprt/hardware_mark";

/** Put `global.set mark (id)` at the start of a hardware function (see runPipeline). */
function markHardware(module: any, info: any, id: number): void {
  const fn = module.getFunction(info.name);
  const body = b.getFunctionInfo(fn).body;
  const type = b.getExpressionType(body);
  const marked = module.block(null, [module.global.set(HARDWARE_MARK, module.i32.const(id)), body], type);
  b.Function.setBody(fn, marked);
}

/** Replace every store to the hardware mark (it may have been inlined anywhere) by a nop; then drop the global. */
function unmarkHardware(module: any): void {
  const isMark = (e: number) => b.getExpressionId(e) === b.GlobalSetId && b.GlobalSet.getName(e) === HARDWARE_MARK;
  const visit = (e: number): void => {
    if (!e) return;
    const id = b.getExpressionId(e);
    if (id === b.BlockId) {
      const n = b.Block.getNumChildren(e);
      for (let i = 0; i < n; i++) {
        const c = b.Block.getChildAt(e, i);
        if (isMark(c)) b.Block.setChildAt(e, i, module.nop());
        else visit(c);
      }
      return;
    }
    if (id === b.ConstId) return;
    forEachChild(e, visit);
  };
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module !== "") continue;
    if (isMark(info.body)) b.Function.setBody(module.getFunctionByIndex(i), module.nop());
    else visit(info.body);
  }
  module.removeExport(KEEP_PREFIX + "mark");
  module.removeGlobal(HARDWARE_MARK);
}

/**
 * Modelled cycles do not depend on Binaryen's inlining choices. They are
 * fixed as a compiler at -O2 inlines: a function of at most
 * INLINE_SIZE_LIMIT (Binaryen's own size units, measured when its inlining
 * starts; its address not taken; not recursive) is inlined, so a call of it
 * costs nothing beyond its body (instrument.ts inlinedCalls), whether
 * Binaryen inlined it or not; any other function is called, and so
 * Binaryen may not inline it: for its inlining pass each such function
 * starts with a call of NO_INLINE (an import: "has calls" keeps Binaryen
 * from inlining it at any size limit) and is exported (no "one caller"
 * inlining either). Binaryen then inlines only small call-free functions
 * and wrappers (ALWAYS_INLINE_MAX_SIZE), the same ones at any limit from
 * INLINE_SIZE_LIMIT up, and the marks go.
 */
const NO_INLINE = "~hoprt/no_inline";
const INLINE_SIZE_LIMIT = 20;
/** Binaryen inlines a function this small wherever it is called (a call and its argument: a wrapper), whatever its other limits. */
const ALWAYS_INLINE_MAX_SIZE = 2;

/** Binaryen's measure of a function for inlining: its body's expressions. */
function measure(expr: number): number {
  let n = 0;
  const work = [expr];
  while (work.length > 0) {
    const e = work.pop()!;
    n++;
    for (const child of childrenOf(e)) work.push(child);
  }
  return n;
}

/**
 * Mark, right before Binaryen's inlining, every function it must not inline
 * (see NO_INLINE); returns the functions a compiler inlines (charged
 * functions only) and what takes the marks away again. Exported for tests/host/inline-limits.test.ts.
 */
export function pinInlining(module: any): { inlinedCalls: Set<string>; unpin: () => void } {
  const graph = callGraph(module);
  const addressed = new Set(graph.table);
  const recursive = (name: string): boolean => {
    const seen = new Set<string>();
    const work = [...(graph.callees.get(name) ?? [])];
    while (work.length > 0) {
      const callee = work.pop()!;
      if (callee === name) return true;
      if (seen.has(callee)) continue;
      seen.add(callee);
      work.push(...(graph.callees.get(callee) ?? []));
    }
    return false;
  };
  module.addFunctionImport(NO_INLINE, "hoprt", "no_inline", b.i32, b.none);
  const inlinedCalls = new Set<string>();
  const smallPinned = new Set<string>();
  const pinned: string[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const fn = module.getFunctionByIndex(i);
    const info = b.getFunctionInfo(fn);
    if (info.module !== "") continue;
    const size = measure(info.body);
    const small = size <= INLINE_SIZE_LIMIT && !addressed.has(info.name) && !recursive(info.name);
    if (small && classify(info.name) !== "hardware") inlinedCalls.add(info.name);
    if (small && (size <= ALWAYS_INLINE_MAX_SIZE || (graph.callees.get(info.name)?.size ?? 0) === 0)) continue;
    if (small) smallPinned.add(info.name);
    b.Function.setBody(fn, module.block(null, [module.call(NO_INLINE, [module.i32.const(pinned.length)], b.none), info.body], info.results));
    module.addFunctionExport(info.name, KEEP_PREFIX + "pin" + pinned.length);
    pinned.push(info.name);
  }
  const unpin = (): void => {
    // Wherever the optimization left them: a small pinned function that shrank to Binaryen's
    // "always inline" size (its mark and little else) may have been inlined, mark and all.
    const markOf = (e: number) => b.getExpressionId(e) === b.CallId && b.Call.getTarget(e) === NO_INLINE
      ? b.Const.getValueI32(b.Call.getOperandAt(e, 0)) : -1;
    // A function a compiler calls stays a function: modelled cycles would depend on Binaryen's choice.
    const allowed = (id: number, where: string): void => {
      if (pinned[id] !== where && !smallPinned.has(pinned[id])) throw new Error(`hoprt transform: Binaryen inlined ${pinned[id]} into ${where}, which it must not`);
    };
    const strip = (e: number, where: string): void => {
      if (b.getExpressionId(e) !== b.BlockId) { forEachChild(e, (child) => strip(child, where)); return; }
      for (let i = b.Block.getNumChildren(e) - 1; i >= 0; i--) {
        const child = b.Block.getChildAt(e, i);
        const id = markOf(child);
        if (id < 0) { strip(child, where); continue; }
        b.Block.removeChildAt(e, i);
        allowed(id, where);
      }
    };
    for (let i = 0; i < module.getNumFunctions(); i++) {
      const fn = module.getFunctionByIndex(i);
      const info = b.getFunctionInfo(fn);
      if (info.module !== "") continue;
      const id = markOf(info.body);
      if (id < 0) strip(info.body, info.name);
      else {
        b.Function.setBody(fn, module.nop()); // all that was left of it (or of a small function inlined into it)
        allowed(id, info.name);
      }
    }
    for (let k = 0; k < pinned.length; k++) module.removeExport(KEEP_PREFIX + "pin" + k);
    module.removeFunction(NO_INLINE);
  };
  return { inlinedCalls, unpin };
}

export interface PipelineOptions {
  optimizeLevel?: number;
  /** Source locations the compiler gave expressions (asc --sourceMap), re-attached where the pipeline rebuilds a function. */
  locations?: SourceLocations;
}

/** Per function (by its name in the module): expression -> [debug file index, line, column (0-based)]. */
export type SourceLocations = Map<string, Array<[number, number, number, number]>>;

/**
 * The locations asc recorded (only with --sourceMap; empty otherwise). The
 * pipeline rebuilds functions (defer.ts, instrument.ts re-add them with more
 * locals), and a re-added function starts with no locations in Binaryen:
 * these put back every one whose expression is still in the module. The
 * code is the same with or without them (they are not read by any pass that
 * changes code), so a build with locations runs exactly as one without.
 */
export function sourceLocations(program: any): SourceLocations {
  const out: SourceLocations = new Map();
  for (const element of program?.instancesByName?.values?.() ?? []) {
    const debug = element?.debugLocations;
    if (!(debug instanceof Map) || debug.size === 0) continue;
    const list: Array<[number, number, number, number]> = [];
    for (const [expr, range] of debug) {
      const source = range.source;
      if (source.debugInfoIndex < 0) continue;
      const line = source.lineAt(range.start);
      list.push([expr, source.debugInfoIndex, line, source.columnAt() - 1]);
    }
    out.set(element.internalName, list);
  }
  return out;
}

function restoreLocations(module: any, locations: SourceLocations | undefined): void {
  if (!locations || locations.size === 0) return;
  const start = performance.now();
  for (const [name, list] of locations) {
    const fn = module.getFunction(name);
    if (!fn) continue; // inlined everywhere, merged or removed
    for (const [expr, file, line, column] of list) module.setDebugLocation(fn, expr, file, line, column);
  }
  if (process.env.HOPRT_PROFILE) process.stderr.write(`hoprt: source locations ${(performance.now() - start).toFixed(0)} ms\n`);
}

/**
 * The optimization that fixes the costs: Binaryen's -O3 (optimize level 3,
 * shrink level 0, a module without GC), pass for pass as Binaryen 112's
 * PassRunner::addDefaultOptimizationPasses adds them (`wasm-opt -O3 --debug`
 * lists them), without its last two, generate-stack-ir and
 * optimize-stack-ir: they build a second form of every function's code
 * that only the binary writer reads, and the instrumentation replaces every
 * function and Asyncify discards it anyway (1-2 % of this step's time).
 * The code is the same as module.optimize()'s, expression for expression:
 * tests/host/build-pipeline.test.ts compares a firmware built each way, so a
 * Binaryen whose pipeline differs is caught there.
 */
export const COST_OPTIMIZATION_PASSES: readonly string[] = [
  // global pre-passes
  "duplicate-function-elimination", "memory-packing", "once-reduction",
  // function passes
  "ssa-nomerge", "dce", "remove-unused-names", "remove-unused-brs", "remove-unused-names",
  "optimize-instructions", "pick-load-signs", "precompute-propagate", "code-pushing",
  "simplify-locals-nostructure", "vacuum", "reorder-locals", "remove-unused-brs", "merge-locals",
  "coalesce-locals", "local-cse", "simplify-locals", "vacuum", "reorder-locals", "coalesce-locals",
  "reorder-locals", "vacuum", "code-folding", "merge-blocks", "remove-unused-brs", "remove-unused-names",
  "merge-blocks", "precompute-propagate", "optimize-instructions", "rse", "vacuum",
  // global post-passes
  "dae-optimizing", "inlining-optimizing", "duplicate-function-elimination", "duplicate-import-elimination",
  "simplify-globals-optimizing", "remove-unused-module-elements", "reorder-globals", "directize",
];

/** Binaryen's inlining sizes (its own units) before instrumentation: its defaults (see runPipeline). */
const FLEXIBLE_INLINE_MAX_SIZE = 20;
const ONE_CALLER_INLINE_MAX_SIZE = FLEXIBLE_INLINE_MAX_SIZE;
/** After Asyncify: call-free functions up to this size, loops included, are inlined for speed (a function's modelled cost is fixed by then). */
const SPEED_INLINE_MAX_SIZE = 65;

/**
 * Set by the build driver for one build. `deferPass` false leaves out the
 * cleanup-handler pass (defer.ts), only to measure what the pass costs an
 * app that never calls unwind.defer (tests/host/defer-cost.test.ts); an app
 * that calls it cannot be built so. `loopVersioning` false builds no
 * unchecked loop copies (instrument.ts versionLoop), to show they change no
 * modelled cycle; `speedInlining` false leaves out the inlining after
 * Asyncify, for the same reason. `referenceOptimize` true runs Binaryen's
 * own -O3 (module.optimize()) in place of COST_OPTIMIZATION_PASSES, only to
 * show that the two give the same firmware. `unwindableOnly` false lets
 * Asyncify instrument every function its own analysis finds (unwindable.ts),
 * to show that leaving out what no context's stack holds changes no trace;
 * `panicTraps` false keeps instrumenting the atomic and hardware code that
 * only a panic unwinds (unwindable.ts panicsByTrap), for the same reason.
 */
export const pipelineSettings = {
  deferPass: true, loopVersioning: true, speedInlining: true, referenceOptimize: false, unwindableOnly: true, panicTraps: true,
  inlineCharging: true, costInlineSize: FLEXIBLE_INLINE_MAX_SIZE,
};


export interface PipelineReport extends InstrumentReport {
  bounds: Bounds;
  /** Functions Asyncify left uninstrumented because no context's stack can hold them (unwindable.ts). */
  notUnwound: string[];
  /** Functions Asyncify left uninstrumented because a panic raised inside them traps (unwindable.ts panicsByTrap). */
  panicsByTrap: string[];
}

/**
 * HOPRT_PROFILE=1: the time each phase of the pipeline takes, on stderr:
 * wall-clock, and the process's CPU time where there is one (Node), which a
 * busy machine disturbs less.
 */
function profiler(): (name: string) => void {
  if (!process.env.HOPRT_PROFILE) return () => {};
  const cpu = () => (typeof process.cpuUsage === "function" ? process.cpuUsage().user / 1000 : NaN);
  let last = performance.now();
  let lastCpu = cpu();
  return (name) => {
    const now = performance.now();
    const nowCpu = cpu();
    const cpuText = Number.isNaN(nowCpu) ? "" : ` (cpu ${(nowCpu - lastCpu).toFixed(0)} ms)`;
    process.stderr.write(`hoprt: ${name} ${(now - last).toFixed(0)} ms${cpuText}\n`);
    last = now;
    lastCpu = nowCpu;
  };
}

/** Run the whole pipeline on a Binaryen module; returns the instrumentation report. */
export function runPipeline(module: any, options: PipelineOptions = {}): PipelineReport {
  const phase = profiler();
  requireFunction(module, NAMES.checkpoint);
  requireFunction(module, NAMES.stackOverflow);
  requireFunction(module, NAMES.mainStackExhausted);
  requireFunction(module, NAMES.stackReturn);
  requireGlobal(module, NAMES.budget);
  requireGlobal(module, NAMES.stackPointer);
  requireGlobal(module, NAMES.stackLimit);
  // The bias comes from clock.ts, the one place that defines it.
  const budgetInit = b.getExpressionInfo(b.getGlobalInfo(module.getGlobal(NAMES.budget)).init);
  if (budgetInit.id !== b.ConstId) throw new Error("hoprt transform: the budget global must start at a constant (clock.ts BUDGET_BIAS)");
  NAMES.budgetBias = budgetInit.value;
  // The main stack's bounds (AssemblyScript's layout: static data, then the stack, then the heap).
  for (const [key, name] of [["heapBase", "~lib/memory/__heap_base"], ["dataEnd", "~lib/memory/__data_end"]] as const) {
    requireGlobal(module, name);
    const init = b.getExpressionInfo(b.getGlobalInfo(module.getGlobal(name)).init);
    if (init.id !== b.ConstId) throw new Error(`hoprt transform: ${name} must be a constant`);
    NAMES[key] = init.value;
  }
  requireGlobal(module, NAMES.taskStackPointer);
  // The collector's root scan visits the globals a few at a time (globals.ts).
  chunkGlobalVisits(module);
  // Cleanup epilogues on the functions that call unwind.defer, before anything is inlined (defer.ts).
  if (pipelineSettings.deferPass) addDeferEpilogues(module);
  else if (module.getFunction(DEFER_NAMES.defer)) throw new Error("hoprt transform: the app calls unwind.defer, so it cannot be built without the cleanup-handler pass");
  restoreLocations(module, options.locations);
  // Keep what the instrumentation will call or write from being removed or inlined.
  if (!module.getExport(KEEP_PREFIX + "checkpoint")) module.addFunctionExport(NAMES.checkpoint, KEEP_PREFIX + "checkpoint");
  if (!module.getExport(KEEP_PREFIX + "guard")) module.addFunctionExport(NAMES.stackOverflow, KEEP_PREFIX + "guard");
  if (!module.getExport(KEEP_PREFIX + "stackReturn")) module.addFunctionExport(NAMES.stackReturn, KEEP_PREFIX + "stackReturn");
  if (!module.getExport(KEEP_PREFIX + "floor")) module.addFunctionExport(NAMES.mainStackExhausted, KEEP_PREFIX + "floor");
  module.addGlobalExport(NAMES.stackLimit, KEEP_PREFIX + "limit");
  module.addGlobalExport(NAMES.taskStackPointer, KEEP_PREFIX + "taskSp");
  module.addGlobalExport(NAMES.budget, KEEP_PREFIX + "budget");

  // AssemblyScript's ~stack_check compares the shadow stack with __data_end,
  // which task stacks (in the heap) never pass; the prologue's stack guard
  // is the real check. Emptied, its calls vanish in the optimizer instead of
  // being charged to every function with managed locals.
  const stackCheck = module.getFunction("~stack_check");
  if (stackCheck) {
    module.removeFunction("~stack_check");
    module.addFunction("~stack_check", b.none, b.none, [], module.nop());
  }
  // The check point's access to AssemblyScript's argument-count register (mcu/argc.ts):
  // the imports become a read and a write of the global (a constant 0 and nothing in a
  // firmware that never leaves an optional argument out, which has no such global).
  implementArgumentCount(module);
  // Hardware must not be inlined into instrumented code, where its instructions
  // would be charged: exported for the first optimization, a function that
  // makes calls is never inlined, and one without is at most a register access.
  //
  // Hardware must also never be merged with instrumented code: Binaryen's
  // duplicate-function elimination keeps one of two identical bodies, and
  // `hoprt_cycles` (hardware) would become `time.cycles` (instrumented), so a
  // host read would charge cycles. Each hardware function starts with a
  // store of its own number to an exported global, which no pass removes or
  // merges; the stores are dropped again before instrumentation.
  module.addGlobal(HARDWARE_MARK, b.i32, true, module.i32.const(0));
  module.addGlobalExport(HARDWARE_MARK, KEEP_PREFIX + "mark");
  const shield: string[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module === "" && classify(info.name) === "hardware") {
      const name = KEEP_PREFIX + "hw" + shield.length;
      module.addFunctionExport(info.name, name);
      markHardware(module, info, shield.length + 1);
      shield.push(name);
    }
  }
  b.setOptimizeLevel(options.optimizeLevel ?? 3);
  b.setShrinkLevel(0);
  // Binaryen's options are process-wide, and asc's own optimize() (run after
  // this transform) leaves its inlining and fast-math settings behind: set
  // every one the passes read, so that a build does not depend on the builds
  // before it in the same process: Binaryen's own defaults (asc's optimize()
  // raises the flexible limit to 65; pinInlining keeps that from changing the
  // firmware, and the settings keep the build alone from depending on it);
  // fast math off: the Cortex-M4F's FPU is IEEE 754, and so is the model.
  b.setAlwaysInlineMaxSize(ALWAYS_INLINE_MAX_SIZE);
  b.setFlexibleInlineMaxSize(pipelineSettings.costInlineSize);
  b.setAllowInliningFunctionsWithLoops(false);
  b.setFastMath(false);
  b.setZeroFilledMemory(false);
  b.setLowMemoryUnused(false);
  b.clearPassArguments();
  // HOPRT_DEBUG_NAMES=1 keeps function names in the binary, for profilers.
  b.setDebugInfo(Boolean(process.env.HOPRT_DEBUG_NAMES));
  // A function called once must stay a function: inlining it into a caller
  // of another class (hardware into kernel) would move its cost.
  b.setOneCallerInlineMaxSize(pipelineSettings.costInlineSize);
  phase("prepare");
  // The list is -O3's; another level (options.optimizeLevel) gets Binaryen's own pipeline for it.
  let inlinedCalls: Set<string> | undefined;
  if (pipelineSettings.referenceOptimize || (options.optimizeLevel ?? 3) !== 3) module.optimize();
  else if (!pipelineSettings.inlineCharging) module.runPasses(COST_OPTIMIZATION_PASSES as string[]);
  else {
    // Binaryen's inlining with the marks that pin what it may inline (pinInlining), the rest as listed.
    const split = COST_OPTIMIZATION_PASSES.indexOf("inlining-optimizing");
    module.runPasses(COST_OPTIMIZATION_PASSES.slice(0, split) as string[]);
    const pins = pinInlining(module);
    module.runPasses(["inlining-optimizing"]);
    pins.unpin();
    inlinedCalls = pins.inlinedCalls;
    module.runPasses(COST_OPTIMIZATION_PASSES.slice(split + 1) as string[]);
  }
  phase("optimize (costs)");
  for (const name of shield) module.removeExport(name);
  unmarkHardware(module);
  phase("unmark hardware");

  const report = instrumentModule(module, { ...NAMES, versionLoops: pipelineSettings.loopVersioning, inlinedCalls });
  restoreLocations(module, options.locations);
  phase("instrument");
  if (process.env.HOPRT_DUMP_WAT) (globalThis as any).__hoprtWatInstrumented = module.emitText();
  if (report.violations.length > 0) {
    throw new Error("hoprt transform: hardware or atomic code calls instrumented code:\n  " + report.violations.join("\n  "));
  }
  const classes = new Map(report.functions.map((f) => [f.name, f.cls]));
  // One call graph for the bounds and for Asyncify's list: nothing changes the calls in between.
  const graph = callGraph(module);
  const bounds = computeBounds(module, NAMES, (name) => classes.get(name) ?? classify(name), graph);
  phase("bounds");
  const meta: FirmwareMeta = { bounds };
  module.addCustomSection(META_SECTION, new TextEncoder().encode(JSON.stringify(meta)));

  b.clearPassArguments();
  b.setPassArgument("asyncify-ignore-imports", "");
  // Only what a context's stack can hold is instrumented (unwindable.ts): the same code for those, less build time.
  const notUnwound = pipelineSettings.unwindableOnly ? outsideContexts(graph) : [];
  const classOf = (name: string) => classes.get(name) ?? classify(name);
  const trapping = pipelineSettings.unwindableOnly && pipelineSettings.panicTraps ? panicsByTrap(module, graph, classOf, NAMES.discard) : [];
  const leftOut = [...notUnwound, ...trapping];
  if (leftOut.length > 0) b.setPassArgument("asyncify-removelist", asyncifyList(leftOut));
  phase("unwindable");
  module.runPasses(["asyncify"]);
  // Asyncify rebuilds the code around suspend points and leaves some expressions without their location.
  restoreLocations(module, options.locations);
  phase("asyncify");
  b.clearPassArguments();
  // Costs are fixed now: every later change is only to how fast the engine
  // runs the same wasm semantics (the same charges, the same bytes Asyncify
  // saves, so the same modelled cycles and traces). A context switch or an
  // interrupt runs dozens of small hardware functions (the dispatch loop,
  // the NVIC's arbitration, the clock, the trace writer), and the engine
  // does not inline wasm calls: Binaryen inlines every call-free function up
  // to SPEED_INLINE_MAX_SIZE into its callers, loops and all (the NVIC's
  // scans of its four bitmap words; some 20 fewer calls a switch; bench
  // contextSwitch / irq about 10 % faster), in 0.1-0.2 s. Instrumented
  // functions are never inlined (each calls its check point), so a trap is
  // still reported in the application function it happened in. A whole
  // second -O3 (HOPRT_SPEED_OPT=<level>, for experiments) gained little more
  // and took as long as the first.
  const speedLevel = process.env.HOPRT_SPEED_OPT;
  if (speedLevel) {
    b.setFlexibleInlineMaxSize(65);
    b.setOptimizeLevel(Number(speedLevel));
    module.optimize();
  } else if (pipelineSettings.speedInlining) {
    b.setFlexibleInlineMaxSize(SPEED_INLINE_MAX_SIZE);
    b.setOneCallerInlineMaxSize(ONE_CALLER_INLINE_MAX_SIZE);
    b.setAllowInliningFunctionsWithLoops(true);
    module.runPasses(["inlining"]);
    b.setAllowInliningFunctionsWithLoops(false);
  }
  phase("optimize (speed)");

  for (const name of ["checkpoint", "guard", "stackReturn", "floor", "limit", "taskSp", "budget"]) module.removeExport(KEEP_PREFIX + name);
  for (const name of ["asyncify_start_unwind", "asyncify_stop_unwind", "asyncify_start_rewind", "asyncify_stop_rewind", "asyncify_get_state"]) {
    if (module.getExport(name)) module.removeExport(name);
  }
  // The ABI is hoprt_* and the memory; runtime helpers and constants stay inside.
  for (let i = module.getNumExports() - 1; i >= 0; i--) {
    const name = b.getExportInfo(module.getExportByIndex(i)).name as string;
    if (name !== "memory" && !name.startsWith("hoprt_")) module.removeExport(name);
  }
  // What only the removed exports reached (asc's runtime helpers) is dead now: drop it (cheap, and the engine compiles less).
  module.runPasses(["remove-unused-module-elements"]);
  phase("remove unused");
  // After a trap the host must be able to put Asyncify back to normal.
  module.addFunction(ASYNCIFY_RESET_EXPORT, b.none, b.none, [], module.global.set("__asyncify_state", module.i32.const(0)));
  module.addFunctionExport(ASYNCIFY_RESET_EXPORT, ASYNCIFY_RESET_EXPORT);
  if (!module.validate()) throw new Error("hoprt transform: the instrumented module does not validate");
  phase("validate");
  if (process.env.HOPRT_DUMP_WAT) (globalThis as any).__hoprtWat = module.emitText();
  return { ...report, bounds, notUnwound, panicsByTrap: trapping };
}

/** Set by the build driver to receive the report. */
export const reports: PipelineReport[] = [];

export default class HopRTTransform extends Transform {
  afterCompile(module: any): void {
    const start = performance.now();
    const locations = sourceLocations((this as any).program);
    if (process.env.HOPRT_PROFILE) process.stderr.write(`hoprt: source locations read ${(performance.now() - start).toFixed(0)} ms\n`);
    reports.push(runPipeline(module, { locations }));
  }
}
