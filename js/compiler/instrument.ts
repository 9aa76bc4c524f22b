/**
 * Cycle accounting, check points and stack frames, added to every function
 * the rule marks instrumented or atomic.
 *
 * A region is code that runs unconditionally once control enters it. The
 * static cost of each region (weights.ts) is subtracted from the budget
 * global at the region's start. A function's entry and every loop header
 * are check points: after charging, `if (budget < 0) checkpoint()` hands
 * control to the MCU model, which fires due events and may suspend the
 * running context there (Asyncify unwinds from that call).
 *
 * Every instrumented or atomic function with a frame also gets a modelled
 * stack frame and Hopter's stack check (DESIGN §3): on entry
 * `sp -= F; if (sp - S < guard) seg = stackGuardHit(F, S, site)`, on every way out
 * `sp += F; if (seg) stackReturn(seg)`, where F is what a compiler would
 * reserve (linkage plus locals). `seg` is set only when the frame moved to
 * a new stacklet (kernel/stack/stacklet.ts), so the fast path is the
 * compare. AssemblyScript keeps its managed locals (and temporaries around
 * some calls) on the same stack pointer, pushed below the modelled frame by
 * the function's own code: the check also covers S, the sum of those
 * pushes in the function (`sp - S < guard`). A leaf that saves no
 * registers and pushes nothing has no frame and no check, as compiled code
 * would.
 *
 * Speed without changing a modelled cycle: a counted loop that makes no
 * call gets an unchecked copy (versionLoop) that runs the trips the budget
 * proves end before the clock's deadline, with its charges on a local and
 * no check point; the checked loop runs the rest. BuildOptions.loopVersioning
 * false leaves the copies out (tests/host/loop-versioning.test.ts compares).
 */
import binaryen from "assemblyscript/binaryen";
import { classify, classifyModule, isProbeFunction, type FunctionClass } from "./rule.js";
import * as W from "./weights.js";
import { childrenOf, forEachChild } from "./walk.js";

const b = binaryen as any;

export interface InstrumentNames {
  budget: string;
  /** A check point fires when the budget drops below this (clock.ts's BUDGET_BIAS: the budget global's initial value). */
  budgetBias?: number;
  stackPointer: string;
  stackLimit: string;
  checkpoint: string;
  stackOverflow: string;
  /** Atomic code's prologue calls this at the main stack's floor: it stops the machine and traps (it never unwinds). */
  mainStackExhausted: string;
  /** The panic's unwind (mcu/core.ts discard): the one way to start an unwind that never comes back. */
  discard: string;
  /**
   * Functions a compiler inlines (transform.ts pinInlining): a call of one
   * costs nothing beyond its body, and neither does its entry, whether
   * Binaryen inlined it or not.
   */
  inlinedCalls?: ReadonlySet<string>;
  /** The epilogue's slow path: a function whose frame moved to a stacklet returns through it. */
  stackReturn: string;
  /** Where the running task's stack pointer is kept while atomic code runs on the main stack for it. */
  taskStackPointer: string;
  /** The main stack: [dataEnd, heapBase) (AssemblyScript's layout); read from the module by the pipeline. */
  heapBase?: number;
  dataEnd?: number;
  /** Keep each loop's check point at its header (the reference layout: tests compare the split one against it). */
  headerChecks?: boolean;
  /** false: no unchecked copies of counted loops (see versionLoop); the build's `loopVersioning` option, for comparing the two. */
  versionLoops?: boolean;
  /**
   * The MMIO bus's store functions: a store may pend an exception that beats what runs (SCB ICSR,
   * NVIC ISPR/STIR), which the core takes right after the store, so each call is followed by a
   * check point in the code that made it: the MCU model's own functions are then never on a
   * suspended context's stack (its saved state holds the caller's frames only).
   */
  busStores?: string[];
}

/** Main-stack bytes atomic code must leave free above the static data (a handler's reserve is larger). */
const MAIN_STACK_FLOOR_MARGIN = 256;

export interface FunctionReport {
  name: string;
  cls: FunctionClass;
  frameBytes: number;
  /** AssemblyScript's shadow-stack pushes below the frame (bytes): part of the stack while its code runs. */
  shadowBytes: number;
  checkPoints: number;
  /** Counted loops given an unchecked copy (FunctionInstrumenter.versionLoop). */
  versionedLoops: number;
  /** Loops of those copies whose pure trips are charged all at once before the loop (FunctionInstrumenter.hoistTrip). */
  hoistedLoops: number;
}

export interface InstrumentReport {
  functions: FunctionReport[];
  violations: string[];
}

const LINKAGE_BYTES = 8; // saved LR and frame pointer

function typeBytes(type: number): number {
  if (type === b.i64 || type === b.f64) return 8;
  return 4;
}

function localTypes(info: any): number[] {
  return [...b.expandType(info.params), ...info.vars];
}

interface Walk {
  cost: number; // cost of the part that runs whenever the expression runs
  controlFlow: boolean; // contains a branch, so what follows is a new region
  expr: number; // the (possibly replaced) expression
}

class FunctionInstrumenter {
  checkPoints = 0;
  versionedLoops = 0;
  hoistedLoops = 0;
  private tmpLocals = new Map<number, number>();
  private nextLocal: number;

  constructor(
    private readonly module: any,
    private readonly names: InstrumentNames,
    private readonly cls: FunctionClass,
    private readonly frameBytesRef: { value: number },
    baseLocalCount: number,
    private readonly isHardware: (callee: string) => boolean,
    private readonly isProbe: (callee: string) => boolean = () => false,
    private readonly framed: boolean = true,
  ) {
    this.nextLocal = baseLocalCount;
    this.stackletLocal = framed ? this.nextLocal++ : -1;
  }

  /** The local that holds the stacklet the frame moved to (0 on the fast path); -1 without a frame. */
  readonly stackletLocal: number;

  /** A scratch local of the given type, for carrying a return value past the epilogue. */
  tmpLocal(type: number): number {
    let index = this.tmpLocals.get(type);
    if (index === undefined) {
      index = this.nextLocal++;
      this.tmpLocals.set(type, index);
    }
    return index;
  }

  /** The scratch locals (not part of the modelled frame: a compiler keeps them in registers). */
  extraVars(): number[] {
    return [...this.tmpLocals.entries()].sort((x, y) => x[1] - y[1]).map(([type]) => type);
  }

  /** Every local the instrumentation adds, in index order. */
  addedVars(): number[] {
    const added = [...this.tmpLocals.entries()].map(([type, index]) => [index, type]);
    if (this.stackletLocal >= 0) added.push([this.stackletLocal, b.i32]);
    added.push(...this.versionLocals);
    return added.sort((x, y) => x[0] - y[0]).map(([, type]) => type);
  }

  /** `budget -= cycles` (or the given constant expression, patched later). */
  charge(cycles: number, constant = 0): number {
    const m = this.module;
    const amount = constant || m.i32.const(cycles);
    if (this.unchecked) {
      // In an unchecked copy the budget lives in the mirror alone (stored where it can be read: see walk).
      this.cloneFrames[this.cloneFrames.length - 1].amounts.push(amount);
      const node = this.mirrorNode(m.local.set(0, m.i32.sub(this.mirrorNode(m.local.get(0, b.i32)), amount)));
      this.cloneCharges.add(node);
      deferredCharges.add(node);
      return node;
    }
    if (this.mirroring) return m.global.set(this.names.budget, this.mirrorNode(m.local.tee(0, m.i32.sub(this.mirrorNode(m.local.get(0, b.i32)), amount), b.i32)));
    return m.global.set(this.names.budget, m.i32.sub(m.global.get(this.names.budget, b.i32), amount));
  }

  /**
   * The check point's test: the deadline the clock was armed for is reached
   * (now >= deadline: budget <= bias), the same rule by which the core's
   * service() fires an alarm (due <= now). With "passed" here (budget < bias)
   * a check point that landed exactly on an alarm's cycle let it by when the
   * clock was armed for that alarm, but fired it when armed for an earlier
   * deadline (a host's slice end): the trace depended on how the host sliced.
   */
  deadlineReached(): number {
    const m = this.module;
    const budget = this.mirroring ? this.mirrorNode(m.local.get(0, b.i32)) : m.global.get(this.names.budget, b.i32);
    return m.i32.le_s(budget, m.i32.const(this.names.budgetBias ?? 0));
  }

  /**
   * Inside a call-free loop the budget is mirrored in a local: every charge
   * still stores the global (so it always holds the exact budget, whatever
   * traps), but nothing loads it back, so a trip's charges do not wait on
   * memory. Nothing else writes the global while no call is made.
   */
  private mirroring = false;
  /** The mirror local's get/tee nodes; their index is set by `finishMirror`, after every other local. */
  private mirrorNodes = new Set<number>();

  private mirrorNode(node: number): number {
    this.mirrorNodes.add(node);
    return node;
  }

  /** `global.set budget (local.tee mirror X)`, a charge on the mirror: X, else 0. */
  private mirroredCharge(expr: number): number {
    if (b.getExpressionId(expr) !== b.GlobalSetId || b.GlobalSet.getName(expr) !== this.names.budget) return 0;
    const value = b.GlobalSet.getValue(expr);
    return b.getExpressionId(value) === b.LocalSetId && this.mirrorNodes.has(value) ? b.LocalSet.getValue(value) : 0;
  }

  /**
   * In a mirrored loop, a charge followed by code that cannot trap or be
   * observed (local arithmetic) and then by another charge needs no store of
   * its own: nothing can read the global before the next charge stores the
   * sum. So the global is still exact wherever anything could read it.
   */
  private deferStores(expr: number): void {
    if (!expr) return;
    const id = b.getExpressionId(expr);
    if (id === b.ConstId) return;
    if (id === b.BlockId) {
      const n = b.Block.getNumChildren(expr);
      for (let i = 0; i < n; i++) {
        const child = b.Block.getChildAt(expr, i);
        const amount = this.mirroredCharge(child);
        if (amount && this.nextIsCharge(expr, i + 1)) {
          const deferred = this.mirrorNode(this.module.local.set(0, amount));
          deferredCharges.add(deferred);
          b.Block.setChildAt(expr, i, deferred);
        } else this.deferStores(child);
      }
      return;
    }
    for (const c of childrenOf(expr)) this.deferStores(c);
  }

  /** Whether, from child `from` of `block` on, straight-line local arithmetic leads to a charge (entering nested blocks from the top). */
  private nextIsCharge(block: number, from: number): boolean {
    const n = b.Block.getNumChildren(block);
    for (let i = from; i < n; i++) {
      const child = b.Block.getChildAt(block, i);
      if (this.mirroredCharge(child)) return true;
      if (b.getExpressionId(child) === b.BlockId) return this.nextIsCharge(child, 0);
      if (!quietLocal(child)) return false;
    }
    return false;
  }

  /** Append the mirror local (if used) to `vars` and point its nodes at it; `params` is the number of parameters. */
  finishMirror(params: number, vars: number[]): void {
    if (this.mirrorNodes.size === 0) return;
    const index = params + vars.length;
    vars.push(b.i32);
    for (const node of this.mirrorNodes) {
      if (b.getExpressionId(node) === b.LocalGetId) b.LocalGet.setIndex(node, index);
      else b.LocalSet.setIndex(node, index);
    }
  }

  check(): number {
    if (this.unchecked) return this.module.nop();
    this.checkPoints++;
    return this.module.if(this.deadlineReached(), this.module.call(this.names.checkpoint, [], b.none));
  }

  /** Loops being walked whose header check moves to their back edges (see splitCheckLoop). */
  private splitLoops = new Map<string, { charges: number[]; check: string; unchecked?: boolean; backEdges?: number[] }>();
  private nextSplit = 0;

  /**
   * A loop's header check point, `loop $l { charge; check; body }`, laid out
   * so that the loop itself holds no call:
   *
   *     charge; check                      ;; the first entry
   *     block $done
   *       loop $again
   *         block $check
   *           loop $l { body }             ;; each back edge: charge; br_if $check (budget <= bias); br $l
   *           br $done
   *         end
   *         call checkpoint                ;; then into $l at its header, already charged
   *         br $again
   *       end
   *     end
   *
   * Every trip charges and checks exactly as the header did, in the same
   * order, so modelled time is unchanged; but the call that may suspend the
   * context sits outside the loop, so Asyncify leaves the loop's own code
   * uninstrumented and the engine sees a call-free loop.
   */
  private splitCheckLoop(loop: number, headerCost: number, check: string, mirror: boolean, version: number | null = null): number {
    const m = this.module;
    // Not under CHECK_LABEL_PREFIX: a branch to these is no check point.
    const done = check.replace(CHECK_LABEL_PREFIX, "hoprt~done");
    const again = check.replace(CHECK_LABEL_PREFIX, "hoprt~again");
    // The mirror is loaded where no call follows before the loop: it is never live across a call (Asyncify saves nothing more).
    const enter = mirror ? [this.mirrorNode(m.local.set(0, m.global.get(this.names.budget, b.i32)))] : [];
    if (b.getExpressionType(loop) === b.unreachable) {
      // A loop that never falls through (it leaves only by branches to outer labels) keeps that type.
      return m.block(null, [
        this.charge(headerCost),
        this.check(),
        m.loop(again, m.block(null, [
          m.block(check, [...enter, loop], b.none),
          m.call(this.names.checkpoint, [], b.none),
          m.br(again),
        ], b.unreachable)),
      ], b.unreachable);
    }
    const checked = m.loop(again, m.block(null, [
      m.block(check, [...(version ? [version] : []), ...enter, loop, m.br(done)], b.none),
      m.call(this.names.checkpoint, [], b.none),
      m.br(again),
    ], b.unreachable));
    return m.block(done, [this.charge(headerCost), this.check(), checked], b.none);
  }


  /** Charge (and check, at a check point) before `expr`. */
  prefix(cost: number, expr: number, checkPoint: boolean): number {
    const parts: number[] = [];
    if (cost > 0 || checkPoint) parts.push(this.charge(cost));
    if (checkPoint && this.cls === "instrumented") parts.push(this.check());
    if (parts.length === 0) return expr;
    parts.push(expr);
    return this.module.block(null, parts, b.getExpressionType(expr));
  }

  /** Labels of the loops around the expression being walked: a branch to one is a back edge. */
  private loops = new Set<string>();
  /** The exit test at the top of the innermost loop being walked, which a compiler moves to the bottom. */
  private rotatedExit = 0;

  /**
   * The cost of a branch condition: `eqz` folds into the branch (BEQ instead
   * of BNE); a short-circuit `a && b` (`if (result i32) a b (i32.const 0)`)
   * or `a || b` (`... a (i32.const 1) b`) is two conditional branches, the
   * first taken straight to where the whole condition goes when it decides
   * it: no branch over an else arm, as an if with a value would have
   * (shortCircuit; the branch that consumes it charges its own).
   */
  private condition(expr: number): Walk {
    if (b.getExpressionId(expr) === b.UnaryId && b.Unary.getOp(expr) === b.EqZInt32) {
      const inner = this.walk(b.Unary.getValue(expr));
      b.Unary.setValue(expr, inner.expr);
      return { cost: inner.cost, controlFlow: inner.controlFlow, expr };
    }
    const logical = this.shortCircuit(expr);
    if (logical) return logical;
    return this.walk(expr);
  }

  /**
   * `a && b` or `a || b` as a branch condition, or null. Its first test is a
   * conditional branch: 1 (charged before), + P where taken (&&: when false,
   * out; ||: when true, straight into the consumer's `then`). `folded`: the
   * consumer is an `if` whose own branch is the second test's (charged here,
   * on the second test's path), and whose else side pays the P of a false
   * first test of && (the if's else arm pays P: it is where that branch goes).
   */
  private shortCircuit(expr: number, folded = false): Walk | null {
    if (b.getExpressionId(expr) !== b.IfId || b.getExpressionType(expr) !== b.i32) return null;
    const yes = b.If.getIfTrue(expr), no = b.If.getIfFalse(expr);
    const and = no !== 0 && i32Constant(single(no)) === 0, or = !and && i32Constant(single(yes)) === 1;
    if (!and && !or) return null;
    const first = this.condition(b.If.getCondition(expr));
    b.If.setCondition(expr, first.expr);
    const second = this.condition(and ? yes : no);
    const secondCost = second.cost + (folded ? W.BRANCH_NOT_TAKEN : 0);
    if (and) {
      b.If.setIfTrue(expr, this.prefix(secondCost, second.expr, false));
      b.If.setIfFalse(expr, this.prefix(folded ? 0 : W.P, no, false));
    } else {
      b.If.setIfTrue(expr, this.prefix(W.P, yes, false));
      b.If.setIfFalse(expr, this.prefix(secondCost, second.expr, false));
    }
    return { cost: first.cost + W.BRANCH_NOT_TAKEN, controlFlow: true, expr };
  }

  /**
   * A binary operation a compiler emits as one instruction with what feeds
   * it (weights.ts IDIOM_ROWS, constantDivisionCost), or null: division by a
   * constant; MLA / MLS; SBFX for `0 - (x & 1)`; a data-processing
   * instruction whose second operand is a register shifted by a constant.
   * A shape whose inner value is kept (local.tee) is not folded: the
   * compiler computes that value on its own.
   */
  private foldedBinary(expr: number, op: number): Walk | null {
    const left = b.Binary.getLeft(expr);
    const right = b.Binary.getRight(expr);
    const binaryOf = (e: number, ops: Set<number>): boolean => b.getExpressionId(e) === b.BinaryId && ops.has(b.Binary.getOp(e));
    const done = (cost: number, parts: Walk[]): Walk => ({ cost: parts.reduce((sum, w) => sum + w.cost, cost), controlFlow: parts.some((w) => w.controlFlow), expr });
    const walkInto = (node: number, side: "left" | "right"): Walk => {
      const walked = this.walk(side === "left" ? b.Binary.getLeft(node) : b.Binary.getRight(node));
      if (side === "left") b.Binary.setLeft(node, walked.expr); else b.Binary.setRight(node, walked.expr);
      return walked;
    };
    if (DIVISIONS.has(op)) {
      const divisor = i32Constant(right);
      if (divisor === null || divisor === 0) return null;
      const dividend = walkInto(expr, "left");
      return done(W.constantDivisionCost(op === b.DivSInt32 || op === b.RemSInt32, op === b.RemSInt32 || op === b.RemUInt32, divisor), [dividend]);
    }
    if (op === b.SubInt32 && i32Constant(left) === 0 && binaryOf(right, AND) && i32Constant(b.Binary.getRight(right)) === 1) {
      return done(W.IDIOM_ROWS.bitFieldExtract.cycles, [walkInto(right, "left")]);
    }
    // MLA Rd, Rn, Rm, Ra: acc + a * b (either side); MLS: acc - a * b.
    const product = binaryOf(right, MUL) ? "right" : op === b.AddInt32 && binaryOf(left, MUL) ? "left" : null;
    if ((op === b.AddInt32 || op === b.SubInt32) && product) {
      // Walked in the wasm's order, left operand first.
      const mul = product === "right" ? right : left;
      const parts = product === "right"
        ? [walkInto(expr, "left"), walkInto(mul, "left"), walkInto(mul, "right")]
        : [walkInto(mul, "left"), walkInto(mul, "right"), walkInto(expr, "right")];
      return done(W.IDIOM_ROWS.multiplyAccumulate.cycles, parts);
    }
    if (!SHIFTED_OPERAND_OPS.has(op)) return null;
    const shiftedBy = (e: number) => {
      const amount = binaryOf(e, SHIFTS) ? i32Constant(b.Binary.getRight(e)) ?? 0 : 0;
      return amount > 0 && amount < 32;
    };
    const side = shiftedBy(right) ? "right" : shiftedBy(left) ? "left" : null;
    if (!side) return null;
    const shift = side === "right" ? right : left;
    const parts = side === "right" ? [walkInto(expr, "left"), walkInto(shift, "left")] : [walkInto(shift, "left"), walkInto(expr, "right")];
    return done(W.binaryCost(op) + W.IDIOM_ROWS.shiftedOperand.cycles, parts);
  }

  /**
   * The address of a load or store: `base + index` and `base + (index << 0..3)`
   * are the LDR/STR addressing modes [Rn, Rm, LSL #n] (weights.ADDRESS_MODE),
   * so that add and shift cost nothing of their own.
   */
  private address(expr: number): Walk {
    if (b.getExpressionId(expr) !== b.BinaryId || b.Binary.getOp(expr) !== b.AddInt32) return this.walk(expr);
    const fold = (operand: number): Walk => {
      // The scaled index may be kept for the next access too (local.tee).
      const tee = b.getExpressionId(operand) === b.LocalSetId && b.LocalSet.isTee(operand);
      const shift = tee ? b.LocalSet.getValue(operand) : operand;
      if (b.getExpressionId(shift) === b.BinaryId && b.Binary.getOp(shift) === b.ShlInt32) {
        const amount = b.Binary.getRight(shift);
        if (b.getExpressionId(amount) === b.ConstId && (b.Const.getValueI32(amount) >>> 0) <= W.ADDRESS_MODE_MAX_SHIFT) {
          const index = this.walk(b.Binary.getLeft(shift));
          b.Binary.setLeft(shift, index.expr);
          return { cost: index.cost, controlFlow: index.controlFlow, expr: operand };
        }
      }
      return this.walk(operand);
    };
    const left = fold(b.Binary.getLeft(expr));
    const right = fold(b.Binary.getRight(expr));
    b.Binary.setLeft(expr, left.expr);
    b.Binary.setRight(expr, right.expr);
    return { cost: left.cost + right.cost, controlFlow: left.controlFlow || right.controlFlow, expr };
  }

  /** Frame-size constants emitted before the frame size is known; patched by `finishFrame`. */
  private frameConstants: number[] = [];

  epilogue(): number {
    const m = this.module;
    if (!this.framed) return m.nop();
    const sp = this.names.stackPointer;
    const size = m.i32.const(0);
    this.frameConstants.push(size);
    const seg = this.stackletLocal;
    const pop = m.global.set(sp, m.i32.add(m.global.get(sp, b.i32), size));
    if (this.cls === "atomic") {
      return m.block(null, [pop, m.if(m.local.get(seg, b.i32), m.global.set(sp, m.global.get(this.names.taskStackPointer, b.i32)))], b.none);
    }
    return m.block(null, [pop, m.if(m.local.get(seg, b.i32), m.call(this.names.stackReturn, [m.local.get(seg, b.i32)], b.none))], b.none);
  }

  /** AssemblyScript's shadow-stack pushes in this function (bytes), below the frame. */
  shadowBytes = 0;

  /** The stack pointer less the shadow pushes: what the guard is compared with. */
  private lowest(): number {
    const m = this.module;
    const sp = m.global.get(this.names.stackPointer, b.i32);
    return this.shadowBytes > 0 ? m.i32.sub(sp, m.i32.const(this.shadowBytes)) : sp;
  }

  /**
   * `sp -= F; if (sp - S < guard) seg = stackGuardHit(F, S, site)`. Atomic code
   * (the heap, the stacklet allocator) runs on the main stack, as an SVC
   * handler would: entered from a task's stack (above the main stack) it
   * keeps the task's stack pointer in `taskStackPointer` and switches, so a
   * stack extension never re-enters the heap and the heap's frames never
   * need a stacklet; its frames are checked against the main stack's floor.
   */
  prologue(site: number): number[] {
    const m = this.module;
    if (!this.framed) return [];
    const sp = this.names.stackPointer;
    const push = m.global.set(sp, m.i32.sub(m.global.get(sp, b.i32), this.frameConstant()));
    if (this.cls === "atomic") {
      const seg = this.stackletLocal;
      const heapBase = this.names.heapBase!;
      return [
        m.local.set(seg, m.i32.gt_u(m.global.get(sp, b.i32), m.i32.const(heapBase))),
        m.if(m.local.get(seg, b.i32), m.block(null, [
          m.global.set(this.names.taskStackPointer, m.global.get(sp, b.i32)),
          m.global.set(sp, m.i32.const(heapBase)),
        ], b.none)),
        push,
        m.if(m.i32.lt_u(this.lowest(), m.i32.const(this.names.dataEnd! + MAIN_STACK_FLOOR_MARGIN)),
          m.drop(m.call(this.names.mainStackExhausted, [this.frameConstant(), m.i32.const(this.shadowBytes), m.i32.const(site)], b.i32))),
      ];
    }
    return [
      push,
      m.if(m.i32.lt_u(this.lowest(), m.global.get(this.names.stackLimit, b.i32)),
        m.local.set(this.stackletLocal, m.call(this.names.stackOverflow, [this.frameConstant(), m.i32.const(this.shadowBytes), m.i32.const(site)], b.i32))),
    ];
  }

  frameConstant(): number {
    const size = this.module.i32.const(0);
    this.frameConstants.push(size);
    return size;
  }

  finishFrame(bytes: number): void {
    this.frameBytesRef.value = bytes;
    for (const c of this.frameConstants) b.Const.setValueI32(c, bytes);
  }

  /** While true, the walk builds an unchecked copy of a counted loop (versionLoop): charges on the mirror, no check points. */
  private unchecked = false;
  /** Per loop of the copy being built, outermost first: its charge amounts (i32.const nodes) and its inner loops' bounds. */
  private cloneFrames: { amounts: number[]; extra: number }[] = [];
  /** Trip counts of the inner loops of the copy being built. */
  private cloneTrips = new Map<number, number>();
  /** Labels of the scopes of the copy around the expression being walked: a branch elsewhere leaves the copy. */
  private cloneScopes = new Map<string, number>();
  private cloneCharges = new Set<number>();
  /** A store of the budget would not be exact in the copy being built (a charge inside a trapping expression's operands). */
  private cloneBroken = false;

  walk(expr: number): Walk {
    if (!this.unchecked || expr === 0) return this.walkNode(expr);
    const id = b.getExpressionId(expr);
    const label = id === b.BlockId ? b.Block.getName(expr) : id === b.LoopId ? b.Loop.getName(expr) : null;
    if (label) this.cloneScopes.set(label, (this.cloneScopes.get(label) ?? 0) + 1);
    const leaves = this.leavesOrTraps(expr, id);
    const walked = this.walkNode(expr);
    if (label) {
      const n = this.cloneScopes.get(label)! - 1;
      if (n === 0) this.cloneScopes.delete(label);
      else this.cloneScopes.set(label, n);
    }
    if (!leaves) return walked;
    // The global holds the exact budget wherever it can be read: at a trap (the fault report) and after the copy.
    if (containsAny(walked.expr, this.cloneCharges)) this.cloneBroken = true;
    const m = this.module;
    const store = m.global.set(this.names.budget, this.mirrorNode(m.local.get(0, b.i32)));
    return { ...walked, expr: m.block(null, [store, walked.expr], b.getExpressionType(walked.expr)) };
  }

  /** Whether `expr` (in an unchecked copy) may trap or branch out of the copy. */
  private leavesOrTraps(expr: number, id: number): boolean {
    switch (id) {
      case b.LoadId: case b.StoreId: case b.MemoryCopyId: case b.MemoryFillId: case b.UnreachableId: case b.ReturnId:
      case b.CallId: case b.CallIndirectId:
        return true;
      case b.BinaryId:
        return TRAPPING_BINARY.has(b.Binary.getOp(expr));
      case b.UnaryId:
        return TRAPPING_UNARY.has(b.Unary.getOp(expr));
      case b.BreakId:
        return !this.cloneScopes.has(b.Break.getName(expr));
      case b.SwitchId:
        return switchTargets(expr).some((name) => !this.cloneScopes.has(name));
      default:
        return false;
    }
  }

  /**
   * Loop versioning. A counted loop (`loop $l { if (i < n) { ...; i = i + 1; br $l } }`,
   * see countedLoop) that makes no call and whose inner loops run a constant
   * number of trips gets an unchecked copy: at its first entry, after its
   * header's charge and check, `(trips + 1) * S < budget - bias`, where S is
   * the sum of every charge in one trip (inner loops at their bound), proves
   * that no check point inside can reach the deadline; the copy then runs,
   * charging the same amounts on the same paths to the mirror local, with no
   * check point. The global is stored from the mirror before anything that
   * can trap and wherever the copy is left, so a trap reports the exact
   * cycle and the budget after the loop is the same. Otherwise the checked
   * loop runs. Modelled time is the same either way; only the engine's work
   * differs.
   */
  private versionLoop(copy: number, plan: CountedLoop, inner: Map<number, number>, check: string): number | null {
    const m = this.module;
    // The copy's test becomes `i < limit`: it stops after the trips that fit before the deadline.
    const test = topTest(copy);
    const limit = this.versionLocal(b.i32);
    const cond = b.If.getCondition(test);
    const limitOperand = b.Binary.getOp(cond) === b.LtUInt32 || b.Binary.getOp(cond) === b.LtSInt32 ? "setRight" : "setLeft";
    b.Binary[limitOperand](cond, m.local.get(limit, b.i32));
    const saved = { splitLoops: this.splitLoops, mirroring: this.mirroring };
    this.splitLoops = new Map();
    this.mirroring = false;
    this.unchecked = true;
    this.cloneTrips = inner;
    this.cloneBroken = false;
    this.cloneFrames = [{ amounts: [], extra: 0 }];
    this.cloneScopes = new Map();
    this.cloneCharges = new Set();
    this.pureLoops = new Set();
    this.cloneTopTrip = null;
    const walked = this.walk(copy);
    const topTrip = this.cloneTopTrip;
    const perTrip = this.cloneTopCost;
    this.unchecked = false;
    this.splitLoops = saved.splitLoops;
    this.mirroring = saved.mirroring;
    // The bias plus a trip must stay an i32 (the test compares the budget with it first).
    if (this.cloneBroken || perTrip <= 0 || perTrip >= 0x3fffffff) return null;
    // A pure trip charges exactly C (hoistTrip), S also counts the exit's charge: k * C < room is what
    // keeps every skipped check point short of the deadline, so all the trips that fit run in one go.
    const tripBound = topTrip !== null && topTrip > 0 && topTrip <= perTrip ? topTrip : perTrip;
    const budget = this.names.budget;
    const done = check.replace(CHECK_LABEL_PREFIX, "hoprt~done");
    const retry = check.replace(CHECK_LABEL_PREFIX, "hoprt~retry");
    const i = () => m.local.get(plan.index, b.i32);
    const n = () => (plan.bound.local !== undefined ? m.local.get(plan.bound.local, b.i32) : m.i32.const(plan.bound.value!));
    const runs = () => (plan.signed ? m.i32.lt_s(i(), n()) : m.i32.lt_u(i(), n()));
    // The copy's test failing at the limit, before the loop's own end: at the loop's header (already charged), with
    // less room left; S overestimates a trip, so a new limit usually fits more trips; when none fits, on into the checked loop.
    const exit = b.If.getIfFalse(test);
    b.If.setIfFalse(test, m.if(runs(), m.block(null, [m.global.set(budget, this.mirrorNode(m.local.get(0, b.i32))), m.br(retry)], b.unreachable), exit));
    // k = min(trips, (room - 1) / S): k * S < room, so no back edge of the first k trips reaches the deadline (C for S: see above).
    const k = this.versionLocal(b.i64);
    const trips = m.select(runs(), m.i64.extend_u(m.i32.sub(n(), i())), m.i64.const(0, 0));
    const bias = this.names.budgetBias ?? 0;
    const room = m.i64.sub(m.i64.extend_s(m.global.get(budget, b.i32)), m.i64.const(bias | 0, bias < 0 ? -1 : 0));
    const fit = m.i64.div_s(m.i64.sub(room, m.i64.const(1, 0)), m.i64.const(tripBound, 0));
    const tripCount = this.versionLocal(b.i64);
    const kValue = m.select(m.i64.lt_s(m.local.get(k, b.i64), m.local.get(tripCount, b.i64)), m.local.get(k, b.i64), m.local.get(tripCount, b.i64));
    const chosen = m.i64.gt_s(m.local.tee(k, kValue, b.i64), m.i64.const(0, 0));
    const roomy = m.i32.gt_s(m.global.get(budget, b.i32), m.i32.const((bias + tripBound) | 0));
    // Every local here is written before it is read on every path from the check point's call, so none is live
    // across it: Asyncify saves no more than without the copy, and a suspended context's saved state (its stack use) is the same.
    const version = m.if(roomy, m.block(null, [
      m.local.set(k, fit),
      m.local.set(tripCount, trips),
      m.if(chosen, m.block(null, [
        m.local.set(limit, m.i32.add(i(), m.i32.wrap(m.local.get(k, b.i64)))),
        this.mirrorNode(m.local.set(0, m.global.get(budget, b.i32))),
        // A pure trip: the copy runs exactly k trips (limit - i), charged at once (k * C < room: no wrap).
        ...(topTrip !== null ? [this.hoistedCharge(m.i32.mul(m.i32.wrap(m.local.get(k, b.i64)), m.i32.const(topTrip)))] : []),
        walked.expr,
        m.global.set(budget, this.mirrorNode(m.local.get(0, b.i32))),
        m.br(done),
      ], b.unreachable)),
    ], b.none));
    versionTests.add(version);
    this.versionedLoops++;
    this.hoistedLoops += this.pureLoops.size;
    return m.loop(retry, version);
  }

  /** Locals the loop versions use (not part of the modelled frame). */
  private versionLocals: Array<[number, number]> = [];

  private versionLocal(type: number): number {
    const index = this.nextLocal++;
    this.versionLocals.push([index, type]);
    return index;
  }

  /**
   * A loop of an unchecked copy: laid out as a split loop (the header's charge
   * on the first entry and on each back edge) with no check. Its charges, at
   * most (trips + 1) times each, go to the enclosing loop's bound.
   */
  private uncheckedLoop(expr: number, info: any): Walk {
    const m = this.module;
    const trips = this.cloneTrips.get(expr);
    this.splitLoops.set(info.name, { charges: [], check: "", unchecked: true });
    this.cloneFrames.push({ amounts: [], extra: 0 });
    const body = this.walk(info.body);
    this.loops.delete(info.name);
    const { charges } = this.splitLoops.get(info.name)!;
    this.splitLoops.delete(info.name);
    for (const c of charges) b.Const.setValueI32(c, body.cost);
    b.Loop.setBody(expr, body.expr);
    const frame = this.cloneFrames.pop()!;
    const sum = frame.amounts.reduce((total, c) => total + b.Const.getValueI32(c), frame.extra);
    // Read before hoistTrip may zero the trip's charges: the bound S keeps counting them.
    const tripCost = this.hoistTrip(expr, info.name);
    if (trips === undefined) {
      // The copy's own loop: its first header charge was made before the test.
      this.cloneTopCost = sum;
      this.cloneTopTrip = tripCost;
      return { cost: 0, controlFlow: true, expr };
    }
    this.cloneFrames[this.cloneFrames.length - 1].extra += (trips + 1) * sum;
    const parts = [this.charge(body.cost)];
    if (tripCost !== null) parts.push(this.hoistedCharge(m.i32.const(Number(BigInt.asIntN(32, BigInt(trips) * BigInt(tripCost))))));
    return { cost: 0, controlFlow: true, expr: m.block(null, [...parts, expr], b.none) };
  }

  /** Loops of the copy being built whose trips' charges were hoisted (hoistTrip). */
  private pureLoops = new Set<number>();

  /**
   * A loop of an unchecked copy whose trip is pure (local arithmetic and
   * charges only: nothing traps, nothing stores or reads the budget, no
   * branch but the one back edge, inner loops hoisted themselves) charges
   * the same on every trip, and nothing can see the mirror until the loop
   * ends. Its trip's charges are then made once, before the loop, for all
   * its trips (`mirror -= trips * C`, modulo 2^32 as the charges would
   * wrap): the mirror is the same where anything reads it, and the engine
   * runs the loop as plain code. Returns C (the trip's charges now zero),
   * or null when the trip is not pure (nothing changed).
   */
  private hoistTrip(loop: number, label: string): number | null {
    let body = b.Loop.getBody(loop);
    if (b.getExpressionId(body) === b.BlockId && b.Block.getNumChildren(body) === 1) body = b.Block.getChildAt(body, 0);
    if (b.getExpressionId(body) !== b.IfId) return null;
    const trip = b.If.getIfTrue(body);
    const charges: number[] = [];
    let backEdges = 0;
    let pure = true;
    const visit = (e: number): void => {
      if (!e || !pure) return;
      const id = b.getExpressionId(e);
      switch (id) {
        case b.ConstId: case b.LocalGetId: case b.NopId: case b.GlobalGetId:
          if (id === b.GlobalGetId && b.GlobalGet.getName(e) === this.names.budget) pure = false;
          return;
        case b.LocalSetId:
          if (this.cloneCharges.has(e)) charges.push(e);
          visit(b.LocalSet.getValue(e));
          return;
        case b.UnaryId:
          if (TRAPPING_UNARY.has(b.Unary.getOp(e))) pure = false;
          else visit(b.Unary.getValue(e));
          return;
        case b.BinaryId:
          if (TRAPPING_BINARY.has(b.Binary.getOp(e))) pure = false;
          else { visit(b.Binary.getLeft(e)); visit(b.Binary.getRight(e)); }
          return;
        case b.SelectId:
          visit(b.Select.getIfTrue(e)); visit(b.Select.getIfFalse(e)); visit(b.Select.getCondition(e));
          return;
        case b.DropId:
          visit(b.Drop.getValue(e));
          return;
        case b.BlockId: {
          const n = b.Block.getNumChildren(e);
          for (let i = 0; i < n; i++) visit(b.Block.getChildAt(e, i));
          return;
        }
        case b.LoopId:
          if (!this.pureLoops.has(e)) pure = false;
          return;
        case b.BreakId:
          if (b.Break.getName(e) === label && !b.Break.getCondition(e) && !b.Break.getValue(e)) backEdges++;
          else pure = false;
          return;
        default:
          pure = false; // a store of the budget before a trap, a branch, a call, a memory access
      }
    };
    visit(trip);
    if (!pure || backEdges !== 1) return null;
    let cost = 0;
    for (const node of charges) {
      const amount = b.Binary.getRight(b.LocalSet.getValue(node));
      if (b.getExpressionId(amount) !== b.ConstId) return null;
      cost = (cost + b.Const.getValueI32(amount)) | 0;
    }
    for (const node of charges) b.Const.setValueI32(b.Binary.getRight(b.LocalSet.getValue(node)), 0);
    this.pureLoops.add(loop);
    return cost;
  }

  /** `mirror -= amount` in an unchecked copy, outside the bound S (it stands for charges S already counts). */
  private hoistedCharge(amount: number): number {
    const m = this.module;
    const node = this.mirrorNode(m.local.set(0, m.i32.sub(this.mirrorNode(m.local.get(0, b.i32)), amount)));
    this.cloneCharges.add(node);
    deferredCharges.add(node);
    return node;
  }

  /** Numbers the copies' labels (Binaryen wants every label of a function unique). */
  private nextCopy = 0;

  /** The charges of one trip of the top loop of the copy last built (inner loops at their bound). */
  private cloneTopCost = 0;
  /** The top loop's trip charges when hoistTrip moved them before the loop, else null. */
  private cloneTopTrip: number | null = null;

  /**
   * Loads the condition of the `if` being walked made on every path into its
   * `then` arm (key: the load and its address, weights.ts IDIOM_ROWS
   * reusedLoad), with the locals each address reads; null once anything in
   * that arm may have changed memory, an address's locals or control flow.
   */
  private available: Map<string, Set<number>> | null = null;

  private walkNode(expr: number): Walk {
    if (expr === 0) return { cost: 0, controlFlow: false, expr };
    const id = b.getExpressionId(expr);
    // Control flow ends the straight line from the condition; a write takes effect after its operands.
    if (this.available && !PURE_NODES.has(id) && !AFTER_OPERANDS.has(id)) this.available = null;
    const walked = this.walkEffects(expr, id);
    if (this.available && AFTER_OPERANDS.has(id)) {
      if (id === b.LocalSetId) {
        const index = b.LocalSet.getIndex(expr);
        for (const [key, locals] of this.available) if (locals.has(index)) this.available.delete(key);
      } else this.available = null;
    }
    return walked;
  }

  private walkEffects(expr: number, id: number): Walk {
    const info = b.getExpressionInfo(expr);
    switch (id) {
      case b.BlockId: {
        const count = b.Block.getNumChildren(expr);
        const out: number[] = [];
        let headCost = 0;
        let inHead = true;
        let segmentCost = 0;
        let segmentStart = 0;
        let controlFlow = false;
        const closeSegment = () => {
          if (!inHead && segmentCost > 0) out.splice(segmentStart, 0, this.charge(segmentCost));
          segmentCost = 0;
        };
        for (let i = 0; i < count; i++) {
          const child = this.walk(b.Block.getChildAt(expr, i));
          if (inHead) headCost += child.cost;
          else segmentCost += child.cost;
          out.push(child.expr);
          if (child.controlFlow) {
            controlFlow = true;
            closeSegment();
            inHead = false;
            segmentStart = out.length;
          }
        }
        closeSegment();
        b.Block.setChildren(expr, out);
        return { cost: headCost, controlFlow, expr };
      }
      case b.IfId: {
        // CMP; B<cond> else; <then>; B end; else: <else>. The conditional
        // branch falls through into `then` and is taken to `else` (or past).
        const loaded = conditionLoads(info.condition);
        const rotated = expr === this.rotatedExit;
        // `if (a && b)`: the second test's branch is the if's own (shortCircuit).
        const logical = rotated ? null : this.shortCircuit(info.condition, true);
        const cond = logical ?? this.condition(info.condition);
        const ownBranch = rotated || logical ? 0 : W.BRANCH_NOT_TAKEN;
        b.If.setCondition(expr, cond.expr);
        this.available = loaded.size > 0 ? loaded : null;
        const yes = this.walk(info.ifTrue);
        this.available = null;
        if (info.ifFalse) {
          b.If.setIfTrue(expr, this.prefix(yes.cost + W.BRANCH_TAKEN, yes.expr, false));
          const no = this.walk(info.ifFalse);
          b.If.setIfFalse(expr, this.prefix(no.cost + W.P, no.expr, false));
        } else {
          b.If.setIfTrue(expr, this.prefix(yes.cost, yes.expr, false));
          b.If.setIfFalse(expr, this.charge(W.P));
        }
        return { cost: cond.cost + ownBranch, controlFlow: true, expr };
      }
      case b.LoopId: {
        // Laid out bottom-tested: the header is only a label; the back edge pays the branch.
        this.loops.add(info.name);
        // A top-tested loop (`loop { br_if $exit cond; ...; br $loop }`) is
        // rotated by a compiler: the test moves to the bottom and shares the
        // back edge's branch, so the exit test costs only its compare.
        const first = b.getExpressionId(info.body) === b.BlockId && b.Block.getNumChildren(info.body) > 0
          ? b.Block.getChildAt(info.body, 0) : info.body;
        if (b.getExpressionId(first) === b.BreakId && b.Break.getCondition(first) && !this.loops.has(b.Break.getName(first))) this.rotatedExit = first;
        // ... and so is `loop { if (cond) { ...; br $loop } }`, AssemblyScript's for loop.
        if (first === info.body || b.Block.getNumChildren(info.body) === 1) {
          if (b.getExpressionId(first) === b.IfId && !b.If.getIfFalse(first)) this.rotatedExit = first;
        }
        const loopType = b.getExpressionType(expr);
        if (this.unchecked) return this.uncheckedLoop(expr, info);
        const split = !this.names.headerChecks && this.cls === "instrumented" && (loopType === b.none || loopType === b.unreachable) && canSplitCheck(info.body, info.name);
        if (split) this.splitLoops.set(info.name, { charges: [], check: CHECK_LABEL_PREFIX + this.nextSplit++, backEdges: [] });
        // The unchecked copy is taken before the walk changes the loop.
        let versioning: { copy: number; plan: CountedLoop; inner: Map<number, number> } | null = null;
        if (split && loopType === b.none && this.names.versionLoops !== false && !this.mirroring) {
          const plan = countedLoop(expr);
          if (plan && !callsOrReturns(info.body) && !branchesTo(info.body, this.loops, info.name) && !touchesGlobal(info.body, this.names.budget)) {
            const copy = this.module.copyExpression(expr);
            renameScopes(copy, `~u${this.nextCopy++}`);
            const inner = innerTripCounts(copy);
            if (inner) versioning = { copy, plan, inner };
          }
        }
        const mirror = split && !this.mirroring && callFree(info.body);
        if (mirror) this.mirroring = true;
        const body = this.walk(info.body);
        this.loops.delete(info.name);
        if (!split) {
          b.Loop.setBody(expr, this.prefix(body.cost, body.expr, true));
          return { cost: 0, controlFlow: true, expr };
        }
        const { check, charges, backEdges } = this.splitLoops.get(info.name)!;
        this.splitLoops.delete(info.name);
        for (const c of charges) b.Const.setValueI32(c, body.cost);
        b.Loop.setBody(expr, body.expr);
        if (mirror) {
          this.mirroring = false;
          this.deferStores(expr);
        }
        const version = versioning ? this.versionLoop(versioning.copy, versioning.plan, versioning.inner, check) : null;
        // The checked loop's back edges pass the version test again: once a check point inside a trip (an inner
        // loop's) has fired, the next trips fit again. The test is a compare while less than a trip fits.
        if (version) for (const e of backEdges!) b.Break.setName(e, check.replace(CHECK_LABEL_PREFIX, "hoprt~again"));
        return { cost: 0, controlFlow: true, expr: this.splitCheckLoop(expr, body.cost, check, mirror, version) };
      }
      case b.BreakId: {
        const value = this.walk(info.value);
        const cond = info.condition ? this.condition(info.condition) : this.walk(0);
        if (info.value) b.Break.setValue(expr, value.expr);
        if (info.condition) b.Break.setCondition(expr, cond.expr);
        // An unconditional branch is taken; a conditional one back to a loop
        // header is taken on every trip but the last, one out of a block on
        // the last only: charge each as it goes most of the time.
        const taken = !info.condition || this.loops.has(info.name);
        const branch = expr === this.rotatedExit ? 0 : taken ? W.BRANCH_TAKEN : W.BRANCH_NOT_TAKEN;
        const cost = value.cost + cond.cost + branch;
        const split = this.splitLoops.get(info.name);
        if (!split) return { cost, controlFlow: true, expr };
        // A back edge of a split loop: the header's charge and check, then the branch.
        const m = this.module;
        const headerCharge = m.i32.const(0); // the header's cost, known once the body is walked
        split.charges.push(headerCharge);
        if (split.unchecked) {
          const again = m.block(null, [this.charge(0, headerCharge), m.br(info.name)], b.unreachable);
          return { cost, controlFlow: true, expr: info.condition ? m.if(cond.expr, again) : again };
        }
        const back = m.br(info.name);
        split.backEdges!.push(back);
        const backEdge = m.block(null, [
          this.charge(0, headerCharge),
          m.br(split.check, this.deadlineReached()),
          back,
        ], b.unreachable);
        return { cost, controlFlow: true, expr: info.condition ? m.if(cond.expr, backEdge) : backEdge };
      }
      case b.SwitchId: {
        const value = this.walk(info.value);
        const cond = this.walk(info.condition);
        if (info.value) b.Switch.setValue(expr, value.expr);
        b.Switch.setCondition(expr, cond.expr);
        return { cost: value.cost + cond.cost + W.TABLE_BRANCH, controlFlow: true, expr };
      }
      case b.ReturnId: {
        const m = this.module;
        if (!info.value) {
          return { cost: 0, controlFlow: true, expr: m.block(null, [this.epilogue(), expr], b.unreachable) };
        }
        const value = this.walk(info.value);
        const type = b.getExpressionType(value.expr);
        if (type === b.unreachable) {
          b.Return.setValue(expr, value.expr);
          return { cost: value.cost, controlFlow: true, expr };
        }
        const tmp = this.tmpLocal(type);
        const carried = m.block(null, [m.local.set(tmp, value.expr), this.epilogue(), m.local.get(tmp, type)], type);
        b.Return.setValue(expr, carried);
        return { cost: value.cost, controlFlow: true, expr };
      }
      case b.CallId: {
        let cost = this.isProbe(info.target) ? W.PROBE_ACCESS : this.isHardware(info.target) ? W.HARDWARE_ACCESS
          : this.names.inlinedCalls?.has(info.target) ? 0 : W.CALL;
        const n = b.Call.getNumOperands(expr);
        for (let i = 0; i < n; i++) {
          const op = this.walk(b.Call.getOperandAt(expr, i));
          b.Call.setOperandAt(expr, i, op.expr);
          cost += op.cost;
        }
        // Atomic code is never suspended: a pend it stores is taken at the first check point after it.
        if (this.cls === "instrumented" && this.names.busStores?.includes(info.target)) {
          return { cost, controlFlow: false, expr: this.module.block(null, [expr, this.check()], b.none) };
        }
        return { cost, controlFlow: false, expr };
      }
      case b.CallIndirectId: {
        let cost = W.CALL_INDIRECT;
        const target = this.walk(info.target);
        b.CallIndirect.setTarget(expr, target.expr);
        cost += target.cost;
        const n = b.CallIndirect.getNumOperands(expr);
        for (let i = 0; i < n; i++) {
          const op = this.walk(b.CallIndirect.getOperandAt(expr, i));
          b.CallIndirect.setOperandAt(expr, i, op.expr);
          cost += op.cost;
        }
        return { cost, controlFlow: false, expr };
      }
      case b.LocalSetId:
        return this.unary(expr, info.value, 0, (e, v) => b.LocalSet.setValue(e, v));
      case b.GlobalSetId:
        return this.unary(expr, info.value, W.GLOBAL_SET, (e, v) => b.GlobalSet.setValue(e, v));
      case b.LoadId: {
        // A compiler keeps a value the condition just loaded in a register (CSE).
        const reused = this.available !== null && this.available.has(loadKey(expr)?.key ?? "");
        const ptr = this.address(info.ptr);
        b.Load.setPtr(expr, ptr.expr);
        return { cost: ptr.cost + (reused ? W.IDIOM_ROWS.reusedLoad.cycles : W.loadCost(info.bytes)), controlFlow: ptr.controlFlow, expr };
      }
      case b.UnaryId:
        return this.unary(expr, info.value, W.unaryCost(info.op), (e, v) => b.Unary.setValue(e, v));
      case b.DropId:
        return this.unary(expr, info.value, 0, (e, v) => b.Drop.setValue(e, v));
      case b.MemoryGrowId:
        return this.unary(expr, info.delta, W.MEMORY_GROW, (e, v) => b.MemoryGrow.setDelta(e, v));
      case b.StoreId: {
        const ptr = this.address(info.ptr);
        const value = this.walk(info.value);
        b.Store.setPtr(expr, ptr.expr);
        b.Store.setValue(expr, value.expr);
        return { cost: ptr.cost + value.cost + W.storeCost(info.bytes), controlFlow: ptr.controlFlow || value.controlFlow, expr };
      }
      case b.BinaryId: {
        const folded = this.foldedBinary(expr, info.op);
        if (folded) return folded;
        const left = this.walk(info.left);
        const right = this.walk(info.right);
        b.Binary.setLeft(expr, left.expr);
        b.Binary.setRight(expr, right.expr);
        return { cost: left.cost + right.cost + W.binaryCost(info.op), controlFlow: left.controlFlow || right.controlFlow, expr };
      }
      case b.SelectId: {
        const yes = this.walk(info.ifTrue);
        const no = this.walk(info.ifFalse);
        const cond = this.walk(info.condition);
        b.Select.setIfTrue(expr, yes.expr);
        b.Select.setIfFalse(expr, no.expr);
        b.Select.setCondition(expr, cond.expr);
        return { cost: yes.cost + no.cost + cond.cost + W.SELECT, controlFlow: yes.controlFlow || no.controlFlow || cond.controlFlow, expr };
      }
      case b.MemoryCopyId:
      case b.MemoryFillId: {
        const kids = id === b.MemoryCopyId ? ["Dest", "Source", "Size"] : ["Dest", "Value", "Size"];
        const cls = id === b.MemoryCopyId ? b.MemoryCopy : b.MemoryFill;
        let cost = W.BULK_MEMORY;
        for (const k of kids) {
          const child = this.walk(cls["get" + k](expr));
          cls["set" + k](expr, child.expr);
          cost += child.cost;
        }
        return { cost, controlFlow: false, expr };
      }
      case b.GlobalGetId:
        return { cost: W.GLOBAL_GET, controlFlow: false, expr };
      case b.MemorySizeId:
        return { cost: W.MEMORY_SIZE, controlFlow: false, expr };
      case b.UnreachableId:
        return { cost: 0, controlFlow: true, expr };
      case b.ConstId:
      case b.LocalGetId:
      case b.NopId:
        return { cost: 0, controlFlow: false, expr };
      default:
        throw new Error(`hoprt transform: unsupported expression kind ${id} (${b.emitText ? "" : ""}enable only the MVP, sign-extension, mutable-globals and nontrapping-f2i features)`);
    }
  }

  private unary(expr: number, child: number, own: number, set: (e: number, v: number) => void): Walk {
    const c = this.walk(child);
    set(expr, c.expr);
    return { cost: c.cost + own, controlFlow: c.controlFlow, expr };
  }
}

/** Instrument every non-hardware function of `module` in place. */
export function instrumentModule(module: any, names: InstrumentNames): InstrumentReport {
  const functions: FunctionReport[] = [];
  const violations: string[] = [];
  deferredCharges.clear();
  versionTests.clear();
  const count = module.getNumFunctions();
  const all: any[] = [];
  for (let i = 0; i < count; i++) all.push(b.getFunctionInfo(module.getFunctionByIndex(i)));
  const defined = all.filter((f) => f.module === "");
  const bodies = new Map(defined.map((f) => [f.name, f.body]));
  const classes = classifyModule(defined, (name) => directCallees(bodies.get(name)!));
  const classOf = (name: string) => classes.get(name) ?? classify(name); // imports: by path
  const hardware = new Set(all.filter((f) => classOf(f.name) === "hardware").map((f) => f.name));
  const isHardware = (name: string) => hardware.has(name);
  const isProbe = (name: string) => isProbeFunction(name);
  // A number per framed function, hashed into a task's call-chain signature when its frame moves to a stacklet.
  let site = 1;

  for (const info of all) {
    if (info.module !== "") continue; // an import
    const cls = classOf(info.name);
    if (cls === "hardware") {
      for (const callee of directCallees(info.body)) {
        // Hardware may enter atomic code (the core's stack slow path, as an SVC would): it is charged and never suspends.
        if (!hardware.has(callee) && classOf(callee) !== "atomic") violations.push(`${info.name} (hardware) calls ${callee} (${classOf(callee)})`);
      }
      // Hardware has no frame and no stack check: it must not push on whatever stack it runs on.
      if (shadowPushes(info, true) > 0) violations.push(`${info.name} (hardware) keeps managed values on the stack`);
      functions.push({ name: info.name, cls, frameBytes: 0, shadowBytes: 0, checkPoints: 0, versionedLoops: 0, hoistedLoops: 0 });
      continue;
    }
    if (cls === "atomic") {
      // A check point reached from atomic code could suspend a context inside the heap
      // (the panic path excepted: it does not come back).
      for (const callee of directCallees(info.body)) {
        if (classOf(callee) === "instrumented" && !callee.startsWith("~lib/hoprt/kernel/fault/")) violations.push(`${info.name} (atomic) calls ${callee} (instrumented)`);
      }
    }
    const locals = localTypes(info);
    const frame = { value: 0 };
    const shadowBytes = shadowPushes(info);
    // A leaf calls nothing but hardware (which a compiler would have inlined as a bus access).
    const leaf = !hasIndirectCall(info.body) && [...directCallees(info.body)].every((callee) => hardware.has(callee));
    const framed = !(leaf && W.savedRegisters(locals.length) === 0 && shadowBytes === 0);
    const fi = new FunctionInstrumenter(module, names, cls, frame, locals.length, isHardware, isProbe, framed);
    fi.shadowBytes = shadowBytes;
    const walked = fi.walk(info.body);
    const m = module;
    const resultType = info.results;
    // No entry or exit for a function a compiler inlines (transform.ts pinInlining).
    const entry = names.inlinedCalls?.has(info.name) ? 0 : W.frameCost(locals.length, leaf) + (framed ? W.STACK_CHECK : 0);
    const prologue = [
      ...fi.prologue(site++),
      fi.charge(walked.cost + entry),
    ];
    if (cls === "instrumented") prologue.push(fi.check());
    let body: number;
    if (resultType === b.none) {
      body = m.block(null, [...prologue, walked.expr, fi.epilogue()], b.none);
    } else {
      const tmp = fi.tmpLocal(resultType);
      body = m.block(null, [...prologue, m.local.set(tmp, walked.expr), fi.epilogue(), m.local.get(tmp, resultType)], resultType);
    }
    const vars = [...info.vars, ...fi.addedVars()];
    fi.finishMirror(b.expandType(info.params).length, vars);
    const localBytes = [...locals, ...fi.extraVars()].reduce((sum, t) => sum + typeBytes(t), 0);
    fi.finishFrame(framed ? (LINKAGE_BYTES + localBytes + 7) & ~7 : 0);
    // Re-adding under the same name keeps every reference (calls, table, exports) valid.
    module.removeFunction(info.name);
    module.addFunction(info.name, info.params, resultType, vars, body);
    functions.push({ name: info.name, cls, frameBytes: frame.value, shadowBytes, checkPoints: fi.checkPoints, versionedLoops: fi.versionedLoops, hoistedLoops: fi.hoistedLoops });
  }
  return { functions, violations };
}

/**
 * Charges made on the mirror alone (`local.set mirror (mirror - C)`, see
 * deferStores) in the module last instrumented: still charges to bounds.ts,
 * which reads the module before Asyncify.
 */
export const deferredCharges = new Set<number>();

/**
 * The `if`s that choose between a counted loop's unchecked copy and the
 * checked loop (versionLoop) in the module last instrumented: bounds.ts
 * follows the checked loop only (the copy runs only when no check point in
 * it could fire, so it delays no interrupt).
 */
export const versionTests = new Set<number>();

/** A counted loop: `loop $l { if (i < n) { ...; i = i + 1; ...; br $l } }` (i32; `n > i` too; n a constant or a local). */
export interface CountedLoop { index: number; bound: { local?: number; value?: number }; signed: boolean }

/**
 * Whether `loop` is a counted loop whose trips, from entry, are `n - i` when
 * `i < n` and 0 otherwise: its body is one `if` without else, testing
 * `i <u n` or `i <s n`; its only back edge, an unconditional `br`, ends a
 * block that holds, among its statements before it, the one write of `i` in
 * the loop, `i = i + 1`; `n` is not written in the loop. Every back edge
 * then follows one increment, and i + 1 <= n cannot wrap.
 */
export function countedLoop(loop: number): CountedLoop | null {
  const name = b.Loop.getName(loop);
  let body = b.Loop.getBody(loop);
  if (b.getExpressionId(body) === b.BlockId && b.Block.getNumChildren(body) === 1) body = b.Block.getChildAt(body, 0);
  if (b.getExpressionId(body) !== b.IfId || b.If.getIfFalse(body)) return null;
  const cond = b.If.getCondition(body);
  if (b.getExpressionId(cond) !== b.BinaryId) return null;
  const op = b.Binary.getOp(cond);
  let left = b.Binary.getLeft(cond);
  let right = b.Binary.getRight(cond);
  let signed: boolean;
  if (op === b.LtUInt32 || op === b.LtSInt32) signed = op === b.LtSInt32;
  else if (op === b.GtUInt32 || op === b.GtSInt32) { signed = op === b.GtSInt32; [left, right] = [right, left]; }
  else return null;
  if (b.getExpressionId(left) !== b.LocalGetId) return null;
  const index = b.LocalGet.getIndex(left);
  let bound: CountedLoop["bound"];
  if (b.getExpressionId(right) === b.ConstId) bound = { value: b.Const.getValueI32(right) };
  else if (b.getExpressionId(right) === b.LocalGetId && b.LocalGet.getIndex(right) !== index) bound = { local: b.LocalGet.getIndex(right) };
  else return null;
  // The back edge ends a block whose statements, before it, include the increment.
  const edge = backEdgeBlock(b.If.getIfTrue(body), name);
  if (!edge) return null;
  let increments = 0;
  for (let k = 0; k < b.Block.getNumChildren(edge) - 1; k++) if (isIncrement(b.Block.getChildAt(edge, k), index)) increments++;
  if (increments !== 1 || localWrites(body, index) !== 1) return null;
  if (bound.local !== undefined && localWrites(body, bound.local) !== 0) return null;
  if (countBranches(body, name) !== 1) return null;
  return { index, bound, signed };
}

/** The block (inside `expr`) whose last statement is a plain `br name`. */
function backEdgeBlock(expr: number, name: string): number {
  if (!expr) return 0;
  const id = b.getExpressionId(expr);
  if (id === b.ConstId) return 0;
  if (id === b.BlockId) {
    const n = b.Block.getNumChildren(expr);
    const last = n > 0 ? b.Block.getChildAt(expr, n - 1) : 0;
    if (last && b.getExpressionId(last) === b.BreakId && b.Break.getName(last) === name && !b.Break.getCondition(last) && !b.Break.getValue(last)) return expr;
  }
  for (const c of childrenOf(expr)) {
    const found = backEdgeBlock(c, name);
    if (found) return found;
  }
  return 0;
}

/** The `if` that tests a counted loop's condition (see countedLoop). */
function topTest(loop: number): number {
  const body = b.Loop.getBody(loop);
  return b.getExpressionId(body) === b.BlockId ? b.Block.getChildAt(body, 0) : body;
}

function isIncrement(expr: number, index: number): boolean {
  if (b.getExpressionId(expr) !== b.LocalSetId || b.LocalSet.getIndex(expr) !== index) return false;
  const value = b.LocalSet.getValue(expr);
  if (b.getExpressionId(value) !== b.BinaryId || b.Binary.getOp(value) !== b.AddInt32) return false;
  const l = b.Binary.getLeft(value);
  const r = b.Binary.getRight(value);
  const isI = (e: number) => b.getExpressionId(e) === b.LocalGetId && b.LocalGet.getIndex(e) === index;
  const isOne = (e: number) => b.getExpressionId(e) === b.ConstId && b.Const.getValueI32(e) === 1;
  return (isI(l) && isOne(r)) || (isOne(l) && isI(r));
}

function localWrites(expr: number, index: number): number {
  if (!expr) return 0;
  const id = b.getExpressionId(expr);
  if (id === b.ConstId) return 0;
  let n = id === b.LocalSetId && b.LocalSet.getIndex(expr) === index ? 1 : 0;
  for (const c of childrenOf(expr)) n += localWrites(c, index);
  return n;
}

function countBranches(expr: number, name: string): number {
  if (!expr) return 0;
  const id = b.getExpressionId(expr);
  if (id === b.ConstId) return 0;
  let n = id === b.BreakId && b.Break.getName(expr) === name ? 1 : 0;
  if (id === b.SwitchId && switchTargets(expr).includes(name)) n += 2;
  for (const c of childrenOf(expr)) n += countBranches(c, name);
  return n;
}

/** Whether `expr` reads or writes the global `name` (code that reads the clock inline: the copy keeps the budget in a local). */
function touchesGlobal(expr: number, name: string): boolean {
  if (!expr) return false;
  const id = b.getExpressionId(expr);
  if (id === b.ConstId) return false;
  if (id === b.GlobalGetId && b.GlobalGet.getName(expr) === name) return true;
  if (id === b.GlobalSetId && b.GlobalSet.getName(expr) === name) return true;
  return childrenOf(expr).some((c) => touchesGlobal(c, name));
}

/** Any call, or a return (whose epilogue calls), in `expr`. */
function callsOrReturns(expr: number): boolean {
  if (!expr) return false;
  const id = b.getExpressionId(expr);
  if (id === b.CallId || id === b.CallIndirectId || id === b.ReturnId) return true;
  if (id === b.ConstId) return false;
  return childrenOf(expr).some((c) => callsOrReturns(c));
}

/** Whether `expr` branches to one of `labels` (enclosing loops' back edges, charged with their headers) other than `own`. */
function branchesTo(expr: number, labels: Set<string>, own: string): boolean {
  if (!expr) return false;
  const id = b.getExpressionId(expr);
  if (id === b.ConstId) return false;
  if (id === b.BreakId && b.Break.getName(expr) !== own && labels.has(b.Break.getName(expr))) return true;
  if (id === b.SwitchId && switchTargets(expr).some((t) => t !== own && labels.has(t))) return true;
  return childrenOf(expr).some((c) => branchesTo(c, labels, own));
}

/**
 * The trip count of every loop inside `loop`, or null when one has none
 * known at compile time: each must be a counted loop with a constant bound,
 * right after `i = constant` in its block, and able to have its check split.
 */
function innerTripCounts(loop: number): Map<number, number> | null {
  const trips = new Map<number, number>();
  let loops = 0;
  const visit = (e: number): void => {
    if (!e) return;
    const id = b.getExpressionId(e);
    if (id === b.ConstId) return;
    if (id === b.LoopId && e !== loop) loops++;
    if (id === b.BlockId) {
      const n = b.Block.getNumChildren(e);
      for (let k = 1; k < n; k++) {
        const child = b.Block.getChildAt(e, k);
        if (b.getExpressionId(child) !== b.LoopId || b.getExpressionType(child) !== b.none) continue;
        if (!canSplitCheck(b.Loop.getBody(child), b.Loop.getName(child))) continue;
        const plan = countedLoop(child);
        const init = b.Block.getChildAt(e, k - 1);
        if (!plan || plan.bound.value === undefined || b.getExpressionId(init) !== b.LocalSetId || b.LocalSet.getIndex(init) !== plan.index) continue;
        const start = b.LocalSet.getValue(init);
        if (b.getExpressionId(start) !== b.ConstId) continue;
        const a = b.Const.getValueI32(start);
        const n2 = plan.bound.value;
        const t = plan.signed ? (a < n2 ? n2 - a : 0) : ((a >>> 0) < (n2 >>> 0) ? (n2 >>> 0) - (a >>> 0) : 0);
        trips.set(child, t);
      }
    }
    for (const c of childrenOf(e)) visit(c);
  };
  visit(loop);
  return trips.size === loops ? trips : null;
}

/** Give every block and loop label inside `expr` (and the branches to them) the suffix `suffix`. */
function renameScopes(expr: number, suffix: string): void {
  const renamed = new Set<string>();
  const define = (e: number): void => {
    if (!e) return;
    const id = b.getExpressionId(e);
    if (id === b.ConstId) return;
    if (id === b.BlockId && b.Block.getName(e)) { renamed.add(b.Block.getName(e)); b.Block.setName(e, b.Block.getName(e) + suffix); }
    if (id === b.LoopId && b.Loop.getName(e)) { renamed.add(b.Loop.getName(e)); b.Loop.setName(e, b.Loop.getName(e) + suffix); }
    for (const c of childrenOf(e)) define(c);
  };
  const use = (e: number): void => {
    if (!e) return;
    const id = b.getExpressionId(e);
    if (id === b.ConstId) return;
    if (id === b.BreakId && renamed.has(b.Break.getName(e))) b.Break.setName(e, b.Break.getName(e) + suffix);
    if (id === b.SwitchId) {
      const n = b.Switch.getNumNames(e);
      for (let k = 0; k < n; k++) if (renamed.has(b.Switch.getNameAt(e, k))) b.Switch.setNameAt(e, k, b.Switch.getNameAt(e, k) + suffix);
      if (renamed.has(b.Switch.getDefaultName(e))) b.Switch.setDefaultName(e, b.Switch.getDefaultName(e) + suffix);
    }
    for (const c of childrenOf(e)) use(c);
  };
  define(expr);
  use(expr);
}

function containsAny(expr: number, nodes: Set<number>): boolean {
  if (!expr || nodes.size === 0) return false;
  if (nodes.has(expr)) return true;
  if (b.getExpressionId(expr) === b.ConstId) return false;
  return childrenOf(expr).some((c) => containsAny(c, nodes));
}

/** Labels of the branches instrument.ts emits to a split loop's check point (bounds.ts reads them as check points). */
export const CHECK_LABEL_PREFIX = "hoprt~check";

/**
 * A loop can have its check moved to its back edges when every branch to it
 * is a plain br/br_if (a br_table may not target it) and no inner scope
 * reuses its label; a loop without a back edge runs once and is left alone.
 */
function canSplitCheck(body: number, name: string): boolean {
  let backEdges = 0;
  let ok = true;
  const visit = (e: number): void => {
    if (!e || !ok) return;
    const id = b.getExpressionId(e);
    if (id === b.ConstId) return;
    if ((id === b.BlockId && b.Block.getName(e) === name) || (id === b.LoopId && b.Loop.getName(e) === name)) { ok = false; return; }
    if (id === b.BreakId && b.Break.getName(e) === name) backEdges++;
    if (id === b.SwitchId && switchTargets(e).includes(name)) { ok = false; return; }
    for (const c of childrenOf(e)) visit(c);
  };
  visit(body);
  return ok && backEdges > 0;
}

/** Expressions that neither write memory, locals or globals nor branch: walking one keeps loads available. */
const PURE_NODES = new Set<number>([b.ConstId, b.LocalGetId, b.GlobalGetId, b.BinaryId, b.UnaryId, b.SelectId, b.DropId, b.LoadId, b.NopId]);
/**
 * What ends the straight line from a condition only after its operands:
 * writes (a local's only for the loads whose address reads it), and blocks
 * (a branch inside one may have left it early).
 */
const AFTER_OPERANDS = new Set<number>([b.LocalSetId, b.GlobalSetId, b.StoreId, b.CallId, b.CallIndirectId, b.MemoryCopyId, b.MemoryFillId, b.MemoryGrowId, b.BlockId]);

/** The value of an i32 constant, or null for any other expression. */
function i32Constant(expr: number): number | null {
  return b.getExpressionId(expr) === b.ConstId && b.getExpressionType(expr) === b.i32 ? b.Const.getValueI32(expr) : null;
}

/** What an unnamed block of one expression holds (the text format wraps an if's arms so). */
function single(expr: number): number {
  while (b.getExpressionId(expr) === b.BlockId && !b.Block.getName(expr) && b.Block.getNumChildren(expr) === 1) expr = b.Block.getChildAt(expr, 0);
  return expr;
}

/**
 * A load's identity for reuse: its type, width, sign, offset and address,
 * the address written out with `local.tee x (v)` read as `v` (the same
 * value, computed from the same locals); null when the address holds
 * anything but locals, globals, constants and arithmetic.
 */
function loadKey(load: number): { key: string; locals: Set<number> } | null {
  const locals = new Set<number>();
  const text = (e: number): string | null => {
    switch (b.getExpressionId(e)) {
      case b.ConstId: return b.getExpressionType(e) === b.i32 ? `c${b.Const.getValueI32(e)}` : null;
      case b.LocalGetId: locals.add(b.LocalGet.getIndex(e)); return `l${b.LocalGet.getIndex(e)}`;
      case b.GlobalGetId: return `g${b.GlobalGet.getName(e)}`;
      case b.LocalSetId: return b.LocalSet.isTee(e) ? text(b.LocalSet.getValue(e)) : null;
      case b.BinaryId: {
        const l = text(b.Binary.getLeft(e)), r = text(b.Binary.getRight(e));
        return l === null || r === null ? null : `(${b.Binary.getOp(e)} ${l} ${r})`;
      }
      case b.UnaryId: {
        const v = text(b.Unary.getValue(e));
        return v === null ? null : `(${b.Unary.getOp(e)} ${v})`;
      }
      default: return null;
    }
  };
  const ptr = text(b.Load.getPtr(load));
  if (ptr === null) return null;
  const key = `${b.getExpressionType(load)}/${b.Load.getBytes(load)}/${b.Load.isSigned(load)}/${b.Load.getOffset(load)}/${ptr}`;
  return { key, locals };
}

/**
 * The loads a branch condition makes on every path on which it is true: all
 * of a straight-line condition's (one that writes nothing), and for a
 * short-circuit `a && b` both operands'.
 */
function conditionLoads(cond: number): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const visit = (node: number): boolean => {
    const e = single(node);
    const id = b.getExpressionId(e);
    if (id === b.IfId && b.getExpressionType(e) === b.i32) {
      const no = b.If.getIfFalse(e);
      if (!no || i32Constant(single(no)) !== 0) return false;
      return visit(b.If.getCondition(e)) && visit(b.If.getIfTrue(e));
    }
    if (!PURE_NODES.has(id)) return false;
    if (id === b.LoadId) {
      const k = loadKey(e);
      if (k) out.set(k.key, k.locals);
    }
    for (const child of childrenOf(e)) if (!visit(child)) return false;
    return true;
  };
  if (!visit(cond)) out.clear();
  return out;
}

/** i32 division and remainder: by a constant, a multiply by the reciprocal (weights.ts constantDivisionCost). */
const DIVISIONS = new Set<number>([b.DivSInt32, b.DivUInt32, b.RemSInt32, b.RemUInt32]);
const AND = new Set<number>([b.AndInt32]);
const MUL = new Set<number>([b.MulInt32]);
/** LSL / LSR / ASR / ROR by a constant: an operand shift of a data-processing instruction. */
const SHIFTS = new Set<number>([b.ShlInt32, b.ShrUInt32, b.ShrSInt32, b.RotRInt32]);
/** The i32 data-processing instructions whose second operand may be a shifted register (ADD, SUB / RSB, AND, ORR, EOR, CMP). */
const SHIFTED_OPERAND_OPS = new Set<number>([b.AddInt32, b.SubInt32, b.AndInt32, b.OrInt32, b.XorInt32, b.EqInt32, b.NeInt32,
  b.LtSInt32, b.LtUInt32, b.LeSInt32, b.LeUInt32, b.GtSInt32, b.GtUInt32, b.GeSInt32, b.GeUInt32]);
const TRAPPING_BINARY = new Set<number>([b.DivSInt32, b.DivUInt32, b.RemSInt32, b.RemUInt32, b.DivSInt64, b.DivUInt64, b.RemSInt64, b.RemUInt64]);
const TRAPPING_UNARY = new Set<number>([
  b.TruncSFloat32ToInt32, b.TruncSFloat32ToInt64, b.TruncUFloat32ToInt32, b.TruncUFloat32ToInt64,
  b.TruncSFloat64ToInt32, b.TruncSFloat64ToInt64, b.TruncUFloat64ToInt32, b.TruncUFloat64ToInt64,
]);

/** Code that only computes on locals and constants: it cannot trap, branch, or read or write memory or the budget. */
function quietLocal(expr: number): boolean {
  if (!expr) return true;
  const id = b.getExpressionId(expr);
  switch (id) {
    case b.ConstId: case b.LocalGetId: case b.NopId:
      return true;
    case b.LocalSetId:
      return quietLocal(b.LocalSet.getValue(expr));
    case b.DropId:
      return quietLocal(b.Drop.getValue(expr));
    case b.UnaryId:
      return !TRAPPING_UNARY.has(b.Unary.getOp(expr)) && quietLocal(b.Unary.getValue(expr));
    case b.BinaryId:
      return !TRAPPING_BINARY.has(b.Binary.getOp(expr)) && quietLocal(b.Binary.getLeft(expr)) && quietLocal(b.Binary.getRight(expr));
    case b.SelectId:
      return quietLocal(b.Select.getIfTrue(expr)) && quietLocal(b.Select.getIfFalse(expr)) && quietLocal(b.Select.getCondition(expr));
    default:
      return false;
  }
}

/** No call of any kind and no inner loop (whose check point calls) in `expr`: nothing but this code changes the budget while it runs. */
function callFree(expr: number): boolean {
  if (!expr) return true;
  const id = b.getExpressionId(expr);
  if (id === b.CallId || id === b.CallIndirectId || id === b.LoopId) return false;
  if (id === b.ConstId) return true;
  return childrenOf(expr).every((c) => callFree(c));
}

function hasIndirectCall(expr: number): boolean {
  if (!expr) return false;
  const id = b.getExpressionId(expr);
  if (id === b.CallIndirectId) return true;
  if (id === b.ConstId) return false;
  return childrenOf(expr).some((c) => hasIndirectCall(c));
}

function directCallees(expr: number, out = new Set<string>()): Set<string> {
  if (!expr) return out;
  const id = b.getExpressionId(expr);
  if (id === b.ConstId) return out; // its `value` is a literal, not a child
  if (id === b.CallId) out.add(b.Call.getTarget(expr));
  for (const c of childrenOf(expr)) directCallees(c, out);
  return out;
}

const SHADOW_STACK = "~lib/memory/__stack_pointer";

/**
 * The bytes AssemblyScript's own code in a function pushes on the stack
 * pointer (its shadow frame, temporaries around calls): every
 * `global.set sp (i32.sub <sp> (i32.const N))`, summed, which bounds how far
 * below its modelled frame the function goes however the pushes nest.
 */
function shadowPushes(info: any, hardware = false): number {
  let bytes = 0;
  const visit = (e: number): void => {
    if (!e) return;
    const id = b.getExpressionId(e);
    if (id === b.ConstId) return;
    if (id === b.GlobalSetId && b.GlobalSet.getName(e) === SHADOW_STACK) {
      const value = b.GlobalSet.getValue(e);
      if (b.getExpressionId(value) === b.BinaryId && b.Binary.getOp(value) === b.SubInt32) {
        const right = b.Binary.getRight(value);
        // Hardware (the core) sets stack pointers as it switches contexts; other code only pushes constants.
        if (b.getExpressionId(right) === b.ConstId) bytes += b.Const.getValueI32(right);
        else if (!hardware) throw new Error(`hoprt transform: ${info.name} moves the stack pointer by a computed amount`);
      }
    }
    forEachChild(e, visit);
  };
  visit(info.body);
  return bytes;
}

/** The labels a br_table may go to, its default included. */
function switchTargets(e: number): string[] {
  const out: string[] = [];
  const n = b.Switch.getNumNames(e);
  for (let i = 0; i < n; i++) out.push(b.Switch.getNameAt(e, i));
  out.push(b.Switch.getDefaultName(e));
  return out;
}
