/**
 * The kernel lock: a critical section around structures that both tasks and
 * the kernel's handlers touch (ready queues, sleep list, task table).
 *
 * This first version masks interrupts with PRIMASK, nesting; soft-locks
 * that leave interrupts enabled replace it, with this kept as the baseline
 * build option.
 */
import * as core from "../mcu/core";

let depth: i32 = 0;

// @ts-ignore: decorator
@inline export function lock(): void {
  if (depth++ == 0) core.disableInterrupts();
}

// @ts-ignore: decorator
@inline export function unlock(): void {
  if (--depth == 0) core.enableInterrupts();
}
