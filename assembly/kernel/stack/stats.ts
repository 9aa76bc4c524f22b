/**
 * Stack statistics: what a context occupies now and at most. For the
 * running context "now" is its frames down to the stack pointer; for a
 * suspended one, its frames plus its saved state (layout.ts).
 */
import { Context, STATE_SUSPENDED, STATE_RUNNING } from "./context";

// @ts-ignore: decorator
@inline export function stackNow(ctx: Context): u32 {
  if (ctx.state == STATE_SUSPENDED) return <u32>(ctx.stackTop - ctx.sp);
  if (ctx.state == STATE_RUNNING) return <u32>(ctx.stackTop - __stack_pointer);
  return 0;
}

// @ts-ignore: decorator
@inline export function stackPeak(ctx: Context): u32 {
  const frames = <u32>(ctx.stackTop - ctx.watermark);
  return frames > ctx.peakUsed ? frames : ctx.peakUsed;
}
