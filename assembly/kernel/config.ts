/**
 * Kernel limits, defaults, and the settings an application may choose in
 * its configure() hook (run before main) or change at run time.
 */
import { STACK_STATIC, STACK_SEGMENTED } from "./stack/context";

// @ts-ignore: defined by the firmware build with --use HOPRT_MAX_TASKS=... (hoprt build --max-tasks)
export const MAX_TASKS: i32 = isDefined(HOPRT_MAX_TASKS) ? <i32>HOPRT_MAX_TASKS : 32;
export const PRIORITY_LEVELS: i32 = 16;
export const IDLE_PRIORITY: u8 = 15;
export const MAIN_PRIORITY: u8 = 0;
export const DEFAULT_PRIORITY: u8 = 8;
/**
 * How tasks get their stacks unless they ask (build option --stacks):
 * segmented (stacklets from the heap, DESIGN §3) or static (one contiguous
 * stack of DEFAULT_STACK_BYTES, frames and saved state).
 */
// @ts-ignore: defined by the firmware build with --use HOPRT_STATIC_STACKS=1 (hoprt build --stacks static)
export const DEFAULT_STACK_MODE: u32 = isDefined(HOPRT_STATIC_STACKS) ? STACK_STATIC : STACK_SEGMENTED;
/** A static stack's bytes (frames and saved state) when a task does not say; a segmented task's first stacklet: none. */
export const DEFAULT_STACK_BYTES: u32 = 2048;
/** The first stack region of a task that does not say: the static stack, or no first stacklet. */
export const DEFAULT_FIRST_STACK_BYTES: u32 = DEFAULT_STACK_MODE == STACK_STATIC ? DEFAULT_STACK_BYTES : 0;
export const MIN_STACK_BYTES: u32 = 256;
export const MAX_STACK_BYTES: u32 = 65536;
export const IDLE_STACK_BYTES: u32 = 512;
/** PendSV and SysTick run at the lowest priority, as in every Cortex-M RTOS. */
export const KERNEL_EXCEPTION_PRIORITY: u8 = 0xF0;
/** Heap kept free for the application's objects when spawning. */
export const HEAP_RESERVE: usize = 1024;

/** Scheduling policies. */
export enum Policy {
  /** Preemptive by priority, FIFO within a level, no time slicing. */
  Priority = 0,
  /**
   * Timeslice rotation within the running task's level; a task that becomes
   * ready at a higher priority waits for the next scheduling point (a block,
   * a yield or the end of the running task's slice) instead of preempting.
   */
  RoundRobin = 1,
  /** Both: preemptive by priority, timeslice rotation within a level. */
  PriorityRR = 2,
}

/** Where the tick comes from. */
export enum TickSource {
  /** SysTick at tickHz. */
  SysTick = 0,
  /** The host (Machine.tick()) or an application ISR (time.tickFromIsr()). */
  External = 1,
}

export let policy: Policy = Policy.PriorityRR;
/** Ticks per slice for tasks spawned without .timeslice(); 0 = cooperative within a level. */
export let defaultTimeslice: u16 = 5;
export let tickSource: TickSource = TickSource.SysTick;

export function setPolicy(p: Policy): void { policy = p; }
export function setDefaultTimeslice(ticks: u16): void { defaultTimeslice = ticks; }
export function setTickSource(source: TickSource): void { tickSource = source; }

/** The tick rate before configure() runs (a build option: hoprt build --tick-hz). */
// @ts-ignore: defined by the firmware build with --use HOPRT_TICK_HZ=...
export const DEFAULT_TICK_HZ: u32 = isDefined(HOPRT_TICK_HZ) ? <u32>HOPRT_TICK_HZ : 1000;
/** The fewest SysTick cycles between two ticks that configure() may ask for (a faster tick is all overhead). */
export const MIN_TICK_CYCLES: u32 = 1000;
/** SysTick's reload register is 24 bits wide. */
export const MAX_TICK_CYCLES: u32 = 1 << 24;

/** What configure(cfg) may set before main runs. */
export class Config {
  tickHz: u32 = DEFAULT_TICK_HZ;
  policy: Policy = Policy.PriorityRR;
  defaultTimeslice: u16 = 5;
  tickSource: TickSource = TickSource.SysTick;
  /** The tick counter's first value (to test behaviour across the 32-bit wrap; the 64-bit count and nowMs() start there too). */
  startTick: u32 = 0;
}
