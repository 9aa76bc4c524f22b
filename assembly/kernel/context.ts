/** Which context the kernel is being called from. */
import * as core from "../mcu/core";
import { Context, HANDLER_ID_BASE } from "../mcu/context";
import * as trace from "../probe/trace";
import { suspendDepth } from "./sched";

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

// Kernel misuse that panics the caller (core.FAULT_KERNEL's detail; js/host/machine.ts names them).
export const MISUSE_BLOCK_IN_HANDLER: u32 = 1;
export const MISUSE_BLOCK_SUSPENDED: u32 = 2;

/**
 * A blocking call (DESIGN §5 Blocking): in a handler, or while the
 * scheduler is suspended, the calling context panics, whether or not it
 * would have had to wait. True when it did: the caller returns at once
 * (it is unwinding).
 */
// @ts-ignore: decorator
@inline export function blockingRefused(): bool {
  return (inIsr() || suspendDepth != 0) && refuseBlocking();
}

function refuseBlocking(): bool {
  core.kill(core.FAULT_KERNEL, inIsr() ? MISUSE_BLOCK_IN_HANDLER : MISUSE_BLOCK_SUSPENDED);
  return true;
}

// @ts-ignore: defined by the hoprt/as-pect preset (js/as-pect/asconfig.json) for an app's unit specs
export const OUTSIDE_MACHINE: bool = isDefined(HOPRT_OUTSIDE_MACHINE);

/**
 * An as-pect spec runs outside the machine: no task runs, no time passes,
 * nothing switches. A call that may block or sleep cannot do there what it
 * says, so it fails the spec naming itself, whether or not it would have had
 * to wait (as in a handler). Every call site reads
 * `if (OUTSIDE_MACHINE) outsideMachine(...)`: a firmware compiles none of it.
 */
export function outsideMachine(call: string, instead: string): void {
  abort(`${call} would block or switch tasks, and a spec runs outside the machine (no task runs, no time passes, nothing switches). ` +
    instead + `Test it in a firmware, with Machine from "hoprt/host" (docs/as-pect.md).`);
  // as-pect's abort() records the message and returns: the trap is what fails the spec.
  unreachable();
}

/** Refuse a call: trace it and return the code. */
export function refuse(code: i32, detail: u32 = 0): i32 {
  trace.emitHere(trace.EV_ERROR, <u32>code, detail);
  return code;
}
