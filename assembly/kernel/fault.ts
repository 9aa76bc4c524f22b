/**
 * Panics. A context dies when it aborts (assertion, throw), overflows its
 * stack, touches an unmapped address or traps; the core unwinds it away and
 * pends HardFault, whose handler here retires a dead task and reschedules.
 * AssemblyScript's abort, trace and seed are routed here by the build.
 */
import * as core from "../mcu/core";
import * as nvic from "../mcu/nvic";
import { Context, HANDLER_ID_BASE } from "../mcu/context";
import * as probeConsole from "../probe/console";
import * as trace from "../probe/trace";
import { Task, retire } from "./task";
import * as sched from "./sched";
import { currentId } from "./context";
import { abandon } from "./lock";

/** The HardFault handler. */
export function onHardFault(): void {
  const dead = core.deadContext;
  core.deadContext = 0;
  if (dead == 0) return;
  // A context that died inside the kernel (a trap) cannot release the lock: take it from it.
  abandon(dead);
  const ctx = changetype<Context>(dead);
  if (ctx.id < HANDLER_ID_BASE) {
    retire(changetype<Task>(dead));
    sched.requestSwitch();
  }
}

/** AssemblyScript's abort(): report, then panic the running context. */
export function onAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  probeConsole.write(probeConsole.REC_PANIC, currentId(), changetype<usize>(message));
  if (fileName != null) probeConsole.write(probeConsole.REC_PANIC_FILE, currentId(), changetype<usize>(fileName));
  core.kill(core.FAULT_ABORT, line);
}

/** AssemblyScript's trace(): a console line (the numbers are not printed). */
export function onTrace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  probeConsole.write(probeConsole.REC_LINE, currentId(), changetype<usize>(message));
}

/** Math.random's seed: fixed, so runs are reproducible. */
export function seed(): f64 {
  return 0x5EED;
}

export function pendHardFault(): void {
  nvic.setPending(nvic.EXC_HARDFAULT);
  trace.emit(trace.EV_IRQ_RAISE, 0, <u32>nvic.EXC_HARDFAULT, 1);
}
