/**
 * The collector's root ranges of a context, decided here with the layout
 * (inlined into the collector, which must not be suspended).
 *
 *  - its control block, [ctx, stackBase): values in flight (a message handed
 *    to a waiting receiver, a blocked sender's value), the wait queue and
 *    held mutexes the kernel links to it by address;
 *  - the running context: its frames, [sp, stackTop);
 *  - a suspended context: everything it occupies, frames and saved state
 *    (the Asyncify data holds its locals), [sp, stackTop).
 */
import { Context, STATE_SUSPENDED } from "./context";

// @ts-ignore: decorator
@inline export function scanContext(ptr: usize, running: bool, scan: (start: usize, end: usize) => void): void {
  const ctx = changetype<Context>(ptr);
  if (ctx.stackBase > ptr) scan(ptr, ctx.stackBase);
  if (running) scan(__stack_pointer, ctx.stackTop);
  else if (ctx.state == STATE_SUSPENDED) scan(ctx.sp, ctx.stackTop);
}
