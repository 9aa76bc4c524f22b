/**
 * The probe's record of a task as the kernel reclaims it: EV_TASK_END (its
 * own priority, context switches, stack bytes) and EV_TASK_CPU (the cycles
 * it ran, the most stacklets it held at once), read from its control block here, in the probe, so that like all
 * tracing it costs the modelled CPU nothing (a call to the probe is free;
 * the same reads in kernel code would be charged). The host shows an ended
 * task from these: by the time it drains the ring, the slot may hold another.
 */
import { Task } from "../kernel/task";
import * as trace from "./trace";

export function recordTaskEnd(task: usize): void {
  const t = changetype<Task>(task);
  trace.emit(trace.EV_TASK_END, t.id, <u32>t.basePriority, t.switches, t.stackBytes);
  trace.emit(trace.EV_TASK_CPU, t.id, <u32>t.cyclesRun, <u32>(t.cyclesRun >>> 32), t.stackletsPeak);
}
