/**
 * Stack statistics: the frame bytes a context holds now and at most. For
 * the running context "now" is its frames down to the stack pointer, in all
 * its stacklets; for a suspended one, its frames plus its saved state
 * (layout.ts). Stacklet metadata is not counted (DESIGN §5).
 */
import { Context, STATE_SUSPENDED, STATE_RUNNING } from "./context";

// @ts-ignore: decorator
@inline export function stackNow(ctx: Context): u32 {
  if (ctx.state == STATE_SUSPENDED) return ctx.chainFrames + <u32>(ctx.stackTop - ctx.resumeSp) + ctx.savedBytes;
  if (ctx.state == STATE_RUNNING) return ctx.chainFrames + <u32>(ctx.stackTop - __stack_pointer);
  return 0;
}

// @ts-ignore: decorator
@inline export function stackPeak(ctx: Context): u32 {
  return ctx.framePeak > ctx.peakUsed ? ctx.framePeak : ctx.peakUsed;
}
