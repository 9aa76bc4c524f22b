/**
 * Tasks: creation, the task table, exit and reclamation.
 *
 * Invariants:
 *  - A task id is its slot in `table`; a slot is reused only after the task
 *    it held was reclaimed.
 *  - A task's memory (control block, save area and stack) is one block,
 *    registered with the collector from spawn until reclamation.
 *  - An exited or panicked task becomes a zombie; the PendSV handler frees
 *    it once it no longer runs, never while its own stack is in use.
 *  - Spawning takes the kernel lock only to make the task ready (a handler
 *    that finds it held pends that, sched.readyNew); a slot is claimed and
 *    freed by single straight-line stores, so contexts spawning at once
 *    never share one.
 */
import { Context, STATE_FRESH, STATE_DEAD } from "../mcu/context";
import * as core from "../mcu/core";
import * as trace from "../probe/trace";
import * as probeConsole from "../probe/console";
import { heapAlloc, heapFree, heapFits } from "./memory/heap";
import { addContext, removeContext } from "./memory/roots";
import { saveReserve } from "./stack/layout";
import { stackPeak } from "./stack/stats";
import * as config from "./config";
import * as errors from "./errors";
import { lock, unlock } from "./lock";
import { inIsr, refuse, currentId } from "./context";
import * as sched from "./sched";
import { releaseAll } from "./sync/mutex";
import { releaseSlot } from "./breathing";

export const TASK_READY: u32 = 1;
export const TASK_BLOCKED: u32 = 2;
export const TASK_ZOMBIE: u32 = 3;

@unmanaged export class Task extends Context {
  taskState: u32;
  priority: u8;
  basePriority: u8;
  entryTakesArg: bool;
  userEntry: u32;
  userArg: u32;
  /** Ready queue / timing wheel links. */
  next: usize;
  prev: usize;
  /** The tick (64-bit count) a sleep or timed wait ends, and the wheel slot the task is filed in. */
  wakeAt: u64;
  sleepSlot: i32;
  /** The region allocated for this task (control block + save area + stack). */
  region: usize;
  regionBytes: u32;
  stackBytes: u32;
  switches: u32;
  cyclesRun: i64;
  lastSwitchIn: i64;
  name: usize;
  /** Ticks per slice (0 = never rotated by time) and what is left of the current slice. */
  timeslice: u16;
  sliceLeft: u16;
  /** The wait queue this task is blocked on (0 if none), and its links there. */
  waitQueue: usize;
  waitNext: usize;
  waitPrev: usize;
  /** Why the wait ended (sync/wait.ts WAIT_*), and a value handed over (a message). */
  waitResult: i32;
  waitValue: u64;
  /** The task also sits in the timing wheel until wakeAt (a blocking call with a timeout). */
  waitTimed: bool;
  /** Mutexes this task holds (a list through Mutex.nextHeld), for priority inheritance. */
  heldMutexes: usize;
  /** A breathing task inside work(): it holds one of the concurrency slots. */
  breathingSlot: bool;
  /** A breathing task's spec (kernel/breathing.ts), kept alive by this control block. */
  breathing: usize;
}

/** The task table: MAX_TASKS pointers (0 = free slot); the ABI reads it. */
export const TASK_TABLE: usize = memory.data(config.MAX_TASKS * 4);
const table = TASK_TABLE;
export let taskCount: i32 = 0;

export function taskAt(id: i32): Task | null {
  if (id < 0 || id >= config.MAX_TASKS) return null;
  return changetype<Task | null>(load<usize>(table + <usize>id * 4));
}

/**
 * Claim a free slot for `region`: the test and the store are straight-line
 * (no check point), so two contexts spawning at once never get the same one.
 */
function claimSlot(region: usize): i32 {
  for (let i = 0; i < config.MAX_TASKS; i++) {
    const cell = table + <usize>i * 4;
    if (load<usize>(cell) == 0) {
      store<usize>(cell, region);
      return i;
    }
  }
  return -1;
}

const TASK_BLOCK_BYTES: usize = (offsetof<Task>() + 15) & ~15;

/** The bottom function of every task: runs its entry, then exits it. */
function taskMain(id: u32): void {
  const t = changetype<Task>(taskAt(<i32>id));
  if (t.entryTakesArg) call_indirect<void>(t.userEntry, t.userArg);
  else call_indirect<void>(t.userEntry);
  exitCurrent();
}

/**
 * Create a task; returns its id or a negative error code. Blocking-free, so
 * callable from handlers too.
 */
export function spawn(entry: u32, takesArg: bool, arg: u32, priority: i32, stackBytes: u32, name: string | null, timeslice: i32 = -1, breathing: usize = 0): i32 {
  if (entry == 0) return refuse(errors.ERR_NO_ENTRY);
  if (priority < 0 || priority >= config.PRIORITY_LEVELS) return refuse(errors.ERR_BAD_PRIORITY, <u32>priority);
  if (stackBytes < config.MIN_STACK_BYTES || stackBytes > config.MAX_STACK_BYTES) return refuse(errors.ERR_BAD_STACK, stackBytes);
  if (timeslice > 0xFFFF) return refuse(errors.ERR_BAD_ARGUMENT, <u32>timeslice);
  stackBytes = (stackBytes + 15) & ~15;
  const regionBytes = TASK_BLOCK_BYTES + <usize>stackBytes;
  // No lock until the task is linked into the ready queue: the heap never
  // runs interrupted (it has no check points) and the slot claim is atomic,
  // so handlers can spawn while a task is inside the kernel.
  if (taskCount >= config.MAX_TASKS) return refuse(errors.ERR_TASK_LIMIT, <u32>config.MAX_TASKS);
  // Garbage first: a spawn that does not fit runs the collector (never in a handler) before it is refused.
  if (!heapFits(regionBytes, config.HEAP_RESERVE) && !inIsr()) __collect();
  if (!heapFits(regionBytes, config.HEAP_RESERVE)) return refuse(errors.ERR_NO_MEMORY, <u32>regionBytes);
  const region = heapAlloc(regionBytes);
  if (region == 0) return refuse(errors.ERR_NO_MEMORY, <u32>regionBytes);
  // Zeroed by instrumented code, not memset: a loop header is a check point, so the
  // control block's zeroing is never an uninterruptible stretch (the region is private until claimed).
  for (let at = region; at < region + TASK_BLOCK_BYTES; at += 4) store<u32>(at, 0);
  const id = claimSlot(region);
  if (id < 0) { heapFree(region); return refuse(errors.ERR_TASK_LIMIT, <u32>config.MAX_TASKS); }
  if (!addContext(region, <u32>id)) { store<usize>(table + <usize>id * 4, 0); heapFree(region); return refuse(errors.ERR_TASK_LIMIT); }
  const t = changetype<Task>(region);
  t.entry = taskMain.index;
  t.arg = <u32>id;
  t.id = <u32>id;
  t.stackBase = region + TASK_BLOCK_BYTES;
  t.stackTop = (region + regionBytes) & ~15;
  t.stackLimit = t.stackBase + saveReserve(stackBytes);
  t.sp = t.stackTop;
  t.resumeSp = t.stackTop;
  t.watermark = t.stackTop;
  t.state = STATE_FRESH;
  t.priority = <u8>priority;
  t.basePriority = <u8>priority;
  t.entryTakesArg = takesArg;
  t.userEntry = entry;
  t.userArg = arg;
  t.breathing = breathing;
  t.region = region;
  t.regionBytes = <u32>regionBytes;
  t.stackBytes = stackBytes;
  t.timeslice = timeslice < 0 ? config.defaultTimeslice : <u16>timeslice;
  t.sliceLeft = t.timeslice;
  if (name != null) t.name = __pin(changetype<usize>(name));
  taskCount++;
  // The name first: its stamp is then never later than the create event.
  if (name != null) probeConsole.writeTaskName(<u32>id, changetype<usize>(name));
  trace.emit(trace.EV_TASK_CREATE, <u32>id, <u32>priority, stackBytes, entry);
  sched.readyNew(t);
  return id;
}

/** End the calling task. Never returns. */
export function exitCurrent(): void {
  if (inIsr()) { refuse(errors.ERR_IN_ISR); return; }
  const t = sched.current;
  lock();
  sched.removeReady(t);
  t.taskState = TASK_ZOMBIE;
  trace.emit(trace.EV_TASK_EXIT, t.id, stackUsed(t));
  sched.addZombie(t);
  unlock();
  sched.requestSwitch();
  unreachable(); // a zombie is never resumed
}

/** Mark a task that died (panicked) as a zombie: called by the HardFault handler. */
export function retire(t: Task): void {
  lock(); // the HardFault handler took it from a dead holder first (lock.abandon)
  if (t.taskState == TASK_READY) sched.removeReady(t);
  else if (t.taskState == TASK_BLOCKED) sched.unblock(t);
  releaseAll(t);
  const slot = t.breathingSlot;
  t.breathingSlot = false;
  t.taskState = TASK_ZOMBIE;
  t.state = STATE_DEAD;
  sched.addZombie(t);
  unlock();
  if (slot) releaseSlot(); // it died inside work(): its breathing slot comes back
}

/** Free a zombie's memory. Called by the PendSV handler once it no longer runs. */
export function reclaim(t: Task): void {
  const id = <i32>t.id;
  store<usize>(table + <usize>id * 4, 0);
  taskCount--;
  if (t.name != 0) __unpin(t.name);
  removeContext(t.region);
  trace.emit(trace.EV_TASK_DELETE, t.id, t.regionBytes, stackPeak(t), t.savePeak);
  heapFree(t.region);
}

/** Bytes of frames the task has used at most (from its stack watermark). */
export function stackUsed(t: Task): u32 {
  return <u32>(t.stackTop - t.watermark);
}

export function currentTaskId(): i32 {
  return inIsr() ? -1 : <i32>currentId();
}
