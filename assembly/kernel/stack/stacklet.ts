/**
 * Segmented stacks (DESIGN §3, after Hopter): a task's stack is a chain of
 * stacklets allocated from the SRAM heap when a function's frame does not
 * fit, and freed when that function returns.
 *
 * A stacklet is one raw heap block:
 *
 *   block                    stackBase = stackLimit                     stackTop
 *   | metadata (META_BYTES) | free ... <- frames grow down (and saved state) |
 *
 * The metadata keeps what the context's stack registers were in the
 * stacklet below (restored when the function that moved up returns), the
 * call-chain signature it was allocated under, how often it has been
 * extended and the most its extensions have held.
 *
 * How a call reaches here: every instrumented function's prologue does
 * `sp -= F; if (sp < stackGuard) seg = stackGuardHit(F, site)`; for a task
 * with a segmented stack the core (mcu/core.ts) runs the steps of an
 * extension below (extendFromPool, the fast path; or planStacklet,
 * takePooled or takeStacklet, zeroStep, linkStacklet) on the main stack, as
 * an SVC handler would run, with a check
 * point between steps; the function's epilogue does
 * `sp += F; if (seg) stackReturn(seg)`, which runs `lessStack` (the stacklet
 * goes to the machine-wide pool, pool.ts) and then `freeStep` a block at a
 * time the same way. This file is atomic code
 * (js/compiler/rule.ts): charged, never suspended inside a step, so the heap
 * is never entered twice.
 *
 * Hot-split mitigation (after Hopter): a chain has a call-chain signature
 * (rotate right 1, xor the function's site number on every extension), kept
 * in its current stacklet's metadata (the first region's is 0: metaOf), so a
 * return restores it by restoring the current stacklet; each context keeps a
 * 4-entry cache of (signature, count) in its control block.
 * Every extension counts against the signature the extended stacklet was
 * allocated under (on the fast path, HOT_EXTENSIONS at once when that
 * stacklet becomes hot); each HOT_EXTENSIONS of them make the next stacklets
 * allocated under it one size larger (x2, x3, ...), so the loop that kept
 * crossing a boundary runs inside one stacklet. Hopter counts per stacklet
 * instance; counting per signature also learns a recursion's levels, whose
 * stacklets are allocated anew on every pass. And beyond Hopter: a returned
 * stacklet goes to the pool (pool.ts), so one long loop inside a single call
 * (which enlarging cannot help: the stacklet already exists) takes back the
 * block it has just returned instead of allocating. And a stacklet learns what the calls it extended
 * held at most (M_CHILD_PEAK: each stacklet returned reports its
 * deepest use, its own children's included), so the next extension from it
 * is one stacklet that holds the whole deep phase: a recursion that comes
 * back needs one extension, not one per stacklet's worth of frames.
 *
 * The crossing's cost (a fast extension and its return: about 220 modelled
 * cycles, tests/host/stacklet-fast-path.test.ts) is what segmented stacks
 * cost over static ones: a deep phase that comes back crosses once. Both
 * ends are straight-line in the common case and share their code with the
 * steps (keepBelow, enter, holdOneMore); the stack limit is tested once, by
 * the fast path, which every extension tries first.
 *
 * Only segmented tasks get here, so a first region's bound is its base.
 *
 * Invariants: a context's stacklets form a chain through M_PREV from
 * `ctx.stacklet` down to 0 (the task's first region); the chain's
 * signature is its current stacklet's M_SIGNATURE (0 in the first region);
 * `ctx.stackletsHeld` counts them with its block in hand; between steps
 * a context may hold one block in hand (taken, not yet linked) and a free
 * list of blocks to give back to the heap (linked through M_EXTENSIONS),
 * both released if it dies; `live` counts every block this file holds, the
 * pooled ones included.
 */
import { Context } from "./context";
import * as pool from "./pool";
import { heapAlloc, heapFree, blockBytes } from "../memory/heap";
import * as trace from "../../probe/trace";
import * as clock from "../../mcu/clock";

// Metadata offsets. The stacklet below's base and bound need no word: a stacklet's are
// its own block + META_BYTES, the first region's are kept in the context (firstBase).
const M_PREV: usize = 0;           // the stacklet below (0: the first region)
const M_PREV_TOP: usize = 4;
const M_PREV_WATERMARK: usize = 8;
const M_CALLER_SP: usize = 12;     // the stack pointer in the stacklet below when the function moved up
const M_EXTENSIONS: usize = 16;    // extensions made while this stacklet was the current one
const M_SIGNATURE: usize = 20;     // the chain signature this stacklet was allocated under
const M_CHILD_PEAK: usize = 24;    // the most stack bytes the stacklets above it have held at once
export const META_BYTES: usize = 28;

// The hot-split cache: HOT_ENTRIES (signature, extensions counted under it) pairs in the context.
const HOT_ENTRIES: u32 = 4;
// @ts-ignore: decorator
@inline function hotEntries(ctx: Context): usize { return changetype<usize>(ctx) + offsetof<Context>("hotSignature0"); }

/** Bytes every stacklet gets beyond the frame that asked for it (Hopter's default addition). */
// @ts-ignore: defined by the firmware build with --use HOPRT_STACKLET_ADDITION=...
export const STACKLET_ADDITION: u32 = isDefined(HOPRT_STACKLET_ADDITION) ? <u32>HOPRT_STACKLET_ADDITION : 64;
/**
 * What a task's first stacklet (the first call with a frame, for a task with no initial
 * stack) gets beyond its frame when no task of its kind has waited yet (else its kind's
 * hint: below): room for the few frames of a typical blocking call and the saved state
 * of a suspension there (192 to 264 bytes in the examples and benchmarks), so a task
 * that waits holds one stacklet and needs no save block (and no allocation) each time it
 * is switched out.
 */
// @ts-ignore: defined by the firmware build with --use HOPRT_FIRST_STACKLET_ADDITION=...
export const FIRST_STACKLET_ADDITION: u32 = isDefined(HOPRT_FIRST_STACKLET_ADDITION) ? <u32>HOPRT_FIRST_STACKLET_ADDITION : 256;
/*
 * First-stacklet hints. A task's first stacklet is held for the task's life, and what it needs
 * is what the task holds while it waits: its frames down to the blocking call and its saved
 * state below them. FIRST_STACKLET_ADDITION is a guess at that for a kind of task that has not
 * waited yet; tasks of one kind (one entry function; for breathing tasks, one wait function)
 * wait alike, so once one of them has been suspended in its first stacklet, the first stacklets
 * of the next ones hold what it needed (noteFirstWait learns the most any of them held) and
 * FIRST_HINT_MARGIN more: nine sensor tasks hold nine stacklets their size, not nine guesses.
 * Their deep phases are alike too: a first stacklet that has not learned its deep phase yet
 * (M_CHILD_PEAK) takes the most its kind's first stacklets have, so a task's first deep phase
 * takes one stacklet that size, not a chain of small ones while it learns.
 * A task that waits deeper than its hint still runs: its frames take a stacklet above the
 * first (a crossing each time it waits, as any deep phase), or, when only its saved state does
 * not fit, a block, and then the hint grows. The hints are a direct-mapped table of FIRST_HINTS
 * slots (a kind's slot is a hash of it): a lookup is one compare, in the extension's step (a
 * table scanned whole on a miss cost the step 16 compares more), and a kind whose slot another
 * kind has taken gets the guess again.
 */
const FIRST_HINT_BITS: u32 = 4;
const FIRST_HINTS: u32 = 1 << FIRST_HINT_BITS;
/** Bytes a first stacklet gets beyond what its kind held when suspended in it. */
export const FIRST_HINT_MARGIN: u32 = 16;
/** A breathing task's kind is its wait function's, apart from the entries of plain tasks. */
export const FIRST_KEY_BREATHING: u32 = 0x80000000;
// Triples (kind + 1, bytes held at most when suspended, child peak at most); a kind of 0 is an empty slot.
const HINT_BYTES: usize = 12;
const firstHints: usize = memory.data(<i32>(FIRST_HINTS * <u32>HINT_BYTES));

/** The slot of kind `kind` (a task's firstKey + 1), Knuth's multiplicative hash. */
// @ts-ignore: decorator
@inline function hintSlot(kind: u32): usize {
  return firstHints + <usize>((kind * 0x9E3779B1) >>> (32 - FIRST_HINT_BITS)) * HINT_BYTES;
}

/** The hint of `key`'s kind (its address), or 0 when none is known. */
function firstHint(key: u32): usize {
  const entry = hintSlot(key + 1);
  return load<u32>(entry) == key + 1 ? entry : 0;
}

/** Whether `stacklet` is the context's first (its first region is empty, and nothing is below it). */
// @ts-ignore: decorator
@inline function isFirstStacklet(ctx: Context, stacklet: usize): bool {
  return stacklet != 0 && load<usize>(stacklet + M_PREV) == 0 && ctx.firstBase == ctx.firstTop;
}

/** The most the extensions from a first stacklet of the context's kind have held (0: none known). */
function kindChildPeak(ctx: Context): u32 {
  const hint = firstHint(ctx.firstKey);
  return hint != 0 ? load<u32>(hint, 8) : 0;
}

/**
 * The context has been suspended holding `held` bytes (frames, saved state) in its current
 * stacklet: when that is its first stacklet, its kind's hint learns it, and what the first
 * stacklet's extensions have held. Inlined into the save (layout.ts finishSave): simulator
 * work, no modelled cycle, a few compares in the common case.
 */
// @ts-ignore: decorator
@inline export function noteFirstWait(ctx: Context, held: u32): void {
  const first = ctx.stacklet;
  if (isFirstStacklet(ctx, first)) {
    const child = load<u32>(first + M_CHILD_PEAK);
    if (held > ctx.firstNeed || child > ctx.firstChildNoted) {
      if (held > ctx.firstNeed) ctx.firstNeed = held;
      if (child > ctx.firstChildNoted) ctx.firstChildNoted = child;
      const before = clock.budget;
      learnFirstHint(ctx.firstKey + 1, held, child);
      clock.refund(before);
    }
  }
}

function learnFirstHint(kind: u32, held: u32, child: u32): void {
  const entry = hintSlot(kind);
  if (load<u32>(entry) == kind) {
    if (held > load<u32>(entry, 4)) store<u32>(entry, held, 4);
    if (child > load<u32>(entry, 8)) store<u32>(entry, child, 8);
  } else {
    store<u32>(entry, kind);
    store<u32>(entry, held, 4);
    store<u32>(entry, child, 8);
  }
}

/** Extensions under one stacklet after which its signature is hot. */
export const HOT_EXTENSIONS: u32 = 10;
const MAX_FACTOR: u32 = 16;

/** Stacklet blocks held now (pooled ones included), machine-wide, and their bytes. */
export let live: u32 = 0;
export let liveBytes: usize = 0;
export let peakBytes: usize = 0;
/**
 * Every byte of stack memory allocated on demand (stacklets, save blocks, hot caches; tasks'
 * first regions are part of their spawn), now and at most: what segmented stacks cost in SRAM.
 */
export let dynamicBytes: usize = 0;
export let dynamicPeakBytes: usize = 0;

/** Count a block of stack memory in (true) or out. */
export function countDynamic(block: usize, allocated: bool): void {
  const bytes = blockBytes(block);
  if (allocated) {
    dynamicBytes += bytes;
    if (dynamicBytes > dynamicPeakBytes) dynamicPeakBytes = dynamicBytes;
  } else dynamicBytes -= bytes;
}

/** Stacklet allocations from the heap since boot (a stacklet taken from the pool is not one). */
export let allocations: u32 = 0;
/** Why the last extension step refused (the core reports it). */
export const REFUSED_NONE: u32 = 0;
export const REFUSED_LIMIT: u32 = 1;
export const REFUSED_MEMORY: u32 = 2;
export let refusal: u32 = REFUSED_NONE;

// @ts-ignore: decorator
@inline function rotr1(x: u32): u32 { return (x >>> 1) | (x << 31); }
/** Spread a site number over the word (Knuth's multiplicative hash), so nearby sites give far signatures. */
// @ts-ignore: decorator
@inline function siteHash(site: u32): u32 { return (site + 1) * 0x9E3779B1; }

/**
 * Where `stacklet`'s M_EXTENSIONS, M_SIGNATURE and M_CHILD_PEAK words are: its block, or for the
 * first region (0) the context's firstExtensions, firstSignature, firstChildPeak, which lie at
 * the same offsets from this address (context.ts). One select serves the three words.
 */
// @ts-ignore: decorator
@inline function metaOf(ctx: Context, stacklet: usize): usize {
  return stacklet != 0 ? stacklet : changetype<usize>(ctx) + (offsetof<Context>("firstExtensions") - M_EXTENSIONS);
}

/** The enlargement for stacklets allocated under `signature`: 1, +1 per HOT_EXTENSIONS extensions seen under it. */
function hotFactor(ctx: Context, signature: u32): u32 {
  const cache = hotEntries(ctx);
  for (let i: u32 = 0; i < HOT_ENTRIES; i++) {
    const entry = cache + (<usize>i << 3);
    if (load<u32>(entry, 4) != 0 && load<u32>(entry) == signature) {
      const factor: u32 = 1 + load<u32>(entry, 4) / HOT_EXTENSIONS;
      return factor < MAX_FACTOR ? factor : MAX_FACTOR;
    }
  }
  return 1;
}

/** `extensions` more extensions under a stacklet allocated under `signature`. */
function countExtension(ctx: Context, signature: u32, extensions: u32): void {
  const cache = hotEntries(ctx);
  for (let i: u32 = 0; i < HOT_ENTRIES; i++) {
    const entry = cache + (<usize>i << 3);
    const count = load<u32>(entry, 4);
    if (count != 0 && load<u32>(entry) == signature) {
      if (count < MAX_FACTOR * HOT_EXTENSIONS) store<u32>(entry, count + extensions, 4);
      return;
    }
  }
  // A new signature takes the place of the least extended one (they are few and short-lived).
  let victim = cache;
  for (let i: u32 = 1; i < HOT_ENTRIES; i++) {
    const entry = cache + (<usize>i << 3);
    if (load<u32>(entry, 4) < load<u32>(victim, 4)) victim = entry;
  }
  store<u32>(victim, signature);
  store<u32>(victim, extensions, 4);
}

/** Give `block` back to the heap. */
function release(block: usize): void {
  live--;
  liveBytes -= blockBytes(block);
  countDynamic(block, false);
  heapFree(block);
}

/**
 * An extension, in steps (mcu/core.ts runs them with a check point between
 * each, as an SVC handler can be preempted: no step is a long uninterruptible
 * stretch). The frame that asked is not taken meanwhile: a suspension between
 * steps saves the context at its caller's stack pointer.
 *
 *  0. extendFromPool: the stack limit; then, when the stacklet below learned its deep phase and
 *     the newest pooled block holds it, the whole extension in this one step.
 *  1. planStacklet: the chain signature, the size wanted.
 *  2. takePooled: a pooled block big enough; or takeStacklet: one TLSF allocation.
 *  3. zeroStep, until it returns false: ZERO_CHUNK bytes a step.
 *  4. linkStacklet: the context's registers describe the new stacklet.
 */

/** A stacklet's stack top: its block's end (`bytes` from it), less TLSF's next header, 16-byte aligned. */
// @ts-ignore: decorator
@inline function topOf(block: usize, bytes: usize): usize { return (block + bytes - 4) & ~15; }

/** One more stacklet held by the context (its block of `bytes`, taken from the pool or the heap): counted and traced. */
// @ts-ignore: decorator
@inline function holdOneMore(ctx: Context, bytes: usize): void {
  const held = ctx.stackletsHeld + 1;
  ctx.stackletsHeld = held;
  if (held > ctx.stackletsPeak) ctx.stackletsPeak = held;
  trace.emit(trace.EV_STACKLET_ALLOC, ctx.id, <u32>bytes, held);
}

/*
 * Linking `block` above the current stacklet, in two halves that both ways of extending share
 * (extendFromPool, linkStacklet): keepBelow, then enter. Apart, so that the fast path stores
 * what it has as soon as it has the block, and keeps fewer values live (registers it saves).
 */

/** `block`'s metadata keeps the stack registers of the stacklet below (`below`, its top `belowTop`) and the caller's stack pointer. */
// @ts-ignore: decorator
@inline function keepBelow(ctx: Context, block: usize, below: usize, belowTop: usize, callerSp: usize): void {
  store<usize>(block + M_PREV, below);
  store<usize>(block + M_PREV_TOP, belowTop);
  store<usize>(block + M_PREV_WATERMARK, ctx.watermark);
  store<usize>(block + M_CALLER_SP, callerSp);
}

/**
 * `block` (`bytes` long, its below kept: keepBelow) becomes the current stacklet, holding the
 * frame just taken (`need` bytes; `framesBelow` held in the stacklets below), allocated under
 * `signature`: the context's registers describe it.
 */
// @ts-ignore: decorator
@inline function enter(ctx: Context, block: usize, bytes: usize, framesBelow: u32, need: u32, signature: u32): void {
  store<u32>(block + M_EXTENSIONS, 0);
  store<u32>(block + M_SIGNATURE, signature);
  store<u32>(block + M_CHILD_PEAK, 0);
  ctx.stacklet = block;
  ctx.chainFrames = framesBelow;
  const base = block + META_BYTES;
  ctx.stackBase = base;
  ctx.stackLimit = base;
  const top = topOf(block, bytes);
  ctx.stackTop = top;
  ctx.watermark = top - need;
  const frames = framesBelow + need;
  if (frames > ctx.framePeak) ctx.framePeak = frames;
}

/** What extendFromPool returns when the stack limit refuses the frame (`refusal` says so); never a block (blocks are 16-byte aligned). */
export const EXTEND_REFUSED: usize = 1;

/**
 * The fast path, one short step: a deep phase this stacklet has extended to before (it has
 * learned what that needs) takes the newest pooled block if it holds that, and is linked at
 * once: no signature lookup (the learned size holds the whole deep phase), no allocation, no
 * zeroing. 0 when it does not apply (go on with step 1); EXTEND_REFUSED when the stack limit
 * refuses the frame (unless `waived`): the limit is tested here only, before any other step.
 * The learned size may be stale (a shallower phase since, or a deeper frame than it learned):
 * the block is taken only if it holds the frame too, else the steps size one.
 */
export function extendFromPool(ctx: Context, sp: usize, frameBytes: u32, shadowBytes: u32, site: u32, waived: bool): usize {
  const need = frameBytes + shadowBytes;
  const callerSp = sp + frameBytes;
  const belowTop = ctx.stackTop;
  const framesBelow = ctx.chainFrames + <u32>(belowTop - callerSp);
  const limit = ctx.frameLimit;
  if (limit != 0 && framesBelow + need > limit && !waived) {
    refusal = REFUSED_LIMIT;
    return EXTEND_REFUSED;
  }
  const below = ctx.stacklet;
  const meta = metaOf(ctx, below);
  // Learned only from a stacklet that was returned: never a task's first stacklet (its
  // function returns as the task ends), so Hopter's addition is the one to add.
  const learned = load<u32>(meta + M_CHILD_PEAK);
  if (learned == 0) return 0;
  const want = META_BYTES + <usize>((learned > need ? learned : need) + STACKLET_ADDITION) + 4;
  // The newest pooled block (the common case: no call), else the smallest older one that holds it.
  const pooled = pool.pooled;
  if (pooled == 0) return 0;
  let block = pool.blockAt(pooled - 1);
  let bytes = blockBytes(block);
  if (bytes >= want) pool.dropNewest(pooled);
  else {
    if (pool.POOL_SLOTS < 2) return 0;
    block = pool.takeOlderFitting(want, <usize>-1);
    if (block == 0) return 0;
    bytes = blockBytes(block);
  }
  // The extension counts under the stacklet below; its signature (a lookup) counts them once,
  // as the stacklet becomes hot: its next instance is allocated larger, so the loop that keeps
  // crossing runs inside it. (Step 1 counts every extension it plans under the signature.)
  keepBelow(ctx, block, below, belowTop, callerSp);
  const count = load<u32>(meta + M_EXTENSIONS) + 1;
  store<u32>(meta + M_EXTENSIONS, count);
  const belowSignature = load<u32>(meta + M_SIGNATURE);
  if (count == HOT_EXTENSIONS && below != 0) countExtension(ctx, belowSignature, HOT_EXTENSIONS);
  holdOneMore(ctx, bytes);
  enter(ctx, block, bytes, framesBelow, need, rotr1(belowSignature) ^ siteHash(site));
  return block;
}

/**
 * What the last planStacklet would settle for when the size it wants (learned from deeper
 * calls, enlarged when hot, a first stacklet's room for a wait) does not fit in the heap
 * (mcu/core.ts asks for it in a step of its own).
 */
export let leastWant: usize = 0;

/** Whether the context's next stacklet is its first (held for the task's life): no stacklet yet, no initial stack. */
// @ts-ignore: decorator
@inline function extendsFirst(ctx: Context): bool {
  return ctx.stacklet == 0 && ctx.firstBase == ctx.firstTop;
}

/** What a task's first stacklet gets beyond the frame `need` that asked for it: what its kind held when suspended in one, or the guess. */
function firstAddition(ctx: Context, need: u32): u32 {
  const hint = firstHint(ctx.firstKey);
  if (hint == 0) return FIRST_STACKLET_ADDITION;
  const held = load<u32>(hint, 4);
  return (held > need ? held - need : 0) + FIRST_HINT_MARGIN;
}

/**
 * Step 1 for a frame `frameBytes` and the `shadowBytes` its code pushes below it, once the
 * fast path did not apply (it tested the stack limit): the size of the stacklet it needs.
 */
export function planStacklet(ctx: Context, frameBytes: u32, shadowBytes: u32, site: u32): usize {
  const below = ctx.stacklet;
  const meta = metaOf(ctx, below);
  const need = frameBytes + shadowBytes;
  const belowSignature = load<u32>(meta + M_SIGNATURE);
  const factor = hotFactor(ctx, rotr1(belowSignature) ^ siteHash(site));
  const addition = extendsFirst(ctx) ? firstAddition(ctx, need) : STACKLET_ADDITION;
  // The stacklet below counts this extension, and so does the
  // signature it was allocated under, across every instance of it (a recursion allocates
  // each level's stacklet anew): every HOT_EXTENSIONS make its next stacklets larger.
  store<u32>(meta + M_EXTENSIONS, load<u32>(meta + M_EXTENSIONS) + 1);
  if (below != 0) countExtension(ctx, belowSignature, 1);
  // What the calls from the stacklet below held at most the last times they ran (a recursion's
  // every level): the stacklet holds it all, so a deep phase that comes back needs one
  // extension, not one a stacklet's worth of frames.
  let learned = load<u32>(meta + M_CHILD_PEAK);
  // A first stacklet that has not learned its deep phase yet: its kind's, if another task of it has.
  if (learned == 0 && isFirstStacklet(ctx, below)) learned = kindChildPeak(ctx);
  const room = (<usize>need + addition) * factor;
  // What it settles for in a heap too full for that: the frame and Hopter's addition, no more.
  leastWant = (META_BYTES + need + STACKLET_ADDITION + 15) & ~15;
  const wanted = <usize>learned + addition > room ? <usize>learned + addition : room;
  return (META_BYTES + wanted + 15) & ~15;
}

/**
 * Step 2, from the pool: the smallest pooled block of at least `want` bytes (no zeroing: it
 * held frames) in the context's hand; false when none is big enough. A task's first stacklet
 * is held for the task's life, so it takes none much larger than it asks for (another task's
 * deep phase).
 */
export function takePooled(ctx: Context, want: usize): bool {
  const block = pool.takeFitting(want + 4, extendsFirst(ctx) ? want + (want >> 1) : <usize>-1);
  if (block == 0) return false;
  ctx.inHandZeroedTo = ctx.inHandEnd = 0;
  hand(ctx, block);
  return true;
}

/**
 * Step 2, from the heap (a step of its own: TLSF's longest path is the longest stretch there
 * is): a new block of at least `want` bytes in the context's hand, to be zeroed. False when
 * the heap has no room (`refusal` says so).
 */
export function takeStacklet(ctx: Context, want: usize): bool {
  const block = heapAlloc(want);
  if (block == 0) {
    refusal = REFUSED_MEMORY;
    return false;
  }
  const bytes = blockBytes(block);
  live++;
  liveBytes += bytes;
  if (liveBytes > peakBytes) peakBytes = liveBytes;
  countDynamic(block, true);
  allocations++;
  ctx.inHandZeroedTo = block + META_BYTES;
  ctx.inHandEnd = block + bytes - 4;
  hand(ctx, block);
  return true;
}

/** `block` is the context's block in hand, one more of its stacklets. */
function hand(ctx: Context, block: usize): void {
  ctx.stackletInHand = block;
  holdOneMore(ctx, blockBytes(block));
}

/** Bytes step 3 zeroes at a time (a multiple of 32). */
export const ZERO_CHUNK: usize = 256;

/**
 * Step 3: zero the next ZERO_CHUNK bytes of the block in hand; whether more remain. The
 * collector scans frames conservatively and a frame's memory is not written by the code that
 * owns it: whatever the block held before would keep garbage alive. (A pooled block held
 * frames, and is not zeroed again: pool.ts.)
 */
export function zeroStep(ctx: Context): bool {
  const from = ctx.inHandZeroedTo;
  const end = ctx.inHandEnd;
  // Four doublewords a pass, as a compiler's memset stores a register block (STRD/STM); counted
  // loops, so the build's report bounds the step.
  let at = from;
  for (let pass: u32 = 0; pass < <u32>(ZERO_CHUNK / 32); pass++) {
    if (at + 32 > end) break;
    store<u64>(at, 0);
    store<u64>(at, 0, 8);
    store<u64>(at, 0, 16);
    store<u64>(at, 0, 24);
    at += 32;
  }
  if (at + 32 > end) {
    // The last 0..28 bytes.
    for (let word: u32 = 0; word < 7; word++) {
      if (at >= end) break;
      store<u32>(at, 0);
      at += 4;
    }
  }
  ctx.inHandZeroedTo = at;
  return at < end;
}

/** Step 4: the block in hand becomes the current stacklet, holding the frame; returns it. */
export function linkStacklet(ctx: Context, sp: usize, frameBytes: u32, shadowBytes: u32, site: u32): usize {
  const block = ctx.stackletInHand;
  ctx.stackletInHand = 0;
  const callerSp = sp + frameBytes;
  const belowTop = ctx.stackTop;
  const framesBelow = ctx.chainFrames + <u32>(belowTop - callerSp);
  const below = ctx.stacklet;
  const signature = rotr1(load<u32>(metaOf(ctx, below) + M_SIGNATURE)) ^ siteHash(site);
  keepBelow(ctx, block, below, belowTop, callerSp);
  enter(ctx, block, blockBytes(block), framesBelow, frameBytes + shadowBytes, signature);
  return block;
}

/**
 * The epilogue's slow path: the function that moved up to `block` returns.
 * Restores the context's registers to the stacklet below and returns the
 * stack pointer to continue with; the stacklet goes to the pool, and the
 * pooled block it displaces (if the pool was full) onto the context's free
 * list (mcu/core.ts gives it back to the heap by freeStep, a block a step).
 * The common case (the pool has room: the block a fast extension took is
 * back) is straight-line code with no call. The chain's signature needs no
 * restoring: it is the stacklet below's (metaOf).
 */
export function lessStack(ctx: Context, block: usize): usize {
  const below = load<usize>(block + M_PREV);
  const callerSp = load<usize>(block + M_CALLER_SP);
  const top = load<usize>(block + M_PREV_TOP);
  // What it held at its deepest, with the stacklets above it then, is learned by the one below.
  const deepest = <u32>(ctx.stackTop - ctx.watermark) + load<u32>(block + M_CHILD_PEAK);
  ctx.stacklet = below;
  if (block == watchedBlock) watchLost = true;
  ctx.stackTop = top;
  ctx.watermark = load<usize>(block + M_PREV_WATERMARK);
  ctx.chainFrames -= <u32>(top - callerSp);
  // The stacklet below's registers and learned child peak (the first region's are in the context).
  let base: usize, meta: usize;
  if (below != 0) {
    base = below + META_BYTES;
    meta = below;
  } else {
    base = ctx.firstBase;
    meta = metaOf(ctx, 0);
  }
  ctx.stackBase = base;
  ctx.stackLimit = base;
  // A shallower call takes an eighth of the way down: a deep phase that varies a little keeps
  // its size, and one rare deep call does not make every later extension from here as big.
  const learned = load<u32>(meta + M_CHILD_PEAK);
  store<u32>(meta + M_CHILD_PEAK, deepest >= learned ? deepest : learned - ((learned - deepest) >> 3));
  const held = ctx.stackletsHeld - 1;
  ctx.stackletsHeld = held;
  trace.emit(trace.EV_STACKLET_FREE, ctx.id, <u32>blockBytes(block), held);
  if (pool.POOL_SLOTS == 0) queueFree(ctx, block, FREE_HELD_BY_NONE);
  else {
    const evicted = pool.put(block);
    if (evicted != 0) queueFree(ctx, evicted, FREE_HELD_BY_NONE);
  }
  return callerSp;
}

// How a block on a context's free list goes: with the stacklets below it (a dead context's
// whole chain, through M_PREV); held by no context any more (a pooled block, or one already
// counted out of the context's stacklets). Blocks are 16-byte aligned: the link's low bits.
const FREE_HELD: usize = 0;
const FREE_WITH_CHAIN_BELOW: usize = 1;
const FREE_HELD_BY_NONE: usize = 2;

/** Put a block on the context's free list, linked through its M_EXTENSIONS word (its count is not needed any more). */
function queueFree(ctx: Context, block: usize, how: usize): void {
  store<usize>(block + M_EXTENSIONS, ctx.stackletsToFree | how);
  ctx.stackletsToFree = block;
}

/** Give one block of the context's free list back to the heap; whether more remain. */
export function freeStep(ctx: Context): bool {
  const block = ctx.stackletsToFree;
  if (block == 0) return false;
  const link = load<usize>(block + M_EXTENSIONS);
  ctx.stackletsToFree = link & ~15;
  if ((link & FREE_WITH_CHAIN_BELOW) != 0) {
    const below = load<usize>(block + M_PREV);
    if (below != 0) queueFree(ctx, below, FREE_WITH_CHAIN_BELOW);
  }
  if ((link & FREE_HELD_BY_NONE) == 0) {
    const held = --ctx.stackletsHeld;
    trace.emit(trace.EV_STACKLET_FREE, ctx.id, <u32>blockBytes(block), held);
  }
  release(block);
  return ctx.stackletsToFree != 0;
}

/**
 * A context's frames are gone (it ended, or restarts): back to its first region, and every
 * stacklet it holds onto its free list, in a few stores whatever their number: the caller
 * gives them back to the heap by freeStep, a block a step (drainFrees).
 */
export function releaseAll(ctx: Context): void {
  if (ctx.stacklet != 0) {
    queueFree(ctx, ctx.stacklet, FREE_WITH_CHAIN_BELOW);
    ctx.stackTop = ctx.firstTop;
    ctx.stackBase = ctx.firstBase;
    ctx.stackLimit = ctx.firstBase;
  }
  ctx.stacklet = 0;
  if (changetype<usize>(ctx) == watchedContext) watchLost = true;
  ctx.chainFrames = 0;
  ctx.firstExtensions = 0;
  ctx.firstChildPeak = 0;
  if (ctx.stackletInHand != 0) {
    queueFree(ctx, ctx.stackletInHand, FREE_HELD);
    ctx.stackletInHand = 0;
  }
  const cache = hotEntries(ctx);
  for (let i: u32 = 0; i < HOT_ENTRIES; i++) store<u64>(cache + (<usize>i << 3), 0);
}

/**
 * Give the oldest pooled stacklet back to the heap (one step); whether the pool holds more.
 * Memory runs short (the collector's whole collection, a refused extension) or the pool's
 * oldest block has gone unused a while (the idle task: trimPool).
 */
export function releasePooled(): bool {
  const block = pool.takeOldest();
  if (block != 0) release(block);
  return pool.pooled != 0;
}

/**
 * Whether the stacklet about to be taken from the heap will, on its return, evict a pooled
 * block (the pool is full): not a task's first stacklet, which is held for the task's life.
 */
// @ts-ignore: decorator
@inline export function returnWouldEvict(ctx: Context): bool {
  return pool.POOL_SLOTS != 0 && pool.pooled == pool.POOL_SLOTS && !extendsFirst(ctx);
}

/** Cycles a pooled stacklet may go unused before the idle task gives it back to the heap. */
// @ts-ignore: defined by the firmware build with --use HOPRT_STACKLET_POOL_AGE_MS=...
const POOL_AGE_MS: u32 = isDefined(HOPRT_STACKLET_POOL_AGE_MS) ? <u32>HOPRT_STACKLET_POOL_AGE_MS : 20;

/** Whether the pool went POOL_AGE_MS without a stacklet coming back (the idle task gives its oldest back: releasePooled). */
export function poolExpired(): bool {
  return pool.quietLongerThan(clock.now(), <i64>clock.sysclkHz / 1000 * POOL_AGE_MS);
}

/** Give every stacklet on a context's free list back to the heap, a block a step (a check point between steps). */
// @ts-ignore: decorator
@inline export function drainFrees(ctx: Context): void {
  while (freeStep(ctx)) {}
}

/**
 * The collector's watch on a chain it walks a stacklet a step (kernel/memory/collector.ts):
 * the stacklet whose metadata, and the frames below it, its next step scans; `watchLost` once
 * the context has returned from it or lost its chain since (that step must not be taken: the
 * block may hold another chain's metadata by then). One compare on every return (lessStack),
 * where a depth count kept in the context cost every extension and return a load and a store.
 */
let watchedContext: usize = 0;
let watchedBlock: usize = 0;
let watchLost: bool = false;

/** Watch `block` (0: none) of context `ctx`'s chain, from now. */
// @ts-ignore: decorator
@inline export function watchChain(ctx: usize, block: usize): void {
  watchedContext = ctx;
  watchedBlock = block;
  watchLost = false;
}

/** Whether the watched context returned from the watched stacklet, or lost its chain, since watchChain. */
// @ts-ignore: decorator
@inline export function chainWatchLost(): bool { return watchLost; }

/** The frames a context holds in `block`, a stacklet below its current one: [start, end) (the collector's roots). */
// @ts-ignore: decorator
@inline export function lowerRangeStart(block: usize): usize { return load<usize>(block + M_CALLER_SP); }
// @ts-ignore: decorator
@inline export function lowerRangeEnd(block: usize): usize { return load<usize>(block + M_PREV_TOP); }
/** The stacklet below `block` (0: the first region, whose frames are in no stacklet). */
// @ts-ignore: decorator
@inline export function lowerNext(block: usize): usize { return load<usize>(block + M_PREV); }
