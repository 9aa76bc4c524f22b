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
 * If it does not fit above stackBase, the context has overflowed its stack
 * at a preemption: the dispatch loop panics it (stack overflow).
 *
 * Invariants: a suspended context occupies exactly [sp, stackTop); the
 * collector's root range for it is that range (roots.ts).
 */
import { Context } from "./context";
import { KILL_SCRATCH_BYTES } from "../../mcu/memmap";

export const EXCEPTION_FRAME_BYTES: usize = 32;
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

/** Prepare the unwind buffer; returns its header address. */
// @ts-ignore: decorator
@inline export function beginSave(): usize {
  const header = unwindScratch();
  store<u32>(header, <u32>(header + SAVE_HEADER_BYTES));
  store<u32>(header, <u32>(header + KILL_SCRATCH_BYTES), 4);
  return header;
}

/**
 * After the unwind: push the exception frame, place the saved data below
 * it, record where. False if it does not fit in the context's stack.
 * `architectural`: an exception preempts the context (the peaks count it);
 * false when only the host stops the machine (a run slice ends, the probe
 * must drain): that suspension is not part of the model, and the peaks, which
 * reach the trace, must not depend on how the host slices a run.
 */
// @ts-ignore: decorator
@inline export function finishSave(ctx: Context, sp: usize, architectural: bool): bool {
  const buffer = unwindScratch();
  const bytes = <usize>load<u32>(buffer) - (buffer + SAVE_HEADER_BYTES);
  const frame = (sp - EXCEPTION_FRAME_BYTES) & ~7;
  const data = (frame - bytes) & ~7;
  const header = data - SAVE_HEADER_BYTES;
  if (header < ctx.stackBase || header > sp) return false;
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
  ctx.resumeSp = sp;
  ctx.sp = header;
  if (architectural) {
    const saved = <u32>(sp - header);
    if (saved > ctx.savePeak) ctx.savePeak = saved;
    const used = <u32>(ctx.stackTop - header);
    if (used > ctx.peakUsed) ctx.peakUsed = used;
  }
  return true;
}

/**
 * After a rewind: clear the saved state the context no longer needs
 * ([sp, resumeSp) of its stack) and where it was suspended. The collector scans stacks conservatively
 * and a frame's memory is not written by the code that owns it, so stale
 * saved data left there would decide what a later collection keeps and how
 * long it takes, and a save made only because the host ended a run slice
 * would make modelled time depend on the host's slicing.
 */
// @ts-ignore: decorator
@inline export function clearSaved(ctx: Context): void {
  // Word by word: the core has no bulk-memory library.
  for (let at = ctx.sp & ~3; at < ctx.resumeSp; at += 4) store<u32>(at, 0);
  // Where it was suspended means nothing while it runs, and must leave no trace in its control block.
  ctx.sp = ctx.stackTop;
  ctx.resumeSp = ctx.stackTop;
}

/** Bytes of stack memory a context occupies now (`sp` is the running stack pointer when it runs). */
// @ts-ignore: decorator
@inline export function occupied(ctx: Context, runningSp: usize, running: bool): u32 {
  return <u32>(ctx.stackTop - (running ? runningSp : ctx.sp));
}

/**
 * Bytes of a static stack kept below the frames for the saved state, so
 * that a violation is (almost always) a call: Asyncify saves a frame's live
 * locals and a call index, less than the frame itself, and measured at
 * about 40-80 % of the frames in use; a save that still does not fit is
 * reported as a stack overflow at the preemption.
 */
export function saveReserve(stackBytes: u32): usize {
  const quarter = <usize>(stackBytes >> 2);
  return quarter < 96 ? 96 : quarter;
}
