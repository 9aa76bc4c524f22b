/**
 * The firmware's ABI (every export is hoprt_*) and the dispatch loop.
 *
 * The dispatch loop is the only code between contexts. It takes pending
 * exceptions (Cortex-M4 entry 12 cycles, tail-chain 6, exit 10), calls a
 * handler as a fresh call on the main stack, resumes a suspended context by
 * rewinding it, and in thread mode runs the kernel's current task. Every
 * context returns here either finished, suspended (Asyncify unwound it at a
 * check point) or dead (killed by a fault).
 */
import * as clock from "./mcu/clock";
import * as nvic from "./mcu/nvic";
import * as core from "./mcu/core";
import * as vectors from "./mcu/vectors";
import * as systick from "./mcu/systick";
import * as dwt from "./mcu/dwt";
import * as scb from "./mcu/scb";
import * as trace from "./probe/trace";
import * as probeConsole from "./probe/console";
import { Context, STATE_FRESH, STATE_SUSPENDED, STATE_RUNNING, STATE_DEAD, HANDLER_ID_BASE, STACK_SEGMENTED } from "./mcu/context";
import { asyncifyStopUnwind, asyncifyStartRewind } from "./mcu/asyncify";
import { finishSave, settleParked, parked, releaseStack, restoreStaticLimit, SAVE_OK, SAVE_NO_MEMORY } from "./kernel/stack/layout";
import { stackNow, stackPeak } from "./kernel/stack/stats";
import { TRACE_RING, CONSOLE_RING, SRAM_END } from "./mcu/memmap";
import { Task, TASK_TABLE, firstRegions } from "./kernel/task";
import * as stacklet from "./kernel/stack/stacklet";
import * as pool from "./kernel/stack/pool";
import { MAX_TASKS, tickSource, TickSource } from "./kernel/config";
import { heapUsed, heapPeak, heapCapacity, blockBytes } from "./kernel/memory/heap";
import { collections, maxPauseCycles } from "./kernel/memory/runtime";

const ABI_VERSION: u32 = 1;

// Exception costs come from the one weight table (js/compiler/weights.ts);
// the firmware build defines them with --use.
// @ts-ignore: defined by the build
const ENTRY_CYCLES: i64 = <i64>HOPRT_EXCEPTION_ENTRY;
// @ts-ignore: defined by the build
const EXIT_CYCLES: i64 = <i64>HOPRT_EXCEPTION_EXIT;
// @ts-ignore: defined by the build
const TAIL_CHAIN_CYCLES: i64 = <i64>HOPRT_EXCEPTION_TAIL_CHAIN;

const MAX_NESTING: i32 = 32;
/** Main-stack bytes below the deepest handler's frames kept for its saved state (checked by the guard). */
const MAIN_STACK_RESERVE: usize = 512;
const CONTEXT_BYTES: usize = (offsetof<Context>() + 7) & ~7;
const handlerContexts: usize = memory.data(<i32>CONTEXT_BYTES * MAX_NESTING);
let depth: i32 = 0;
/** An exception return happened and the interrupted context has not resumed yet. */
let returning: bool = false;

// Hardware comes out of reset before any static initialiser of the kernel runs.
nvic.reset();
trace.reset();
probeConsole.reset();
systick.reset();
dwt.reset();
scb.reset();

function handlerAt(level: i32): Context {
  return changetype<Context>(handlerContexts + <usize>level * CONTEXT_BYTES);
}

// @ts-ignore: decorator
@inline function takeException(exc: i32): void {
  const cost = returning ? TAIL_CHAIN_CYCLES : ENTRY_CYCLES;
  returning = false;
  clock.advance(cost);
  core.exceptionsTaken++;
  nvic.activate(exc);
  if (depth >= MAX_NESTING) { core.stopRequest = core.STOP_LOCKUP; return; }
  const ctx = handlerAt(depth);
  // Handlers share the main stack: each starts right below what the one it preempted occupies.
  const below = depth == 0 ? __heap_base : handlerAt(depth - 1).sp;
  ctx.entry = vectors.getVector(exc);
  ctx.arg = <u32>exc;
  ctx.id = HANDLER_ID_BASE + <u32>exc;
  ctx.sp = below & ~15;
  ctx.resumeSp = ctx.sp;
  ctx.stackTop = ctx.sp;
  ctx.stackBase = __data_end;
  ctx.stackLimit = __data_end + MAIN_STACK_RESERVE;
  // A handler keeps no frame statistics (nothing reads them): its guard is its floor, so a prologue
  // calls stackGuardHit only for a frame that would reach the saved-state reserve, not at the first
  // frame of every activation (one guard hit per context switch, in the PendSV handler).
  ctx.watermark = ctx.stackLimit;
  ctx.savePeak = 0;
  ctx.peakUsed = 0;
  ctx.framePeak = 0;
  ctx.savedBytes = 0;
  ctx.cleanupDepth = 0;
  ctx.deferredOverflow = 0;
  ctx.state = STATE_FRESH;
  depth++;
  trace.emitInline(trace.EV_ISR_ENTER, ctx.id, <u32>exc, <u32>cost);
  if (ctx.entry == 0) {
    // No handler: the default handler returns at once.
    exceptionReturn(ctx);
    return;
  }
  runContext(changetype<usize>(ctx), true);
}

// @ts-ignore: decorator
@inline function exceptionReturn(ctx: Context): void {
  const exc = <i32>ctx.arg;
  nvic.deactivate(exc);
  depth--;
  returning = true;
  trace.emitInline(trace.EV_ISR_EXIT, ctx.id, <u32>exc);
}

// @ts-ignore: decorator
@inline function runContext(ptr: usize, isHandler: bool): void {
  const ctx = changetype<Context>(ptr);
  core.enter(ptr);
  if (ctx.state == STATE_SUSPENDED) {
    core.resuming = true;
    asyncifyStartRewind(ctx.sp);
  }
  ctx.state = STATE_RUNNING;
  if (isHandler) call_indirect<void>(ctx.entry);
  else call_indirect<void>(ctx.entry, ctx.arg);
  core.current = 0;
  if (core.unwinding) {
    asyncifyStopUnwind();
    core.unwinding = false;
    if (core.killing) {
      core.killing = false;
      contextDied(ctx, isHandler);
      return;
    }
    // Suspended for an exception, or only because the host stops the run here.
    const saved = finishSave(ctx, __stack_pointer, nvic.preemptingNow() != 0);
    if (saved != SAVE_OK) {
      saveFailed(ctx, saved, isHandler);
      return;
    }
    ctx.state = STATE_SUSPENDED;
    return;
  }
  if (isHandler) exceptionReturn(ctx);
  else contextDied(ctx, false); // a task's bottom function never returns
}

/** Its saved state has nowhere to go (no room in a static stack, no heap block): it panics at the preemption. */
function saveFailed(ctx: Context, saved: u32, isHandler: bool): void {
  const reason = saved == SAVE_NO_MEMORY ? core.FAULT_OUT_OF_MEMORY : core.FAULT_STACK_OVERFLOW;
  if (core.holdsKernelLock(changetype<usize>(ctx))) {
    // It cannot be suspended, so the panic cannot wait for the release: a kernel bug.
    core.haltKernelBug(changetype<usize>(ctx), reason, ctx.chainFrames + <u32>(ctx.stackTop - ctx.resumeSp));
    ctx.state = STATE_DEAD;
    return;
  }
  core.faultReason = reason;
  core.faultContext = ctx.id;
  trace.emit(trace.EV_PANIC, ctx.id, reason, ctx.chainFrames + <u32>(ctx.stackTop - ctx.resumeSp));
  contextDied(ctx, isHandler);
}

function contextDied(ctx: Context, isHandler: bool): void {
  ctx.state = STATE_DEAD;
  // Halted on a kernel bug: nothing more runs, and the state stays as it was for the post-mortem.
  if (core.halted != core.STOP_NONE) return;
  // The kernel unwinds a dead context on its own stack: restarted fresh at its
  // unwinder (kernel/unwind.ts), a handler with its exception still active.
  let unwinder = isHandler ? core.unwinderHandler : core.unwinderTask;
  if (core.restartEntry != 0) { unwinder = core.restartEntry; core.restartEntry = 0; }
  if (unwinder != 0 && !(isHandler && <i32>ctx.arg == nvic.EXC_HARDFAULT)) {
    ctx.entry = unwinder;
    releaseStack(ctx); // its frames are gone: its stacklets and saved state with them
    if (ctx.stackMode != STACK_SEGMENTED && ctx.id < HANDLER_ID_BASE) restoreStaticLimit(ctx);
    ctx.state = STATE_FRESH;
    return;
  }
  if (isHandler) {
    const exc = <i32>ctx.arg;
    exceptionReturn(ctx);
    if (exc == nvic.EXC_HARDFAULT) { core.stopRequest = core.STOP_LOCKUP; return; }
  }
  core.deadContext = changetype<usize>(ctx);
  nvic.setPending(nvic.EXC_HARDFAULT);
}

/**
 * The dispatch loop. Its body is a function of its own: an engine that
 * compiles a hot function again, optimised (V8: Liftoff, then TurboFan),
 * runs the new code from the function's next call on, never in a call
 * already running, so a loop running a whole slice inside the function that
 * does the work would run its first, unoptimised code for as long as the
 * slice lasts: a long run's whole length, when nothing stops it early.
 */
function dispatch(): u32 {
  while (true) {
    const reason = dispatchStep();
    if (reason != core.STOP_NONE) return reason;
  }
  return core.STOP_NONE;
}

/** One turn of the dispatch loop: STOP_NONE to go on, else why the run stops. */
function dispatchStep(): u32 {
  if (core.halted != core.STOP_NONE) return core.halted;
  if (core.stopRequest != core.STOP_NONE) {
    const reason = core.stopRequest;
    core.stopRequest = core.STOP_NONE;
    return reason;
  }
  if (clock.left() <= 0) core.service(); // its own first test, here without a call
  const exc = nvic.preemptingNow();
  if (exc != 0) {
    // A context parked in the scratch area by the last slice is suspended for real before anything else runs.
    if (parked != 0) {
      const ctx = changetype<Context>(parked);
      ctx.state = STATE_SUSPENDED;
      const saved = settleParked();
      if (saved != SAVE_OK) saveFailed(ctx, saved, ctx.id >= HANDLER_ID_BASE);
    }
    takeException(exc);
    return core.STOP_NONE;
  }
  if (returning) {
    returning = false;
    clock.advance(EXIT_CYCLES);
    return core.STOP_NONE;
  }
  if (clock.now() >= clock.getSliceEnd()) return core.STOP_CYCLES;
  if (core.mustSuspend()) return core.STOP_PROBE_FULL;
  if (depth > 0) {
    runContext(changetype<usize>(handlerAt(depth - 1)), true);
    return core.STOP_NONE;
  }
  const thread = core.thread;
  if (thread == 0 || changetype<Context>(thread).state == STATE_DEAD) return core.STOP_LOCKUP;
  runContext(thread, false);
  return core.STOP_NONE;
}

// ---- the ABI -------------------------------------------------------------------

export function hoprt_abi_version(): u32 { return ABI_VERSION; }

/** Run for `cycles` (> 0); returns why it stopped (core.STOP_*). */
export function hoprt_run(cycles: i64): u32 {
  if (cycles <= 0) return core.STOP_NONE;
  clock.setSliceEnd(clock.now() + cycles);
  core.dispatching = true;
  const reason = dispatch();
  core.dispatching = false;
  clock.setSliceEnd(i64.MAX_VALUE);
  trace.emit(trace.EV_RUN_STOP, 0, reason);
  return reason;
}

export function hoprt_cycles(): i64 { return clock.now(); }
export function hoprt_sysclk_hz(): u32 { return clock.sysclkHz; }

function irqException(irq: i32): i32 {
  return irq >= 0 && irq < nvic.IRQ_LINES ? nvic.IRQ_BASE + irq : -1;
}

/** Raise IRQ line `irq` (0..81) now; -1 for a bad line. */
export function hoprt_irq_raise(irq: i32): i32 {
  const exc = irqException(irq);
  if (exc < 0) return -1;
  core.raise(exc, 0);
  return 0;
}

export function hoprt_irq_clear(irq: i32): i32 {
  const exc = irqException(irq);
  if (exc < 0) return -1;
  nvic.clearPending(exc);
  trace.emit(trace.EV_IRQ_CLEAR, 0, <u32>exc, 0);
  return 0;
}

/** Raise IRQ `irq` when the clock reaches `cycle`: -1 bad line, -2 past cycle, -3 queue full. */
export function hoprt_irq_schedule(cycle: i64, irq: i32): i32 {
  const exc = irqException(irq);
  if (exc < 0) return -1;
  if (cycle < clock.now()) return -2;
  return clock.scheduleHost(cycle, core.ALARM_IRQ, <u16>exc) ? 0 : -3;
}

/**
 * The host saw a WebAssembly trap inside hoprt_run: panic the context that
 * ran. Or finish its panic: one raised in code the build leaves out of
 * Asyncify (the allocator, the bus: js/compiler/unwindable.ts) traps once
 * its discard has begun, already traced with its own reason; what is left is
 * what the dispatch loop does after a discard (runContext).
 */
export function hoprt_fault(): u32 {
  const ctx = core.current;
  const discarding = core.killing;
  core.resuming = false;
  core.unwinding = false;
  core.killing = false;
  core.current = 0;
  core.dispatching = false;
  if (ctx == 0) return core.STOP_FATAL;
  const c = changetype<Context>(ctx);
  if (discarding) {
    contextDied(c, c.id >= HANDLER_ID_BASE);
    return core.halted;
  }
  if (core.holdsKernelLock(ctx)) {
    // A trap in kernel code with the lock held: a kernel bug (the kernel's state may be half-updated).
    core.haltKernelBug(ctx, core.FAULT_TRAP, 0);
    c.state = STATE_DEAD;
    return core.STOP_KERNEL_BUG;
  }
  trace.emit(trace.EV_PANIC, c.id, core.FAULT_TRAP, 0);
  contextDied(c, c.id >= HANDLER_ID_BASE);
  return core.STOP_NONE;
}

/** Write only trace records of the kinds whose bit is set (lo: kinds 0-31, hi: 32-63); every kind until called. */
export function hoprt_trace_select(lo: u32, hi: u32): void { trace.select((<u64>hi << 32) | <u64>lo); }

export function hoprt_trace_base(): usize { return TRACE_RING; }
export function hoprt_console_base(): usize { return CONSOLE_RING; }
export function hoprt_sram_bytes(): usize { return SRAM_END; }

/** The host consumed trace records / console bytes up to these counters. */
export function hoprt_probe_ack(traceRecords: u32, consoleBytes: u32): void {
  store<u32>(TRACE_RING, traceRecords, 4);
  store<u32>(CONSOLE_RING, consoleBytes, 4);
}

export function hoprt_entry_cycles(): u32 { return <u32>ENTRY_CYCLES; }
export function hoprt_max_tasks(): i32 { return MAX_TASKS; }

// Task statistics, read straight from the kernel's task table (no kernel code runs).
export function hoprt_task_info(id: i32, field: i32): i64 {
  if (id < 0 || id >= MAX_TASKS) return -1;
  const ptr = load<usize>(TASK_TABLE + <usize>id * 4);
  if (ptr == 0) return field == 0 ? 0 : -1;
  const t = changetype<Task>(ptr);
  switch (field) {
    case 0: return 1;
    case 1: return <i64>t.priority;
    case 2: return <i64>t.taskState;
    case 3: return <i64>t.switches;
    case 4: return core.thread == ptr ? t.cyclesRun + (clock.now() - t.lastSwitchIn) : t.cyclesRun;
    case 5: return <i64>stackNow(t);
    case 6: return <i64>t.stackBytes;
    case 7: return <i64>t.savePeak;
    case 8: return <i64>t.regionBytes;
    case 9: return core.thread == ptr ? 1 : 0;
    case 10: return <i64>stackPeak(t);
    case 11: return <i64>t.stackletsHeld;
    case 12: return <i64>t.stackletsPeak;
  }
  return -1;
}

/**
 * 0 heap used, 1 heap peak, 2 heap capacity, 3 SRAM bytes, 4 collections, 5 longest collection (cycles),
 * 6 live stacklets (tasks' first regions included), 7 bytes of allocated stacklets now, 8 at most, 9 stacklet allocations,
 * 10 bytes of stack memory allocated on demand now (stacklets, save blocks, hot caches), 11 at most,
 * 12 calls of the stack guard's slow path since boot (a simulator figure: no modelled cost).
 */
export function hoprt_memory_info(field: i32): i64 {
  switch (field) {
    case 0: return <i64>heapUsed;
    case 1: return <i64>heapPeak;
    case 2: return <i64>heapCapacity();
    case 3: return <i64>SRAM_END;
    case 4: return <i64>collections;
    case 6: return <i64>(stacklet.live + firstRegions);
    case 7: return <i64>stacklet.liveBytes;
    case 8: return <i64>stacklet.peakBytes;
    case 9: return <i64>stacklet.allocations;
    case 10: return <i64>stacklet.dynamicBytes;
    case 11: return <i64>stacklet.dynamicPeakBytes;
    case 5: return max<i64>(maxPauseCycles, core.longestStackStretch);
    case 12: return <i64>core.guardHits;
    case 13: return <i64>pool.pooled;
    case 14: {
      let bytes: i64 = 0;
      for (let i: u32 = 0; i < pool.pooled; i++) bytes += <i64>blockBytes(pool.blockAt(i));
      return bytes;
    }
  }
  return -1;
}

/**
 * An external tick from the host: taken as the SysTick exception when the
 * kernel's tick source is External; ignored, with a trace event, under SysTick.
 * Returns 1 if taken, 0 if ignored.
 */
export function hoprt_tick(): i32 {
  if (tickSource != TickSource.External) {
    trace.emit(trace.EV_TICK_IGNORED, 0, 0);
    return 0;
  }
  core.raise(nvic.EXC_SYSTICK, 0);
  return 1;
}

// ---- the chip's peripherals: pins and UART wires from the host ---------------------
import * as peripherals from "./mcu/peripherals";
import * as gpio from "./mcu/gpio";
import * as usart from "./mcu/usart";
import * as rccModel from "./mcu/rcc";

// RCC, GPIO, EXTI/SYSCFG, USART and TIM come out of reset with the rest of
// the hardware, then the startup code's clock set-up (168 MHz) runs.
peripherals.reset();

/** Drive pin `pin` (port * 16 + n: PA0 = 0, PD12 = 60) now: level 0, 1, or 2 to release it. -1 bad pin, -4 bad level. */
export function hoprt_gpio_set(pin: i32, level: i32): i32 {
  if (!gpio.validPin(pin)) return -1;
  if (level < 0 || level > 2) return -4;
  gpio.drive(pin, level, gpio.CAUSE_HOST, clock.now());
  return 0;
}

/** 0: the pin's level, 1: its mode (MODER), 2: 1 if the host drives it. -1 for a bad pin or field. */
export function hoprt_gpio_info(pin: i32, field: i32): i32 {
  if (!gpio.validPin(pin)) return -1;
  if (field == 0) return gpio.level(pin);
  if (field == 1) return gpio.mode(pin);
  if (field == 2) return gpio.hostDriven(pin) ? 1 : 0;
  return -1;
}

/** Drive `pin` to `level` when the clock reaches `cycle`: -1 bad pin, -2 past cycle, -3 queue full, -4 bad level. */
export function hoprt_gpio_schedule(cycle: i64, pin: i32, level: i32): i32 {
  if (!gpio.validPin(pin)) return -1;
  if (level < 0 || level > 2) return -4;
  if (cycle < clock.now()) return -2;
  return peripherals.scheduleGpio(cycle, pin, level) ? 0 : -3;
}

/** Put `byte` on USART `number`'s RX wire, to start no earlier than `cycle`: -1 bad USART, -2 past, -3 wire full, -4 bad byte. */
export function hoprt_uart_push(number: i32, cycle: i64, byte: i32): i32 {
  const u = usart.indexOf(number);
  if (u < 0) return -1;
  if (byte < 0 || byte > 255) return -4;
  if (cycle < clock.now()) return -2;
  return usart.pushRx(u, cycle, <u32>byte) ? 0 : -3;
}

/** Bytes on USART `number`'s RX wire that have not started yet (-1 bad USART). */
export function hoprt_uart_queued(number: i32): i32 {
  const u = usart.indexOf(number);
  return u < 0 ? -1 : <i32>usart.rxQueued(u);
}

/** One RX frame of USART `number` in cycles at its configuration now; 0 while it cannot receive, -1 bad USART. */
export function hoprt_uart_frame_cycles(number: i32): i64 {
  const u = usart.indexOf(number);
  return u < 0 ? -1 : usart.receiveFrameCycles(u);
}

/** 0: HCLK (the core clock), 1: PCLK1, 2: PCLK2, 3: SYSCLK, in Hz; -1 for a bad field. */
export function hoprt_clock_info(field: i32): i64 {
  switch (field) {
    case 0: return <i64>rccModel.hclkHz;
    case 1: return <i64>rccModel.pclkHz(rccModel.BUS_APB1);
    case 2: return <i64>rccModel.pclkHz(rccModel.BUS_APB2);
    case 3: return <i64>rccModel.sysclkHz;
  }
  return -1;
}
