/** Which context the kernel is being called from. */
import * as core from "../mcu/core";
import { Context, HANDLER_ID_BASE } from "../mcu/context";
import * as trace from "../probe/trace";

// @ts-ignore: decorator
@inline export function inIsr(): bool {
  const ctx = core.current;
  return ctx != 0 && changetype<Context>(ctx).id >= HANDLER_ID_BASE;
}

/** The trace id of the running context (a task id, or 0xF000 + exception number). */
export function currentId(): u32 {
  const ctx = core.current;
  return ctx == 0 ? 0xFFFF : changetype<Context>(ctx).id;
}

/** Refuse a call: trace it and return the code. */
export function refuse(code: i32, detail: u32 = 0): i32 {
  trace.emitHere(trace.EV_ERROR, <u32>code, detail);
  return code;
}
