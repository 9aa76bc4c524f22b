/**
 * The probe's records of the scheduler's hot paths (a switch, a task made
 * ready, a waiter woken): the kernel hands over pointers and the probe reads
 * the fields it records (ids, priority, state, stack bytes) from the control
 * blocks itself, so that, like all tracing, a record costs the modelled CPU
 * nothing (a call to the probe is free; the same reads in kernel code would
 * be charged: 20-odd cycles a switch for the switch-out's stack figure
 * alone). Same records, same fields as when the kernel filled them in.
 * (probe/taskend.ts does the same for a task's end.)
 */
import { Task } from "../kernel/task";
import { stackNow } from "../kernel/stack/stats";
import { WaitQueue } from "../kernel/sync/waitqueue";
import { Semaphore } from "../kernel/sync/semaphore";
import * as trace from "./trace";

/** EV_TASK_SWITCH_OUT of `prev` (none when 0: the first switch) and EV_TASK_SWITCH_IN of `next`. */
export function recordSwitch(prev: usize, next: usize): void {
  if (prev != 0) {
    const p = changetype<Task>(prev);
    trace.emitInline(trace.EV_TASK_SWITCH_OUT, p.id, p.taskState, stackNow(p));
  }
  const n = changetype<Task>(next);
  trace.emitInline(trace.EV_TASK_SWITCH_IN, n.id, <u32>n.priority, 0);
}

/** EV_TASK_READY of `task`, at its (queue's) priority. */
export function recordReady(task: usize): void {
  const t = changetype<Task>(task);
  trace.emitInline(trace.EV_TASK_READY, t.id, <u32>t.priority);
}

/** EV_WAKE: the running context woke `task` from wait queue `queue`. */
export function recordWake(queue: usize, task: usize): void {
  // Raw reads: hardware keeps no managed value (the queue is a managed object).
  const object = load<u32>(queue + offsetof<WaitQueue>("ownerId"));
  const kind = <u32>load<u8>(queue + offsetof<WaitQueue>("kind"));
  trace.emitHere(trace.EV_WAKE, object, changetype<Task>(task).id, kind);
}

/** EV_WAIT: `task` blocks in wait queue `queue`, for at most `timeoutTicks` (0: no limit). */
export function recordWait(queue: usize, task: usize, timeoutTicks: u32): void {
  const object = load<u32>(queue + offsetof<WaitQueue>("ownerId"));
  const kind = <u32>load<u8>(queue + offsetof<WaitQueue>("kind"));
  trace.emit(trace.EV_WAIT, changetype<Task>(task).id, object, kind, timeoutTicks);
}

/** EV_SEM_GIVE of the semaphore at `sem`: its count after the give, 1 if the give was refused (saturated). */
export function recordSemGive(sem: usize): void {
  const count = load<u32>(sem + offsetof<Semaphore>("value"));
  const saturated = <u32>load<u8>(sem + offsetof<Semaphore>("saturated"));
  trace.emitHere(trace.EV_SEM_GIVE, <u32>sem, count, saturated);
}
