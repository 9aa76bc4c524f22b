/**
 * The collector's atomic steps: an incremental, non-moving mark-and-sweep
 * over AssemblyScript's objects, driven one bounded step at a time by the
 * allocating task (runtime.ts, instrumented code with check points between
 * the steps).
 *
 * Why incremental from the allocating task, not a collector task: the work
 * is paid by whoever allocates (a task that never allocates never pays),
 * and nothing has to wait for a low-priority context to get the CPU before
 * memory comes back. Why a final remark with the scheduler suspended, not a
 * snapshot barrier: AssemblyScript's `__link(parent, child)` gives the new
 * child but never the value it overwrites, so only an insertion (Dijkstra)
 * barrier is possible, and with it stacks, globals and the kernel's raw
 * fields in control blocks must be rescanned once no task can change them.
 *
 * A cycle:
 *   IDLE -> ROOTS: pinned objects, every context's root ranges (control
 *           block, stack: kernel/stack/roots.ts) and the main stack, then
 *           the globals a chunk at a time; tasks and handlers run between
 *           steps.
 *        -> MARK: pop one grey object per step and visit its members (an
 *           array of references a few elements per step).
 *        -> REMARK (the driver holds the kernel lock, so no task but the
 *           driver runs; handlers still do): rescan every context's ranges
 *           and the main stack, drain, and (in a build whose global stores
 *           have no barrier) rescan the globals and drain again until the
 *           globals shade nothing new.
 *        -> SWEEP: free unmarked objects, one per step (a TLSF free is the
 *           longest step there is); -> IDLE.
 *
 * Invariants:
 *  - Every live object is on the list `objects` and has its bit in `starts`.
 *  - An object is marked iff its FLAG_MARK bit equals `markBit`; a cycle
 *    flips `markBit`, so no clearing pass is needed. Objects are allocated
 *    marked ("black"): an object made during a cycle is never freed by it.
 *  - While marking (ROOTS, MARK, REMARK) no marked object points to an
 *    unmarked one without that one being grey (on the mark stack, or
 *    `markOverflowed` set, which makes the walk revisit every marked object):
 *    `__link` shades every child stored into an object (handlers' stores too),
 *    and a moved object (`finishRenew`) is re-greyed; the transform gives
 *    every store to a global the scan visits the same barrier
 *    (`globalStoreBarrier`, js/compiler/globals.ts). Stacks and control
 *    blocks (where the kernel keeps values in flight, held mutexes and wait
 *    queues as raw words) have no barrier: REMARK rescans them while no task
 *    can run; a handler leaves nothing on the main stack once it returns, and
 *    what it stores into objects and globals goes through the barrier (in a
 *    build without the global barrier, the last globals rescan finds it).
 *  - Only SWEEP frees objects (a moved object's old copy too, see finishRenew); every cursor over the list (pins, overflow
 *    walk, sweep) is moved on when `unlink` removes the object under it.
 *  - Every step is straight-line code (no loop), so the build's bounds pass
 *    bounds it. An array of references is visited ELEMENTS_PER_STEP elements
 *    a step and the globals a chunk a step (js/compiler/globals.ts); the one
 *    exception left is a Map's or Set's generated visitor, which loops over
 *    its entries in one step.
 *  - The file is atomic code: no step is ever interrupted, so the heap and the
 *    collector's state are never seen half-changed.
 */
import { OBJECT, BLOCK_OVERHEAD, OBJECT_OVERHEAD, TOTAL_OVERHEAD } from "rt/common";
import { TypeinfoFlags } from "shared/typeinfo";
import { SRAM_END } from "../../mcu/memmap";
import { heapAlloc, heapFree, heapUsed, blockBytes } from "./heap";
import { contextCount, contextAt } from "./roots";
import { scanContext, lowerRangeStart, lowerRangeEnd, lowerNext, watchChain, chainWatchLost } from "../stack/roots";
import { Context } from "../stack/context";
import { CALLEE_SAVED_BYTES } from "../stack/layout";
import * as trace from "../../probe/trace";
import * as core from "../../mcu/core";
import * as clock from "../../mcu/clock";

const FLAG_MARK: u32 = 1;
const FLAG_PIN: u32 = 2;
// Headers are 4-byte aligned (16n + 12), so only the two low bits of a link are free.
const FLAGS: u32 = 3;

export const PHASE_IDLE: u32 = 0;
export const PHASE_ROOTS: u32 = 1;
export const PHASE_MARK: u32 = 2;
export const PHASE_REMARK: u32 = 3;
export const PHASE_SWEEP: u32 = 4;
export let phase: u32 = PHASE_IDLE;

/** Head of the list of objects (gcInfo = next, gcInfo2 = prev | flags). */
let objects: usize = 0;
let markBit: u32 = 0;
export let allocatedSinceCollect: usize = 0;
/** Bytes allocated (by tasks and handlers) whose collection work no task has paid for yet. */
export let allocDebt: usize = 0;
export function clearDebt(): void { allocDebt = 0; }
export let threshold: usize = 8192;
/** Cycles completed. */
export let collections: u32 = 0;
/** Cycles started (static objects' trace stamp). */
let cycleNumber: u32 = 0;
export let liveBytes: usize = 0;
/** The longest uninterruptible stretch of the collector or the allocator so far (one step), in cycles (the host's figure adds stack extensions: mcu/core.ts). */
export let maxPauseCycles: i64 = 0;
/** The longest step of the cycle in progress (the `gc` event's pause). */
let cycleLongest: i64 = 0;
let cycleStartUsed: usize = 0;
let cycleFreed: usize = 0;
/** Objects shaded so far (REMARK stops when the globals shade nothing new). */
let shadedCount: u32 = 0;

// ---- the start bitmap: which addresses are objects -----------------------------

const GRANULE_SHIFT: usize = 4;
// One bit per 16-byte granule of SRAM: a set bit marks an object's data address.
const starts: usize = memory.data(<i32>(SRAM_END >> (GRANULE_SHIFT + 3)) + 8);

function setStart(ptr: usize, on: bool): void {
  const i = ptr >> GRANULE_SHIFT;
  const at = starts + (i >> 3);
  const bit = <u8>(1 << <u8>(i & 7));
  store<u8>(at, on ? load<u8>(at) | bit : load<u8>(at) & ~bit);
}

// @ts-ignore: decorator
@inline function isStart(ptr: usize): bool {
  if (ptr < __heap_base || ptr >= SRAM_END || (ptr & 15) != 0) return false;
  const i = ptr >> GRANULE_SHIFT;
  return (load<u8>(starts + (i >> 3)) & <u8>(1 << <u8>(i & 7))) != 0;
}

// @ts-ignore: decorator
@inline function header(ptr: usize): OBJECT { return changetype<OBJECT>(ptr - TOTAL_OVERHEAD); }
// @ts-ignore: decorator
@inline function nextOf(obj: OBJECT): usize { return obj.gcInfo; }
// @ts-ignore: decorator
@inline function prevOf(obj: OBJECT): usize { return obj.gcInfo2 & ~FLAGS; }
// @ts-ignore: decorator
@inline function isMarked(obj: OBJECT): bool { return (obj.gcInfo2 & FLAG_MARK) == markBit; }
// @ts-ignore: decorator
@inline function setMarked(obj: OBJECT): void { obj.gcInfo2 = (obj.gcInfo2 & ~FLAG_MARK) | markBit; }
// @ts-ignore: decorator
@inline export function marking(): bool { return phase >= PHASE_ROOTS && phase <= PHASE_REMARK; }

function link(obj: OBJECT): void {
  const self = changetype<usize>(obj);
  obj.gcInfo = <u32>objects;
  obj.gcInfo2 = markBit; // allocated black
  if (objects != 0) {
    const head = changetype<OBJECT>(objects);
    head.gcInfo2 = <u32>self | (head.gcInfo2 & FLAGS);
  }
  objects = self;
}

// Cursors over the object list (0: none).
let pinCursor: usize = 0;
let overflowCursor: usize = 0;
let sweepCursor: usize = 0;

function unlink(obj: OBJECT): void {
  const self = changetype<usize>(obj);
  const next = nextOf(obj);
  const prev = prevOf(obj);
  if (pinCursor == self) pinCursor = next;
  if (overflowCursor == self) overflowCursor = next;
  if (sweepCursor == self) sweepCursor = next;
  if (prev != 0) changetype<OBJECT>(prev).gcInfo = <u32>next;
  else objects = <usize>next;
  if (next != 0) {
    const n = changetype<OBJECT>(next);
    n.gcInfo2 = <u32>prev | (n.gcInfo2 & FLAGS);
  }
}

// ---- shading ------------------------------------------------------------------

const MARK_STACK_SIZE: i32 = 512;
const markStack: usize = memory.data(MARK_STACK_SIZE * 4);
let markTop: i32 = 0;
let markOverflowed: bool = false;

// @ts-ignore: decorator
@inline function push(ptr: usize): void {
  if (markTop < MARK_STACK_SIZE) {
    store<usize>(markStack + (<usize>markTop << 2), ptr);
    markTop++;
  } else {
    markOverflowed = true; // the overflow walk revisits every marked object
  }
}

/** Make a heap object grey if it is white (`ptr` is an object's address). */
// @ts-ignore: decorator
@inline function shade(ptr: usize): void {
  const obj = header(ptr);
  if (isMarked(obj)) return;
  setMarked(obj);
  shadedCount++;
  push(ptr);
}

/**
 * A static object (an array literal, a constant) lives in the data segment,
 * off the object list, but what it points to may be on the heap (a global
 * `[]` that grew): traced once per cycle, its header's gcInfo holding the
 * number of the cycle that last traced it.
 */
function markStatic(ptr: usize): void {
  const obj = header(ptr);
  if (obj.gcInfo == cycleNumber) return;
  obj.gcInfo = cycleNumber;
  shadedCount++;
  push(ptr);
}

// AssemblyScript's runtime interface (__visit, __link, __pin, __unpin) is declared in runtime.ts, the
// module the build passes as --runtime, and calls these: this file then stays importable (the kernel's
// barrier) by builds on another runtime, such as a user's as-pect specs.

export function visitReference(ptr: usize): void {
  if (isStart(ptr)) shade(ptr);
  else if (ptr != 0 && ptr < __data_end && (ptr & 3) == 0) markStatic(ptr);
}

/** The write barrier: AssemblyScript calls it after storing `childPtr` into the object `parentPtr`. */
export function linkReference(childPtr: usize): void {
  if (!marking()) return;
  if (isStart(childPtr)) shade(childPtr);
  else if (childPtr != 0 && childPtr < __data_end && (childPtr & 3) == 0) markStatic(childPtr);
}

/**
 * The barrier for a reference the kernel stores as a raw word (a value handed
 * to a waiting receiver's control block): a value that is not an object's
 * address is ignored, and a number that happens to be one only keeps that
 * object for one more cycle.
 */
export function rawStoreBarrier(value: usize): void {
  if (marking() && isStart(value)) shade(value);
}

export function pinObject(ptr: usize): usize {
  if (isStart(ptr)) {
    header(ptr).gcInfo2 |= FLAG_PIN;
    if (marking()) shade(ptr);
  }
  return ptr;
}

export function unpinObject(ptr: usize): void {
  if (isStart(ptr)) header(ptr).gcInfo2 &= ~FLAG_PIN;
}

// ---- allocation primitives (runtime.ts zeroes and copies between them) ---------

/** An object id whose visitor visits nothing: an object stays so while its bytes are not yet valid. */
// @ts-ignore: decorator
@inline export function rawId(): u32 { return idof<ArrayBuffer>(); }

/** A listed, black object of `size` bytes with the id `rawId()`, its bytes not cleared; 0 if the heap has no room. */
export function allocObject(size: usize): usize {
  const started = clock.now();
  const payload = heapAlloc(OBJECT_OVERHEAD + size);
  if (payload == 0) return 0;
  const obj = changetype<OBJECT>(payload - BLOCK_OVERHEAD);
  obj.rtId = rawId();
  obj.rtSize = <u32>size;
  link(obj);
  const ptr = payload + OBJECT_OVERHEAD;
  setStart(ptr, true);
  allocatedSinceCollect += size + TOTAL_OVERHEAD;
  allocDebt += size + TOTAL_OVERHEAD;
  took(started);
  return ptr;
}

/** The object's bytes are valid now: give it its class id. */
export function publish(ptr: usize, id: u32): void {
  header(ptr).rtId = id;
}

// @ts-ignore: decorator
@inline export function idOf(ptr: usize): u32 { return header(ptr).rtId; }
// @ts-ignore: decorator
@inline export function sizeOf(ptr: usize): usize { return <usize>header(ptr).rtSize; }

/**
 * `fresh` (from allocObject, its bytes copied from `old`) replaces `old`:
 * it takes its id and pin, and is greyed while marking (its copied children
 * were stored without the barrier). `old` is never freed here: the caller
 * (the library's ensureCapacity) still points at it until it stores `fresh`,
 * after calls that have check points, so a collection may visit the caller
 * through `old` meanwhile and must find its old contents there. It stays
 * listed as an object with no members, and the next cycle that finds it
 * unreachable frees it.
 */
export function finishRenew(old: usize, fresh: usize): void {
  const started = clock.now();
  const o = header(old);
  const f = header(fresh);
  f.rtId = o.rtId;
  f.gcInfo2 |= o.gcInfo2 & FLAG_PIN;
  o.gcInfo2 &= ~FLAG_PIN;
  o.rtId = rawId();
  if (marking()) {
    setMarked(f);
    push(fresh);
    shadedCount++;
  }
  took(started);
}

// @ts-ignore: decorator
@inline function took(started: i64): void {
  // Boot (before the dispatch loop runs) takes no interrupt, so its stretches delay none.
  if (!core.dispatching) return;
  const d = clock.now() - started;
  if (d > cycleLongest) cycleLongest = d;
  if (d > maxPauseCycles) maxPauseCycles = d;
}

// ---- root ranges -----------------------------------------------------------------

// The ranges of the context being scanned, enumerated by kernel/stack/roots.ts a page at a time.
const MAX_RANGES: i32 = 16;
const ranges: usize = memory.data(MAX_RANGES * 8);
let rangeCount: i32 = 0;
let rangeNext: i32 = 0;
let rangeSkip: i32 = 0;
let rangeSeen: i32 = 0;
let rangesLost: bool = false;
/** -1: the main stack; 0 .. contextCount-1: the registered contexts. */
let contextIndex: i32 = -1;
let scanAt: usize = 0;
let scanEnd: usize = 0;
// The stacklets below the scanned context's current one, one a step, while its chain is unchanged.
let chainBlock: usize = 0;
let chainContext: usize = 0;

/** A range's start with this bit: a suspended context's Asyncify data (roots.ts `saved`), scanned as its registers. */
const SAVED_RANGE: usize = 1;
/**
 * The registers a suspended task's saved data stands for, as the modelled
 * core leaves them on its stack (layout.ts CALLEE_SAVED_BYTES): the scan of
 * that data costs what a scan of these words costs. Zero: no reference
 * the model knows of is held there only (the data itself is scanned too).
 */
const calleeSaved: usize = memory.data(<i32>CALLEE_SAVED_BYTES);

function recordSaved(start: usize, end: usize): void {
  recordRange(start | SAVED_RANGE, end);
}

/**
 * Shade what Asyncify's data of a suspended context holds, at no modelled
 * cost: its size and its words differ with what Asyncify saves, which no
 * modelled time may depend on (the words scanned in its place, calleeSaved,
 * carry the cost). Hardware (js/compiler/rule.ts): uninstrumented, its loop
 * delays no interrupt in the model; what the collector code it runs
 * charges is refunded.
 */
function shadeSaved(start: usize, end: usize): void {
  const before = clock.budget;
  for (let p = (start + 3) & ~3; p + 4 <= end; p += 4) scanWord(p);
  clock.refund(before);
}

function recordRange(start: usize, end: usize): void {
  if (rangeSeen++ < rangeSkip) return;
  if (rangeCount >= MAX_RANGES) { rangesLost = true; return; }
  store<usize>(ranges + (<usize>rangeCount << 3), start);
  store<usize>(ranges + (<usize>rangeCount << 3), end, 4);
  rangeCount++;
}

function enumerate(): void {
  rangeCount = 0;
  rangeNext = 0;
  rangeSeen = 0;
  rangesLost = false;
  chainBlock = 0;
  if (contextIndex < 0) {
    // The main stack: suspended handlers' saved state and boot code (no handler runs while a task collects).
    if (core.current == 0) recordRange(__stack_pointer, __heap_base);
  } else {
    const ptr = contextAt(contextIndex);
    if (scanContext(ptr, ptr == core.current, recordRange, recordSaved)) {
      const ctx = changetype<Context>(ptr);
      chainBlock = ctx.stacklet;
      chainContext = ptr;
      watchChain(ptr, chainBlock);
    }
  }
}

function beginStacks(): void {
  contextIndex = -1;
  rangeSkip = 0;
  scanAt = 0;
  scanEnd = 0;
  enumerate();
}

// @ts-ignore: decorator
@inline function scanWord(p: usize): void {
  const word = load<usize>(p);
  if (isStart(word)) shade(word);
}

/** One step of the stacks stage; true when every range was scanned. */
function stacksStep(): bool {
  if (scanAt + 4 <= scanEnd) {
    const p = scanAt;
    if (p + 32 <= scanEnd) {
      scanWord(p); scanWord(p + 4); scanWord(p + 8); scanWord(p + 12);
      scanWord(p + 16); scanWord(p + 20); scanWord(p + 24); scanWord(p + 28);
      scanAt = p + 32;
    } else {
      scanWord(p);
      scanAt = p + 4;
    }
    return false;
  }
  if (rangeNext < rangeCount) {
    const at = ranges + (<usize>rangeNext << 3);
    const start = load<usize>(at);
    scanEnd = load<usize>(at, 4);
    rangeNext++;
    if (start & SAVED_RANGE) {
      shadeSaved(start & ~SAVED_RANGE, scanEnd);
      scanAt = calleeSaved;
      scanEnd = calleeSaved + CALLEE_SAVED_BYTES;
    } else scanAt = (start + 3) & ~3;
    return false;
  }
  if (rangesLost) {
    // More ranges than the page holds: enumerate again past the ones scanned.
    rangeSkip += rangeCount;
    enumerate();
    return false;
  }
  if (chainBlock != 0 && contextIndex >= contextCount) chainBlock = 0; // its slot is gone
  if (chainBlock != 0) {
    const ptr = contextAt(contextIndex);
    if (ptr != chainContext || chainWatchLost()) {
      // It returned from the stacklet the walk is at (or it ended) while the roots were taken:
      // the frames left below are the remark's to scan (it runs with the kernel lock held, so
      // no task's chain changes between its steps).
      chainBlock = 0;
      return false;
    }
    scanAt = (lowerRangeStart(chainBlock) + 3) & ~3;
    scanEnd = lowerRangeEnd(chainBlock);
    chainBlock = lowerNext(chainBlock);
    watchChain(ptr, chainBlock);
    return false;
  }
  if (contextIndex + 1 >= contextCount) return true;
  contextIndex++;
  rangeSkip = 0;
  enumerate();
  return false;
}

// ---- the cycle --------------------------------------------------------------------

/**
 * The root scan visits the globals one chunk a step (`__visit_globals(k)`, k < globalChunks);
 * js/compiler/globals.ts splits AssemblyScript's body and sets this. 1: not split (the body
 * visits everything for any cookie). Without the transform's barrier on global stores (a
 * user's as-pect specs) the remark revisits every global, all in one step.
 */
export let globalChunks: u32 = 1;
/** The transform gave every store to a visited global the insertion barrier (globals.ts): the remark skips the globals. */
export let globalStoresBarriered: bool = false;
let globalChunk: u32 = 0;

// ROOTS stages.
const STAGE_PINS: u32 = 0;
const STAGE_STACKS: u32 = 1;
const STAGE_GLOBALS: u32 = 2;
let rootStage: u32 = STAGE_PINS;
// REMARK stages.
const REMARK_STACKS: u32 = 0;
const REMARK_DRAIN: u32 = 1;
const REMARK_GLOBALS: u32 = 2;
let remarkStage: u32 = REMARK_STACKS;

/** Begin a cycle (a no-op while one runs). */
export function startCycle(): void {
  if (phase != PHASE_IDLE) return;
  const started = clock.now();
  cycleNumber++;
  allocDebt = 0;
  markBit ^= FLAG_MARK;
  phase = PHASE_ROOTS;
  rootStage = STAGE_PINS;
  pinCursor = objects;
  cycleLongest = 0;
  cycleStartUsed = heapUsed;
  cycleFreed = 0;
  took(started);
}

// @ts-ignore: decorator
@inline function pinStep(): bool {
  const it = pinCursor;
  if (it == 0) return true;
  const obj = changetype<OBJECT>(it);
  pinCursor = nextOf(obj);
  if ((obj.gcInfo2 & FLAG_PIN) != 0) shade(it + TOTAL_OVERHEAD);
  return false;
}

// An array of references is visited a few elements a step, not in one visit (its generated visitor
// loops over every element): [elementAt, elementEnd) is what is left of the one being visited.
// The mutator may store into it between steps: its barrier shades what it stores; a moved array's
// new copy is greyed whole (finishRenew) while the old one, which this range may still be reading,
// is freed by no sweep before the next cycle.
const ELEMENTS_PER_STEP: usize = 4;
let elementAt: usize = 0;
let elementEnd: usize = 0;
const ARRAY_OF_REFERENCES: u32 = TypeinfoFlags.ARRAY | TypeinfoFlags.VALUE_MANAGED;
const STATIC_ARRAY_OF_REFERENCES: u32 = TypeinfoFlags.STATICARRAY | TypeinfoFlags.VALUE_MANAGED;

/** Visit a grey object's members: an array of references starts a chunked visit, anything else is visited whole. */
function visitObject(ptr: usize): void {
  // The runtime type table: a count, then one u32 of flags per class id.
  const flags = load<u32>(__rtti_base + 4 + (<usize>idOf(ptr) << 2));
  if ((flags & ARRAY_OF_REFERENCES) == ARRAY_OF_REFERENCES) {
    visitReference(load<usize>(ptr, offsetof<ArrayBufferView>("buffer")));
    elementAt = load<usize>(ptr, offsetof<ArrayBufferView>("dataStart"));
    elementEnd = elementAt + (<usize>load<i32>(ptr, offsetof<i32[]>("length_")) << alignof<usize>());
  } else if ((flags & STATIC_ARRAY_OF_REFERENCES) == STATIC_ARRAY_OF_REFERENCES) {
    elementAt = ptr;
    elementEnd = ptr + (sizeOf(ptr) & ~(sizeof<usize>() - 1));
  } else {
    __visit_members(ptr, 0);
  }
}

// @ts-ignore: decorator
@inline function visitElement(p: usize, end: usize): void {
  if (p < end) visitReference(load<usize>(p));
}

/** One step of draining the grey objects; true when none is left. */
function drainStep(): bool {
  const at = elementAt;
  if (at < elementEnd) {
    const end = elementEnd;
    visitElement(at, end); visitElement(at + 4, end); visitElement(at + 8, end); visitElement(at + 12, end);
    elementAt = at + ELEMENTS_PER_STEP * sizeof<usize>();
    return false;
  }
  if (markTop > 0) {
    markTop--;
    visitObject(load<usize>(markStack + (<usize>markTop << 2)));
    return false;
  }
  if (overflowCursor != 0) {
    const obj = changetype<OBJECT>(overflowCursor);
    overflowCursor = nextOf(obj);
    if (isMarked(obj)) visitObject(changetype<usize>(obj) + TOTAL_OVERHEAD);
    return false;
  }
  if (markOverflowed) {
    // The mark stack overflowed: walk the list, revisiting every marked object's children.
    markOverflowed = false;
    overflowCursor = objects;
    return false;
  }
  return true;
}

// @ts-ignore: decorator
@inline function sweepOne(): void {
  const it = sweepCursor;
  if (it == 0) return;
  const obj = changetype<OBJECT>(it);
  sweepCursor = nextOf(obj);
  if (!isMarked(obj) && (obj.gcInfo2 & FLAG_PIN) == 0) {
    const payload = it + BLOCK_OVERHEAD;
    cycleFreed += blockBytes(payload);
    unlink(obj);
    setStart(it + TOTAL_OVERHEAD, false);
    heapFree(payload);
  }
}

function finishCycle(): void {
  liveBytes = heapUsed;
  allocatedSinceCollect = 0;
  // Collect again after allocating half as much as survived (at least 8 KiB).
  threshold = max<usize>(8192, liveBytes >> 1);
  phase = PHASE_IDLE;
  collections++;
  const ctx = core.current;
  trace.emit(trace.EV_GC, ctx == 0 ? 0xFFFF : changetype<Context>(ctx).id, <u32>cycleFreed, <u32>heapUsed, <u32>cycleLongest);
}

/**
 * One bounded step of the cycle in progress. The driver runs REMARK's steps
 * with the kernel lock held (no other task runs), the others with nothing held.
 */
export function gcStep(): void {
  const started = clock.now();
  const p = phase;
  if (p == PHASE_ROOTS) {
    if (rootStage == STAGE_PINS) {
      if (pinStep() || pinStep() || pinStep() || pinStep() || pinStep() || pinStep() || pinStep() || pinStep()) {
        rootStage = STAGE_STACKS;
        beginStacks();
      }
    } else if (rootStage == STAGE_STACKS) {
      if (stacksStep()) rootStage = STAGE_GLOBALS;
    } else {
      __visit_globals(globalChunk);
      if (++globalChunk >= globalChunks) {
        globalChunk = 0;
        phase = PHASE_MARK;
      }
    }
  } else if (p == PHASE_MARK) {
    if (drainStep()) {
      phase = PHASE_REMARK;
      remarkStage = REMARK_STACKS;
      beginStacks();
    }
  } else if (p == PHASE_REMARK) {
    if (remarkStage == REMARK_STACKS) {
      if (stacksStep()) remarkStage = REMARK_DRAIN;
    } else if (remarkStage == REMARK_DRAIN) {
      if (drainStep()) remarkStage = REMARK_GLOBALS;
    } else {
      const before = shadedCount;
      if (!globalStoresBarriered) __visit_globals(0);
      // Handlers run between steps and shade through the barrier: end only with nothing grey left.
      if (shadedCount != before || markTop > 0 || markOverflowed || overflowCursor != 0) remarkStage = REMARK_DRAIN;
      else {
        phase = PHASE_SWEEP;
        sweepCursor = objects;
      }
    }
  } else if (p == PHASE_SWEEP) {
    sweepOne();
    if (sweepCursor == 0) finishCycle();
  }
  took(started);
}
