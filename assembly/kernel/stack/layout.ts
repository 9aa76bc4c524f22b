/**
 * Where a suspended context's saved state goes: the one place that decides
 * it (the core and the dispatch loop call these inlined helpers).
 *
 * Suspending a context at stack pointer `sp`:
 *  1. Asyncify unwinds it into the unwind scratch area (outside SRAM, in
 *     the probe's space: a transfer buffer, like a DMA staging area);
 *  2. the exception frame (r0-r3, r12, lr, pc, xPSR: 32 bytes, as the
 *     hardware pushes it) goes at [sp - 32, sp);
 *  3. the unwound data is placed right below it, and its 8-byte header
 *     ([cursor, end]) below that, so the saved state takes exactly what it
 *     needs in the context's own stack and the rest stays free (on the main
 *     stack: for the next nested handler).
 * If it does not fit above stackBase, a static stack has overflowed at a
 * preemption (the dispatch loop panics it); a segmented task's saved state
 * goes to a heap block sized by need, freed when it resumes.
 *
 * Invariants: a suspended context occupies [sp, stackTop) of its current
 * stacklet, or [resumeSp, stackTop) plus its save block, plus its frames in
 * the stacklets below (roots.ts scans exactly these).
 */
import { Context, STACK_SEGMENTED } from "./context";
import { KILL_SCRATCH_BYTES } from "../../mcu/memmap";
import { heapAlloc, heapFree, blockBytes } from "../memory/heap";
import { releaseAll, countDynamic, noteFirstWait } from "./stacklet";
import * as clock from "../../mcu/clock";

export const EXCEPTION_FRAME_BYTES: usize = 32;
/**
 * r4-r11, which the core's context switch pushes below the exception frame
 * (a PendSV handler's STMDB): what a collector scanning a suspended task's
 * stack finds of its registers besides that frame (roots.ts).
 */
export const CALLEE_SAVED_BYTES: usize = 32;
/** Asyncify's data header: the cursor and the end of the buffer. */
export const SAVE_HEADER_BYTES: usize = 8;
/** What the hardware stacks as xPSR: the Thumb bit. */
const XPSR_THUMB: u32 = 0x01000000;
/** EXC_RETURN for a return to thread mode on the process stack. */
const EXC_RETURN_THREAD_PSP: u32 = 0xFFFFFFFD;

// @ts-ignore: decorator
@inline export function unwindScratch(): usize {
  return (<usize>memory.size() << 16) - KILL_SCRATCH_BYTES;
}

/** Where the exception frame goes below `top` (the stack pointer at the preemption, or a save block's top). */
// @ts-ignore: decorator
@inline function frameBelow(top: usize): usize {
  return (top - EXCEPTION_FRAME_BYTES) & ~7;
}

/** The end of what a save block holds (its last word is the heap's). */
// @ts-ignore: decorator
@inline export function saveBlockTop(block: usize): usize {
  return block + blockBytes(block) - 4;
}

/**
 * A suspended context's exception frame: its saved data, header first, is
 * [ctx.sp, this); the frame and its frames are above (roots.ts).
 */
// @ts-ignore: decorator
@inline export function exceptionFrameOf(ctx: Context): usize {
  return frameBelow(ctx.saveBlock != 0 ? saveBlockTop(ctx.saveBlock) : ctx.resumeSp);
}

/** Prepare the unwind buffer; returns its header address. */
// @ts-ignore: decorator
@inline export function beginSave(): usize {
  const header = unwindScratch();
  store<u32>(header, <u32>(header + SAVE_HEADER_BYTES));
  store<u32>(header, <u32>(header + KILL_SCRATCH_BYTES), 4);
  return header;
}

export const SAVE_OK: u32 = 0;
/** A static stack (or the main stack) has no room below the frames for the saved state. */
export const SAVE_OVERFLOW: u32 = 1;
/** A segmented task's saved state needed a heap block and there was none. */
export const SAVE_NO_MEMORY: u32 = 2;

/**
 * The context whose saved state stays in the unwind scratch area (0: none):
 * one suspended only because the host ends a run slice (or must drain the
 * probe). Writing its state into SRAM would leave words there (in free
 * stack that later frames occupy without writing, which the collector
 * scans) or allocate a block, and either would make the model depend on how
 * the host slices a run; the scratch area is not part of the model. It is
 * the only context the next slice can resume first, and the dispatch loop
 * moves its state into its stack (`settleParked`) before any other context
 * runs.
 */
export let parked: usize = 0;

/**
 * After the unwind: push the exception frame, place the saved data below
 * it, record where (SAVE_*). A segmented task whose current stacklet has no
 * room keeps its saved state in a heap block of exactly the size it needs.
 * A suspension that is not architectural parks the state in the scratch area.
 * `architectural`: an exception preempts the context (the peaks count it);
 * false when only the host stops the machine (a run slice ends, the probe
 * must drain): that suspension is not part of the model, and neither the
 * heap nor the peaks, which reach the trace, may depend on how the host
 * slices a run.
 * A save block costs no modelled cycles (nor does freeing it, clearSaved):
 * the modelled core stacks eight registers, which the weight table's
 * exception entry charges, and leaves the frames where they are; copying
 * Asyncify's data and finding it a block is the simulator's work.
 */
// @ts-ignore: decorator
@inline export function finishSave(ctx: Context, sp: usize, architectural: bool): u32 {
  const buffer = unwindScratch();
  const bytes = <usize>load<u32>(buffer) - (buffer + SAVE_HEADER_BYTES);
  ctx.resumeSp = sp;
  if (!architectural) {
    ctx.sp = buffer;
    ctx.savedBytes = 0;
    parked = changetype<usize>(ctx);
    return SAVE_OK;
  }
  let frame = frameBelow(sp);
  let data = (frame - bytes) & ~7;
  let header = data - SAVE_HEADER_BYTES;
  let block: usize = 0;
  if (header < ctx.stackBase || header > sp) {
    // A static stack in its own region has no more room; on a stacklet (grown in a cleanup handler) a block serves.
    if (ctx.stackMode != STACK_SEGMENTED && ctx.stacklet == 0) return SAVE_OVERFLOW;
    const before = clock.budget;
    block = heapAlloc(bytes + EXCEPTION_FRAME_BYTES + SAVE_HEADER_BYTES + 8);
    if (block != 0) countDynamic(block, true);
    clock.refund(before);
    if (block == 0) return SAVE_NO_MEMORY;
    frame = frameBelow(saveBlockTop(block));
    data = (frame - bytes) & ~7;
    header = data - SAVE_HEADER_BYTES;
  }
  // Word by word: the core has no bulk-memory library.
  const from = buffer + SAVE_HEADER_BYTES;
  for (let i: usize = 0; i < bytes; i += 4) store<u32>(data + i, load<u32>(from + i));
  store<u32>(header, <u32>(data + bytes));
  store<u32>(header, <u32>(data + bytes), 4);
  // r0-r3, r12 as zero; lr, pc (the bottom function), xPSR.
  for (let i: usize = 0; i < 20; i += 4) store<u32>(frame + i, 0);
  store<u32>(frame, EXC_RETURN_THREAD_PSP, 20);
  store<u32>(frame, ctx.entry, 24);
  store<u32>(frame, XPSR_THUMB, 28);
  ctx.sp = header;
  ctx.saveBlock = block;
  ctx.savedBytes = block != 0 ? <u32>blockBytes(block) : <u32>(sp - header);
  if (architectural) {
    if (ctx.savedBytes > ctx.savePeak) ctx.savePeak = ctx.savedBytes;
    const held = <u32>(ctx.stackTop - sp) + ctx.savedBytes;
    const used = ctx.chainFrames + held;
    if (used > ctx.peakUsed) ctx.peakUsed = used;
    noteFirstWait(ctx, held);
  }
  return SAVE_OK;
}

/** The parked context's state, moved out of the scratch area into its stack (before another context runs). */
// @ts-ignore: decorator
@inline export function settleParked(): u32 {
  const ctx = changetype<Context>(parked);
  parked = 0;
  return finishSave(ctx, ctx.resumeSp, true);
}

/**
 * After a rewind: clear the saved state the context no longer needs and
 * where it was suspended: free its save block, or zero [sp, resumeSp) of its
 * stack. The collector scans stacks conservatively and a frame's memory is
 * not written by the code that owns it, so stale saved data left there
 * would decide what a later collection keeps and how long it takes.
 */
// @ts-ignore: decorator
@inline export function clearSaved(ctx: Context): void {
  if (parked == changetype<usize>(ctx)) parked = 0;
  else if (ctx.saveBlock != 0) {
    const before = clock.budget;
    countDynamic(ctx.saveBlock, false);
    heapFree(ctx.saveBlock);
    clock.refund(before);
    ctx.saveBlock = 0;
  } else {
    // The words from sp's to resumeSp's, two at a time (the core has no bulk-memory library;
    // this runs on every switch back to a task).
    let at = ctx.sp & ~3;
    const end = (ctx.resumeSp + 3) & ~3;
    for (; at + 8 <= end; at += 8) store<u64>(at, 0);
    if (at < end) store<u32>(at, 0);
  }
  // Where it was suspended means nothing while it runs, and must leave no trace in its control block.
  ctx.sp = ctx.stackTop;
  ctx.resumeSp = ctx.stackTop;
  ctx.savedBytes = 0;
}

/** Forget a context's stack: its save block, its stacklets (it ended, or its frames are discarded). Inline: the dispatch loop uses it. */
// @ts-ignore: decorator
@inline export function releaseStack(ctx: Context): void {
  if (parked == changetype<usize>(ctx)) parked = 0;
  if (ctx.saveBlock != 0) {
    countDynamic(ctx.saveBlock, false);
    heapFree(ctx.saveBlock);
    ctx.saveBlock = 0;
  }
  releaseAll(ctx);
  ctx.sp = ctx.stackTop;
  ctx.resumeSp = ctx.stackTop;
  ctx.watermark = ctx.stackTop;
  ctx.savedBytes = 0;
}

/**
 * Bytes of a static stack kept below the frames for the saved state, so
 * that a violation is (almost always) a call: Asyncify saves a frame's live
 * locals and a call index, less than the frame itself, and measured at
 * about 40-80 % of the frames in use; a save that still does not fit is
 * reported as a stack overflow at the preemption.
 */
export function saveReserve(stackBytes: u32): usize {
  return reserveFor(stackBytes);
}

// @ts-ignore: decorator
@inline function reserveFor(stackBytes: u32): usize {
  const quarter = <usize>(stackBytes >> 2);
  return quarter < 96 ? 96 : quarter;
}

/**
 * A task's static stack back in its own region after it grew by stacklets
 * in a cleanup handler (stacklet.ts restores a region's bound as its base):
 * its bound is above the save reserve again. Inline: the core uses it.
 */
// @ts-ignore: decorator
@inline export function restoreStaticLimit(ctx: Context): void {
  ctx.stackLimit = ctx.firstBase + reserveFor(<u32>(ctx.firstTop - ctx.firstBase));
}
