/**
 * The interrupt-latency bound of a firmware, read off its instrumented code.
 *
 * An interrupt that becomes due while code runs is taken at the next check
 * point, so its latency is bounded by the cycles charged between two check
 * points executed one after the other. This pass walks every function after
 * instrumentation (before Asyncify) and adds up the charges literally emitted
 * (`budget -= C`) along every path, through calls, until the next check
 * point (`if (budget < 0) checkpoint()`):
 *
 *  - checkpointGapCycles: the longest such stretch in instrumented code, and
 *    the function in which it ends. Time spent inside atomic code (allocator,
 *    collector, memcpy) is not part of it: that code is counted by
 *  - atomicStretchCycles: the longest path through one call of an atomic
 *    function (its atomic callees included). A loop in atomic code whose trip
 *    count the pass cannot bound makes the stretch unbounded: reported as
 *    null, with the function that holds the loop, and
 *  - atomicUnboundedLoops: every atomic function that holds such a loop. Functions that run only at
 *    boot, before any exception can be taken (rule.ts isBootOnly: TLSF's
 *    initialization), are left out: they delay no interrupt.
 *
 * The latency of an interrupt in instrumented code is at most the exception
 * entry cost plus checkpointGapCycles, plus atomicStretchCycles when the
 * interrupted stretch called into atomic code.
 */
import binaryen from "assemblyscript/binaryen";
import { classify, isBootOnly, type FunctionClass } from "./rule.js";
import { CHECK_LABEL_PREFIX, deferredCharges, versionTests, type InstrumentNames } from "./instrument.js";
import type { FirmwareBounds } from "../host/meta.js";
import { childrenOf, callGraph, type CallGraph } from "./walk.js";

const b = binaryen as any;

/**
 * getExpressionInfo, read once per node: the fixed point below walks the
 * same bodies many times, and the module does not change while it runs.
 */
let infoCache = new Map<number, any>();
function infoOf(expr: number): any {
  let info = infoCache.get(expr);
  if (info === undefined) {
    info = b.getExpressionInfo(expr);
    infoCache.set(expr, info);
  }
  return info;
}
const NONE = -Infinity;

/** The kernel's heap entry points (kernel/memory/heap.ts), whose longest run is reported as heapStretchCycles. */
const HEAP_ENTRIES = ["~lib/hoprt/kernel/memory/heap/heapAlloc", "~lib/hoprt/kernel/memory/heap/heapFree"];

/** The schema is the host's (it reads it back from the firmware's hoprt.meta section). */
export type Bounds = FirmwareBounds;

/** Cycles charged since the function's entry with no check point yet (e), and since the last check point (c). */
interface State { e: number; c: number; }

interface Summary {
  pre: number; // most charged from entry to the first check point
  post: number; // most charged from the last check point to the exit
  thru: number; // most charged from entry to exit on a path with no check point
  gap: number; // the longest stretch that ends inside this function
}

const dead = (): State => ({ e: NONE, c: NONE });
const join = (x: State, y: State): State => ({ e: Math.max(x.e, y.e), c: Math.max(x.c, y.c) });
const add = (s: State, n: number): State => ({ e: s.e + n, c: s.c + n });
const leq = (x: State, y: State) => x.e <= y.e && x.c <= y.c;

class FunctionBounds {
  private labels = new Map<string, State>();
  private exit = dead();
  pre = NONE;
  gap = NONE;
  unboundedLoop = false;
  /** The statement before the one being walked in its block (0: none). */
  private before = 0;

  constructor(
    private readonly names: InstrumentNames,
    private readonly summaryOf: (callee: string) => Summary | null,
    private readonly indirect: () => Summary,
  ) {}

  run(body: number): Summary {
    const out = join(this.walk(body, { e: 0, c: NONE }), this.exit);
    // The stretch that ends when the function returns to hardware (a handler to the dispatch loop).
    this.gap = Math.max(this.gap, out.c);
    return { pre: this.pre, post: out.c, thru: out.e, gap: this.gap };
  }

  private checkPoint(s: State): State {
    if (s.e === NONE && s.c === NONE) return s;
    this.pre = Math.max(this.pre, s.e);
    this.gap = Math.max(this.gap, s.c);
    return { e: NONE, c: 0 };
  }

  private call(s: State, callee: Summary | null): State {
    if (!callee) return s; // hardware: charged at the call site
    if (callee.pre !== NONE) {
      this.pre = Math.max(this.pre, s.e + callee.pre);
      this.gap = Math.max(this.gap, s.c + callee.pre);
    }
    const reached = s.e !== NONE || s.c !== NONE;
    return {
      e: s.e + callee.thru,
      c: Math.max(s.c + callee.thru, reached ? callee.post : NONE),
    };
  }

  private charge(expr: number): number | null {
    if (deferredCharges.has(expr)) {
      const right = infoOf(infoOf(b.LocalSet.getValue(expr)).right);
      return right.id === b.ConstId ? right.value : null;
    }
    if (b.getExpressionId(expr) !== b.GlobalSetId) return null;
    const set = infoOf(expr);
    if (set.name !== this.names.budget) return null;
    let value = infoOf(set.value);
    // A charge on a mirrored budget: global.set (local.tee $mirror (mirror - C)).
    if (value.id === b.LocalSetId) value = infoOf(value.value);
    if (value.id !== b.BinaryId || value.op !== b.SubInt32) return null;
    const right = infoOf(value.right);
    return right.id === b.ConstId ? right.value : null;
  }

  private isCheck(expr: number): boolean {
    const info = infoOf(expr);
    if (info.id !== b.IfId || info.ifFalse) return false;
    let call = infoOf(info.ifTrue);
    while (call.id === b.BlockId && call.children.length === 1) call = infoOf(call.children[0]);
    return call.id === b.CallId && call.target === this.names.checkpoint;
  }

  private walkAll(exprs: number[], s: State): State {
    for (const e of exprs) if (e) s = this.walk(e, s);
    return s;
  }

  private toLabel(name: string, s: State): void {
    const old = this.labels.get(name);
    this.labels.set(name, old ? join(old, s) : s);
  }

  walk(expr: number, s: State): State {
    const charged = this.charge(expr);
    if (charged !== null) return add(s, charged);
    if (this.isCheck(expr)) return this.checkPoint(s);
    const info = infoOf(expr);
    switch (info.id) {
      case b.BlockId: {
        if (info.name) this.labels.set(info.name, dead());
        let out = s;
        // A loop's trip bound may rest on the statement right before it (countedLoopTrips).
        for (let i = 0; i < info.children.length; i++) {
          this.before = i > 0 ? info.children[i - 1] : 0;
          out = this.walk(info.children[i], out);
        }
        return info.name ? join(out, this.labels.get(info.name)!) : out;
      }
      case b.LoopId: {
        const before = this.before;
        let header = s;
        for (let round = 0; ; round++) {
          this.labels.set(info.name, dead());
          const out = this.walk(info.body, header);
          const next = join(s, this.labels.get(info.name)!);
          if (leq(next, header)) return out;
          const trips = round >= 3 ? countedLoopTrips(info, before) : null;
          if (trips !== null) {
            // A counted loop: at most `trips` back edges, each adding at most one trip's growth.
            this.labels.set(info.name, dead());
            this.walk(info.body, s);
            const back = this.labels.get(info.name)!;
            const grow = (from: number, to: number) => (from === NONE ? NONE : from + trips * Math.max(0, to - from));
            const bounded = { e: grow(s.e, back.e), c: grow(s.c, back.c) };
            if (Number.isFinite(bounded.e) || bounded.e === NONE) {
              if (Number.isFinite(bounded.c) || bounded.c === NONE) {
                this.labels.set(info.name, dead());
                return this.walk(info.body, join(s, bounded));
              }
            }
          }
          if (round >= 3) {
            // Still growing: a loop with no check point whose trips nothing bounds.
            this.unboundedLoop = true;
            header = { e: next.e > header.e ? Infinity : header.e, c: next.c > header.c ? Infinity : header.c };
            this.labels.set(info.name, dead());
            return this.walk(info.body, header);
          }
          header = next;
        }
      }
      case b.IfId: {
        const cond = this.walk(info.condition, s);
        // A counted loop's unchecked copy runs only for trips in which no check point of the checked loop could fire.
        if (versionTests.has(expr)) return cond;
        const yes = this.walk(info.ifTrue, cond);
        return info.ifFalse ? join(yes, this.walk(info.ifFalse, cond)) : join(yes, cond);
      }
      case b.BreakId: {
        let t = info.value ? this.walk(info.value, s) : s;
        if (info.condition) t = this.walk(info.condition, t);
        // A split loop's back-edge check (instrument.ts splitCheckLoop): a check point whichever way it goes.
        if (info.name.startsWith(CHECK_LABEL_PREFIX)) t = this.checkPoint(t);
        this.toLabel(info.name, t);
        return info.condition ? t : dead();
      }
      case b.SwitchId: {
        let t = info.value ? this.walk(info.value, s) : s;
        t = this.walk(info.condition, t);
        for (const name of [...info.names, info.defaultName]) this.toLabel(name, t);
        return dead();
      }
      case b.ReturnId: {
        const t = info.value ? this.walk(info.value, s) : s;
        this.exit = join(this.exit, t);
        return dead();
      }
      case b.UnreachableId:
        return dead();
      case b.CallId: {
        const t = this.walkAll(info.operands, s);
        if (info.target === this.names.checkpoint) return this.checkPoint(t);
        return this.call(t, this.summaryOf(info.target));
      }
      case b.CallIndirectId: {
        const t = this.walk(info.target, this.walkAll(info.operands, s));
        return this.call(t, this.indirect());
      }
      case b.LocalSetId: case b.GlobalSetId: case b.UnaryId: case b.DropId:
        return this.walk(info.value, s);
      case b.LoadId:
        return this.walk(info.ptr, s);
      case b.StoreId:
        return this.walkAll([info.ptr, info.value], s);
      case b.BinaryId:
        return this.walkAll([info.left, info.right], s);
      case b.SelectId:
        return this.walkAll([info.ifTrue, info.ifFalse, info.condition], s);
      case b.MemoryGrowId:
        return this.walk(info.delta, s);
      case b.MemoryCopyId:
        return this.walkAll([info.dest, info.source, info.size], s);
      case b.MemoryFillId:
        return this.walkAll([info.dest, info.value, info.size], s);
      case b.ConstId: case b.LocalGetId: case b.GlobalGetId: case b.NopId: case b.MemorySizeId:
        return s;
      default:
        throw new Error(`hoprt bounds: unsupported expression kind ${info.id}`);
    }
  }
}

/**
 * The most back edges a counted loop can take, or null when its shape is not
 * one of these (what AssemblyScript's `for` becomes), which the pass proves
 * (the test may also be `(i32.and <that test> <anything>)`, a `break` folded in,
 * and `(i32.lt_u (local.get $x) (i32.const 1))` is `(i32.eqz (local.get $x))`):
 *
 *   (loop $L charges* (if (i32.lt_u (local.get $x) LIMIT)
 *     (block ... (local.set $x (i32.add (local.get $x) (i32.const c))) ... (br $L))) ...)
 *
 * (an else arm, if any, leaves the loop) with LIMIT a constant N (bound ceil(N / c): an unsigned $x starts at 0 or
 * more), or (i32.add (local.get $y) (i32.const K)) right after
 * `(local.set $x (local.get $y))` with $y never written in the loop (bound
 * ceil(K / c): $x runs from $y by c, below $y + K, which the source's own test
 * takes as computed without wrapping). The loop's only back edge is the
 * if-block's last statement (or that of a block nested at its end) and the
 * increment one of those blocks' statements (every way to the back edge runs
 * it: a branch out of one of them leaves the loop), c > 0, and nothing else
 * in the loop writes $x (or $y) but on the way out of the function (a return's value).
 */
function countedLoopTrips(loop: any, before: number): number | null {
  const body = infoOf(loop.body);
  const statements: number[] = body.id === b.BlockId ? body.children : [loop.body];
  const test = statements.map(infoOf).find((st) => st.id === b.IfId);
  if (!test) return null; // an else arm (the instrumentation charges the test's fall-through there) leaves the loop
  let cond = infoOf(test.condition);
  // `x < N && more` (the optimizer folds a `break` at the top of the body into the test as an
  // i32.and): the loop goes on only while x < N holds, whatever the other operand.
  const isTest = (c: any) => (c.id === b.BinaryId && c.op === b.LtUInt32) || (c.id === b.UnaryId && c.op === b.EqZInt32);
  if (cond.id === b.BinaryId && cond.op === b.AndInt32) {
    const l = infoOf(cond.left), r = infoOf(cond.right);
    cond = isTest(l) ? l : r;
  }
  if (!isTest(cond)) return null;
  // `x < 1` comes out of the optimizer as `eqz x`.
  const eqz = cond.id === b.UnaryId;
  const left = infoOf(eqz ? cond.value : cond.left);
  if (left.id !== b.LocalGetId) return null;
  const x = left.index;
  let limit: number | null = null;
  let y = -1;
  const right = eqz ? null : infoOf(cond.right);
  if (eqz) limit = 1;
  else if (right.id === b.ConstId) limit = right.value >>> 0;
  else if (right.id === b.BinaryId && right.op === b.AddInt32) {
    const base = infoOf(right.left), k = infoOf(right.right);
    const init = before ? infoOf(before) : null;
    if (base.id === b.LocalGetId && k.id === b.ConstId && base.index !== x && init && init.id === b.LocalSetId && !init.isTee
      && init.index === x && infoOf(init.value).id === b.LocalGetId && infoOf(init.value).index === base.index) {
      limit = k.value >>> 0;
      y = base.index;
    }
  }
  if (limit === null) return null;
  // The arm, and the blocks nested at its end (the instrumentation wraps a region in a block behind
  // its charge): the back edge ends the innermost; a branch out of any of them skips it, leaving the loop.
  const chain: number[] = [];
  let arm = infoOf(test.ifTrue);
  while (arm.id === b.BlockId && arm.children.length > 0) {
    chain.push(...arm.children);
    const tail = infoOf(arm.children[arm.children.length - 1]);
    if (tail.id !== b.BlockId) break;
    arm = tail;
  }
  if (arm.id !== b.BlockId || arm.children.length === 0) return null;
  const last = infoOf(arm.children[arm.children.length - 1]);
  if (last.id !== b.BreakId || last.name !== loop.name || last.condition || last.value) return null;
  let step = 0;
  for (const child of chain) {
    const st = infoOf(child);
    if (st.id !== b.LocalSetId || st.isTee || st.index !== x) continue;
    const add = infoOf(st.value);
    if (add.id !== b.BinaryId || add.op !== b.AddInt32) continue;
    const l = infoOf(add.left), r = infoOf(add.right);
    if (l.id === b.LocalGetId && l.index === x && r.id === b.ConstId && r.value > 0) step = r.value;
  }
  if (step === 0) return null;
  // Nothing else in the loop writes $x (or $y), and no other branch goes back to its header.
  // (A write inside a return's value does not count: the function leaves; the optimizer reuses locals there.)
  let writesX = 0, writesY = 0, backEdges = 0;
  let returning = 0;
  const scan = (expr: number): void => {
    const id = b.getExpressionId(expr);
    if (id === b.ReturnId) returning++;
    if (id === b.LocalSetId && returning === 0) {
      const index = b.LocalSet.getIndex(expr);
      if (index === x) writesX++;
      if (index === y) writesY++;
    } else if (id === b.BreakId) {
      if (b.Break.getName(expr) === loop.name) backEdges++;
    } else if (id === b.SwitchId) {
      const info = infoOf(expr);
      if (info.names.includes(loop.name) || info.defaultName === loop.name) backEdges += 2;
    }
    for (const c of childrenOf(expr)) scan(c);
    if (id === b.ReturnId) returning--;
  };
  scan(loop.body);
  if (writesX !== 1 || writesY !== 0 || backEdges !== 1) return null;
  return Math.ceil(limit / step);
}

const json = (n: number): number | null => (Number.isFinite(n) ? n : null);

/** The bounds of an instrumented module (run after instrumentMachine, before Asyncify). */
export function computeBounds(module: any, names: InstrumentNames, classOf: (name: string) => FunctionClass = classify, graph: CallGraph = callGraph(module)): Bounds {
  infoCache = new Map();
  try {
    return boundsOf(module, names, classOf, graph);
  } finally {
    infoCache = new Map();
  }
}

function boundsOf(module: any, names: InstrumentNames, classOf: (name: string) => FunctionClass, graph: CallGraph): Bounds {
  const functions: Array<{ name: string; cls: FunctionClass; body: number }> = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module !== "") continue;
    const cls = classOf(info.name);
    if (cls !== "hardware") functions.push({ name: info.name, cls, body: info.body });
  }
  // Callees before callers: the fixed point is then reached in one round plus a confirming one.
  const byName = new Map(functions.map((f) => [f.name, f]));
  const ordered: typeof functions = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const f = byName.get(name);
    if (!f || seen.has(name)) return;
    seen.add(name);
    for (const callee of graph.callees.get(name)!) visit(callee);
    ordered.push(f);
  };
  for (const f of functions) visit(f.name);
  functions.length = 0;
  functions.push(...ordered);
  const classMap = new Map(functions.map((f) => [f.name, f.cls]));
  const tableNames = new Set<string>(graph.table);
  // What each function's summary is computed from: its direct callees, and every table entry if it calls indirectly.
  const dependencies = new Map(functions.map((f) => {
    const deps = [...graph.callees.get(f.name)!];
    if (graph.callsIndirect.has(f.name)) deps.push(...tableNames);
    return [f.name, deps] as [string, string[]];
  }));
  const start = (): Summary => ({ pre: NONE, post: NONE, thru: NONE, gap: NONE });
  // Two views of every function: `full` counts everything (atomic stretches),
  // `gap` counts time inside atomic callees as nothing (it is reported apart).
  const full = new Map(functions.map((f) => [f.name, start()]));
  const gapView = new Map(functions.map((f) => [f.name, start()]));
  const unbounded = new Set<string>();
  const ATOMIC_IN_GAP: Summary = { pre: NONE, post: NONE, thru: 0, gap: NONE };

  const solve = (table: Map<string, Summary>, atomicAsNothing: boolean) => {
    const summaryOf = (callee: string): Summary | null => {
      const cls = classMap.get(callee);
      if (!cls) return null;
      if ((atomicAsNothing && cls === "atomic") || isBootOnly(callee)) return ATOMIC_IN_GAP;
      return table.get(callee)!;
    };
    const indirect = (): Summary => {
      let s = start();
      for (const name of tableNames) {
        const t = summaryOf(name);
        if (t) s = { pre: Math.max(s.pre, t.pre), post: Math.max(s.post, t.post), thru: Math.max(s.thru, t.thru), gap: NONE };
      }
      return s;
    };
    // Recursion: iterate to a fixed point; what still grows after many rounds has no bound.
    // A function is walked again only when something it calls changed since its last walk
    // (its summary depends on nothing else), so later rounds touch only the recursive part.
    let changedBefore = new Set<string>(functions.map((f) => f.name));
    for (let round = 0; round < 40; round++) {
      let changed = false;
      const changedNow = new Set<string>();
      for (const f of functions) {
        const deps = dependencies.get(f.name)!;
        if (round > 0 && !deps.some((d) => changedBefore.has(d) || changedNow.has(d))) continue;
        const fb = new FunctionBounds(names, summaryOf, indirect);
        const s = fb.run(f.body);
        if (fb.unboundedLoop) unbounded.add(f.name);
        const old = table.get(f.name)!;
        const grown = (k: keyof Summary) => (s[k] > old[k] ? (round >= 30 ? Infinity : s[k]) : old[k]);
        const next = { pre: grown("pre"), post: grown("post"), thru: grown("thru"), gap: grown("gap") };
        if (next.pre !== old.pre || next.post !== old.post || next.thru !== old.thru || next.gap !== old.gap) {
          changed = true;
          changedNow.add(f.name);
        }
        table.set(f.name, next);
      }
      changedBefore = changedNow;
      if (!changed) {
        if (process.env.HOPRT_PROFILE) process.stderr.write(`hoprt: bounds converged in ${round + 1} rounds\n`);
        return;
      }
    }
  };
  solve(gapView, true);
  solve(full, false);

  let gap = 0, gapFunction = "", atomic = 0, atomicFunction = "";
  for (const f of functions) {
    if (f.cls === "instrumented") {
      const g = gapView.get(f.name)!.gap;
      if (g > gap) { gap = g; gapFunction = f.name; }
    } else if (!isBootOnly(f.name)) {
      const t = full.get(f.name)!.thru;
      if (t > atomic || (t === Infinity && atomic !== Infinity)) {
        atomic = t;
        atomicFunction = f.name;
      }
    }
  }
  if (process.env.HOPRT_PROFILE) {
    const top = functions.filter((f) => f.cls === "atomic").map((f) => [f.name, full.get(f.name)!.thru] as const);
    top.sort((x, y) => y[1] - x[1]);
    for (const [name, t] of top.slice(0, 25)) process.stderr.write(`hoprt: atomic ${t} ${name}${unbounded.has(name) ? " (loop)" : ""}\n`);
  }
  // Every atomic function that holds a loop with no bound, not just the first: the stretch
  // is bounded only once each of them is (a fix to one leaves the others unbounded).
  const holders = functions.filter((f) => f.cls === "atomic" && !isBootOnly(f.name) && unbounded.has(f.name)).map((f) => f.name).sort();
  if (atomic === Infinity) {
    // Name the function that holds the unbounded loop rather than its caller.
    const holder = functions.find((f) => f.cls === "atomic" && unbounded.has(f.name));
    if (holder) atomicFunction = holder.name;
  }
  // One allocation or free of the kernel's heap, no collection: what a spawn, a stacklet or a task's end holds off.
  const heap = HEAP_ENTRIES.reduce((most, name) => Math.max(most, full.get(name)?.thru ?? NONE), NONE);
  return {
    checkpointGapCycles: json(gap), checkpointGapFunction: gapFunction, atomicStretchCycles: json(atomic), atomicStretchFunction: atomicFunction,
    atomicUnboundedLoops: atomic === Infinity ? holders : [],
    heapStretchCycles: heap === NONE ? null : json(heap),
  };
}

