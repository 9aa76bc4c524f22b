/**
 * The application API: what `import { task, time, debug, irq } from "hoprt"` gives.
 */
import * as kernelTask from "./kernel/task";
import * as breathing from "./kernel/breathing";
import * as sched from "./kernel/sched";
import * as kernelTime from "./kernel/time";
import * as kernelIrq from "./kernel/irq";
import * as config from "./kernel/config";
import * as errors from "./kernel/errors";
import { lock, unlock } from "./kernel/lock";
import { inIsr, currentId, refuse, OUTSIDE_MACHINE, outsideMachine } from "./kernel/context";
import * as clock from "./mcu/clock";
import * as bus from "./mcu/bus";
import * as probeConsole from "./probe/console";
import * as trace from "./probe/trace";
import { stackNow, stackPeak } from "./kernel/stack/stats";
import * as kernelUnwind from "./kernel/unwind";
import { STACK_STATIC, STACK_SEGMENTED } from "./kernel/stack/context";
import * as stacklet from "./kernel/stack/stacklet";
import * as stackletPool from "./kernel/stack/pool";

export { errors };
export * from "./hal/index";
export { Semaphore } from "./kernel/sync/semaphore";
export { Mutex, POISONED } from "./kernel/sync/mutex";
export { Channel, ISR_FAILED, ISR_DONE, ISR_DONE_SWITCH } from "./kernel/sync/channel";
export { Mailbox } from "./kernel/sync/mailbox";
export { CondVar } from "./kernel/sync/condvar";
export { WakeOrder } from "./kernel/sync/waitqueue";
export { Config, Policy, TickSource } from "./kernel/config";

/** Builds and spawns a task: task.build().entry(fn).arg(1).priority(8).spawn(). */
export class TaskBuilder {
  private entryIndex: u32 = 0;
  private argument: u32 = 0;
  private prio: i32 = config.DEFAULT_PRIORITY;
  private mode: u32 = config.DEFAULT_STACK_MODE;
  private stack: u32 = config.DEFAULT_FIRST_STACK_BYTES;
  private limit: u32 = 0;
  private taskName: string | null = null;
  private slice: i32 = -1;

  entry(fn: (arg: u32) => void): TaskBuilder { this.entryIndex = fn.index; return this; }
  arg(value: u32): TaskBuilder { this.argument = value; return this; }
  name(value: string): TaskBuilder { this.taskName = value; return this; }
  priority(value: i32): TaskBuilder { this.prio = value; return this; }
  /** Ticks per timeslice (0: never rotated by time); default: the scheduler's default timeslice. */
  timeslice(ticks: u16): TaskBuilder { this.slice = ticks; return this; }
  /** Most bytes of frames the task may hold at once (0: no limit); a call past it panics the task. */
  stackLimit(bytes: u32): TaskBuilder { this.limit = bytes; return this; }
  /** A segmented stack whose first stacklet has `bytes` (default 0: the first call with a frame allocates one). */
  initialStack(bytes: u32): TaskBuilder { this.mode = STACK_SEGMENTED; this.stack = bytes; return this; }
  /** One contiguous stack of `bytes`, frames and saved state; any extension is a stack-limit violation. */
  staticStack(bytes: u32): TaskBuilder { this.mode = STACK_STATIC; this.stack = bytes; return this; }
  /** Returns the task id, or a negative error code (errors.ERR_*). */
  spawn(): i32 {
    return kernelTask.spawn(this.entryIndex, true, this.argument, this.prio, this.mode, this.stack, this.limit, this.taskName, this.slice);
  }
  /**
   * As spawn(), and when the task panics a new instance (a new id, the same
   * entry, arg and settings) starts at once while the old one unwinds
   * (DESIGN §5); with no slot or memory free, it restarts in its own slot
   * once unwound.
   */
  spawnRestartable(): i32 {
    return kernelTask.spawn(this.entryIndex, true, this.argument, this.prio, this.mode, this.stack, this.limit, this.taskName, this.slice, 0, true);
  }
}

/**
 * Builds and spawns a breathing task (DESIGN §5): task.buildBreathing<S>()
 * .init(fn).wait(fn).work(fn).arg(0).name("x").priority(6).spawn().
 */
export class BreathingBuilder<S> {
  private initFn: u32 = 0;
  private waitFn: u32 = 0;
  private workFn: u32 = 0;
  private argument: u32 = 0;
  private prio: i32 = config.DEFAULT_PRIORITY;
  private mode: u32 = config.DEFAULT_STACK_MODE;
  private stack: u32 = config.DEFAULT_FIRST_STACK_BYTES;
  private limit: u32 = 0;
  private taskName: string | null = null;
  private slice: i32 = -1;

  /** Runs once (and again on a restart), returns the state. */
  init(fn: (arg: u32) => S): BreathingBuilder<S> { this.initFn = fn.index; return this; }
  /** Waits for the next item (runs on the task's own stack). */
  wait(fn: (s: S) => u32): BreathingBuilder<S> { this.waitFn = fn.index; return this; }
  /** Handles an item, holding one of the breathing slots (task.setBreathingConcurrency). */
  work(fn: (s: S, item: u32) => void): BreathingBuilder<S> { this.workFn = fn.index; return this; }
  arg(value: u32): BreathingBuilder<S> { this.argument = value; return this; }
  name(value: string): BreathingBuilder<S> { this.taskName = value; return this; }
  priority(value: i32): BreathingBuilder<S> { this.prio = value; return this; }
  timeslice(ticks: u16): BreathingBuilder<S> { this.slice = ticks; return this; }
  stackLimit(bytes: u32): BreathingBuilder<S> { this.limit = bytes; return this; }
  initialStack(bytes: u32): BreathingBuilder<S> { this.mode = STACK_SEGMENTED; this.stack = bytes; return this; }
  staticStack(bytes: u32): BreathingBuilder<S> { this.mode = STACK_STATIC; this.stack = bytes; return this; }
  /** Returns the task id, or a negative error code (errors.ERR_*). */
  spawn(): i32 {
    if (this.initFn == 0 || this.waitFn == 0 || this.workFn == 0) return refuse(errors.ERR_NO_ENTRY);
    const spec = new breathing.BreathingSpec(this.initFn, this.waitFn, this.workFn, this.argument);
    return kernelTask.spawn(breathing.breathe.index, true, this.argument, this.prio, this.mode, this.stack, this.limit, this.taskName, this.slice, changetype<usize>(spec));
  }
  /** As spawn(); a panic restarts it (init runs again with the same arg). */
  spawnRestartable(): i32 {
    if (this.initFn == 0 || this.waitFn == 0 || this.workFn == 0) return refuse(errors.ERR_NO_ENTRY);
    const spec = new breathing.BreathingSpec(this.initFn, this.waitFn, this.workFn, this.argument);
    return kernelTask.spawn(breathing.breathe.index, true, this.argument, this.prio, this.mode, this.stack, this.limit, this.taskName, this.slice, changetype<usize>(spec), true);
  }
}

export namespace task {
  export function build(): TaskBuilder { return new TaskBuilder(); }
  export function buildBreathing<S>(): BreathingBuilder<S> { return new BreathingBuilder<S>(); }
  /** How many tasks may be inside work() at once (default 3); takes effect at the next entry. */
  export function setBreathingConcurrency(n: u32): void { breathing.setConcurrency(n); }
  export function breathingConcurrency(): u32 { return breathing.concurrency(); }
  /** Let the other ready tasks of the same priority run first. */
  export function yieldCurrent(): void {
    if (OUTSIDE_MACHINE) outsideMachine("task.yieldCurrent", "");
    if (inIsr()) { refuse(errors.ERR_IN_ISR); return; }
    sched.rotateCurrent();
    sched.requestSwitch();
  }
  /** The running task's id (-1 in a handler). */
  export function current(): i32 { return kernelTask.currentTaskId(); }
  export function exit(): void {
    if (OUTSIDE_MACHINE) outsideMachine("task.exit", "");
    kernelTask.exitCurrent();
  }
  /** Change the running task's priority; 0 or a negative error code. */
  export function setPriority(p: i32): i32 {
    if (inIsr()) return refuse(errors.ERR_IN_ISR);
    if (p < 0 || p >= config.PRIORITY_LEVELS) return refuse(errors.ERR_BAD_PRIORITY, <u32>p);
    lock();
    const t = sched.current;
    t.basePriority = <u8>p;
    // An inherited priority above the new base stays until the mutex is released.
    if (t.heldMutexes == 0 || <u8>p < t.priority) sched.setEffectivePriority(t, <u8>p);
    const yieldNow = sched.higherReady();
    unlock();
    if (yieldNow) sched.requestSwitch();
    return errors.OK;
  }
  export function count(): i32 { return kernelTask.taskCount; }
  /** Restarts of task `id`'s lineage (-1: the running task); -1 for no such task. */
  export function restarts(id: i32 = -1): i32 {
    return kernelUnwind.restartsOf(id < 0 ? (inIsr() ? -1 : <i32>currentId()) : id);
  }
  /** The most tasks that can exist at once (idle and main included). */
  export function maxTasks(): i32 { return config.MAX_TASKS; }
  /** A task's effective priority, or -1 if there is no such task. */
  export function priorityOf(id: i32): i32 {
    const t = kernelTask.taskAt(id);
    return t == null ? -1 : <i32>t.priority;
  }
  /** A task's timeslice in ticks, or -1 if there is no such task. */
  export function timesliceOf(id: i32): i32 {
    const t = kernelTask.taskAt(id);
    return t == null ? -1 : <i32>t.timeslice;
  }
}

/**
 * Stack statistics (DESIGN §5). A task's stack is a chain of stacklets
 * (kernel/stack/stacklet.ts) or one static stack; frames are counted in
 * every stacklet, stacklet metadata is not.
 */
export namespace stack {
  /**
   * Bytes of stack memory task `id` (-1: the running task) holds now: for
   * the running task its callers' frames (this call has no frame of its
   * own), for a suspended one its frames plus its saved state. -1 for no
   * such task or, with id -1, in a handler.
   */
  // @ts-ignore: decorator
  @inline export function used(id: i32 = -1): i32 {
    const t = kernelTask.taskAt(id < 0 ? (inIsr() ? -1 : <i32>currentId()) : id);
    return t == null ? -1 : <i32>stackNow(t);
  }
  /** The most bytes task `id` has held at once (-1: the running task). */
  export function peak(id: i32 = -1): i32 {
    const t = kernelTask.taskAt(id < 0 ? (inIsr() ? -1 : <i32>currentId()) : id);
    return t == null ? -1 : <i32>stackPeak(t);
  }
  /** Stacklets in use, machine-wide: tasks' first regions (static stacks included) and the stacklets contexts hold (not the pooled ones). */
  export function stacklets(): i32 { return <i32>(stacklet.live - stackletPool.pooled + kernelTask.firstRegions); }
  /** Stacklet allocations from the heap since boot (a stacklet taken back from the pool is not allocated again). */
  export function extensions(): i32 { return <i32>stacklet.allocations; }
  /** Stacklets task `id` (-1: the running task) holds now, beyond its first region; -1 for no such task. */
  export function stackletsOf(id: i32 = -1): i32 {
    const t = kernelTask.taskAt(id < 0 ? (inIsr() ? -1 : <i32>currentId()) : id);
    return t == null ? -1 : <i32>t.stackletsHeld;
  }
}

/**
 * Panic: the running context unwinds (DESIGN §5). `panic(message)` never
 * returns; AssemblyScript's abort(), assert and throw take the same path.
 */
export function panic(message: string): void {
  kernelUnwind.panicWith(message);
}

/** Cleanup handlers (DESIGN §5 "Panics and cleanup"). */
export namespace unwind {
  /**
   * Run `fn(arg)` when the calling function returns, or when a panic
   * unwinds through it; one function's handlers run last-registered first.
   * The build never inlines a function that calls defer. Any context.
   */
  export function defer(fn: (arg: u32) => void, arg: u32): void {
    kernelUnwind.push(fn.index, arg);
  }
  /** Cleanup handlers the running context has registered and not yet run. */
  export function pending(): i32 { return kernelUnwind.pendingHandlers(); }
  /** Whether the running context is unwinding after a panic (inside its cleanup handlers). */
  export function unwinding(): bool { return kernelUnwind.unwinding(); }
  /** The priority a panicking task's cleanup handlers run at. */
  export const UNWIND_PRIORITY: u8 = kernelUnwind.UNWIND_PRIORITY;
}

export namespace scheduler {
  /** Takes effect at the next scheduling decision. */
  export function setPolicy(p: config.Policy): void {
    config.setPolicy(p);
    trace.emitHere(trace.EV_POLICY, <u32>p, config.defaultTimeslice);
  }
  export function policy(): config.Policy { return config.policy; }
  /** For tasks spawned from now on. */
  export function setDefaultTimeslice(ticks: u16): void {
    config.setDefaultTimeslice(ticks);
    trace.emitHere(trace.EV_POLICY, <u32>config.policy, ticks);
  }
  export function defaultTimeslice(): u16 { return config.defaultTimeslice; }
  export function priorityLevels(): i32 { return config.PRIORITY_LEVELS; }
  /**
   * Suspend task switching (nests): the running task keeps the CPU, handlers
   * still run. A blocking call while suspended panics the caller. From a
   * task; in a handler ERR_IN_ISR.
   */
  export function suspend(): i32 {
    if (inIsr()) return refuse(errors.ERR_IN_ISR);
    sched.suspendScheduler();
    return errors.OK;
  }
  /** Undo one suspend(); the last one switches at once if a higher-priority task became ready. Unmatched: nothing. */
  export function resume(): void {
    if (inIsr()) return;
    sched.resumeScheduler();
  }
  export function isSuspended(): bool { return sched.suspendDepth != 0; }
}

export namespace version {
  export const VERSION: string = "0.1.0";
  export const NUMBER: u32 = 0x00_01_00; // major.minor.patch, a byte each
  export const PORT: string = "wasm";
  export const PORT_ID: u32 = 1;
  export const ABI: u32 = 1;
}

export namespace time {
  export function sleepMs(ms: u32): void { kernelTime.sleepMs(ms); }
  /** As sleepMs, returning 0 or an error code: ERR_TOO_LONG when `ms` does not fit in 2^32 - 1 ticks, ERR_IN_ISR. */
  export function sleepMsChecked(ms: u32): i32 { return kernelTime.sleepMs(ms); }
  export function sleepTicks(n: u32): void { kernelTime.sleepTicks(n); }
  export function ticks(): u32 { return kernelTime.ticks; }
  export function nowMs(): u64 { return kernelTime.msForTicks(kernelTime.ticks64); }
  export function cycles(): u64 { return <u64>clock.now(); }
  export function tickHz(): u32 { return kernelTime.tickHz; }
  /** Milliseconds of `ticks` at the configured tick rate. */
  export function ticksToMs(ticks: u64): u64 { return kernelTime.msForTicks(ticks); }
  /** Ticks a sleep of `ms` lasts at the configured tick rate (rounded up, at least 1). */
  export function msToTicks(ms: u32): u64 { return kernelTime.ticksForMs(ms); }
  /** An external tick from an ISR; returns whether a switch is needed (ignored, and traced, under SysTick). */
  export function tickFromIsr(): bool { return kernelTime.tickFromIsr(); }
}

export namespace debug {
  /** One line to the host console. */
  export function print(s: string): void {
    const id = currentId();
    const text = changetype<usize>(s);
    const total = <u32>s.length << 1;
    let offset: u32 = 0;
    let part = total > probeConsole.LINE_CHUNK_BYTES ? probeConsole.LINE_CHUNK_BYTES : total;
    probeConsole.reserve(part);
    // One piece per turn, the same count however the host drains. The loop
    // header is a check point: a context the probe asked to stop (reserve)
    // suspends there while the host drains, then writes into the room.
    while (true) {
      if (offset + part == total) {
        probeConsole.writePart(probeConsole.REC_LINE, id, text, offset, part);
        return;
      }
      probeConsole.writePart(probeConsole.REC_LINE_PART, id, text, offset, part);
      offset += part;
      const left = total - offset;
      part = left > probeConsole.LINE_CHUNK_BYTES ? probeConsole.LINE_CHUNK_BYTES : left;
      probeConsole.reserve(part);
    }
  }
  /**
   * Check the kernel's invariants (ready queues, timing wheel, blocked tasks,
   * the kernel lock): 0 when they hold, else the AUDIT_* bits of
   * kernel/sched.ts. From a task; in a handler it returns ERR_IN_ISR.
   */
  export function auditKernel(): i32 {
    if (inIsr()) return refuse(errors.ERR_IN_ISR);
    return <i32>sched.audit();
  }
  /** A user mark in the trace. */
  export function mark(a: u32, b: u32 = 0): void {
    trace.emitHere(trace.EV_USER_MARK, a, b);
  }
}

export namespace irq {
  export function attach(irqn: i32, handler: () => void, priority: u8): i32 {
    return kernelIrq.attach(irqn, handler.index, priority);
  }
  export function enable(irqn: i32): i32 { return kernelIrq.enable(irqn); }
  export function disable(irqn: i32): i32 { return kernelIrq.disable(irqn); }
  export function pend(irqn: i32): i32 { return kernelIrq.pend(irqn); }
}

export namespace mmio {
  export function read32(addr: u32): u32 { return bus.read32(addr); }
  export function write32(addr: u32, value: u32): void { bus.write32(addr, value); }
}
