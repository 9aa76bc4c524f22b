/**
 * The collector's root ranges of a context, decided here with the layout
 * (inlined into the collector, which must not be suspended).
 *
 *  - its control block beyond the Context fields, [ctx + sizeof Context,
 *    ctx + controlBytes): values in flight (a message handed to a waiting
 *    receiver, a blocked sender's value), the wait queue and held mutexes
 *    the kernel links to it by address. The Context fields hold stack
 *    addresses, never a reference, and some of them (sp and resumeSp of a
 *    running context: where it was last resumed) depend on where the host
 *    ended a run slice: scanned, such a stale address could keep an object
 *    in a block the heap reused, and a host stop would change a later
 *    collection's work;
 *  - the running task: its frames, [sp, stackTop) of its current stacklet,
 *    where sp is the one it had when the collector (atomic code, on the
 *    main stack) was entered (mcu/core.ts taskStackPointer);
 *  - a suspended context: everything it occupies there, frames and saved
 *    state: [sp, stackTop), or [resumeSp, stackTop) and its save block.
 *    Of the saved state, Asyncify's data (the locals of its frames, which
 *    the modelled core holds in registers) is a range of its own,
 *    [sp, exception frame), passed to `saved`: its size and words are how
 *    the simulator represents those registers, and differ with what
 *    Asyncify saves (one build to another), so the collector charges it as
 *    the registers the core would have pushed, not word by word;
 *  - either way, its frames in the stacklets below the current one, a
 *    stacklet at a time (lowerRangeStart/End, lowerNext), so that no step of
 *    the collector walks a whole chain. Frames below the running stacklet
 *    do not change until the context returns to them: between steps the
 *    collector watches the stacklet the walk is at (watchChain) and leaves
 *    the rest to the remark only when the context returned from it.
 */
import { Context, STATE_SUSPENDED } from "./context";
export { lowerRangeStart, lowerRangeEnd, lowerNext, watchChain, chainWatchLost } from "./stacklet";
import { exceptionFrameOf, saveBlockTop } from "./layout";
import * as core from "../../mcu/core";

// @ts-ignore: decorator
@inline export function scanContext(
  ptr: usize, running: bool, scan: (start: usize, end: usize) => void, saved: (start: usize, end: usize) => void,
): bool {
  const ctx = changetype<Context>(ptr);
  if (ctx.controlBytes != 0) scan(ptr + offsetof<Context>(), ptr + ctx.controlBytes);
  if (running) scan(core.taskStackPointer, ctx.stackTop);
  else if (ctx.state == STATE_SUSPENDED) {
    const frame = exceptionFrameOf(ctx);
    saved(ctx.sp, frame);
    if (ctx.saveBlock != 0) {
      scan(frame, saveBlockTop(ctx.saveBlock));
      scan(ctx.resumeSp, ctx.stackTop);
    } else scan(frame, ctx.stackTop);
  } else return false;
  return true; // and its stacklets below the current one
}
