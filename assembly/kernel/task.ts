/**
 * Tasks: creation, the task table, exit and reclamation.
 *
 * Invariants:
 *  - A task id is its slot in `table`; a slot is reused only after the task
 *    it held was reclaimed.
 *  - A task's memory is its control block and its first stack region (a
 *    static stack, or the first stacklet of a segmented one: possibly
 *    empty) in one block, registered with the collector from spawn until
 *    reclamation; a segmented task's further stacklets and saved state are
 *    kernel/stack's, released with it.
 *  - An exited or panicked task becomes a zombie; the PendSV handler frees
 *    it once it no longer runs, never while its own stack is in use.
 *  - A task spawning holds the kernel lock from claiming the slot until the
 *    new task is ready; a handler takes it only to make the task ready (one
 *    that finds it held pends that, sched.readyNew); a slot is claimed and
 *    freed by single straight-line stores, so contexts spawning at once
 *    never share one.
 */
import { Context, STATE_FRESH, STATE_DEAD } from "../mcu/context";
import * as core from "../mcu/core";
import * as trace from "../probe/trace";
import * as probeConsole from "../probe/console";
import { recordTaskEnd } from "../probe/taskend";
import { heapAlloc, heapFree, heapFits } from "./memory/heap";
import { addContext, removeContext } from "./memory/roots";
import { saveReserve, releaseStack } from "./stack/layout";
import { drainFrees, FIRST_KEY_BREATHING } from "./stack/stacklet";
import { stackPeak } from "./stack/stats";
import { STACK_STATIC, STACK_SEGMENTED } from "./stack/context";
import * as config from "./config";
import * as errors from "./errors";
import { lock, unlock } from "./lock";
import { inIsr, refuse, currentId } from "./context";
import * as sched from "./sched";
import { releaseAll } from "./sync/mutex";
import { releaseSlot, BreathingSpec } from "./breathing";
import { forgetTask, adoptLineage } from "./unwind";

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
  /** The region allocated for this task (control block + first stack region). */
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
  /** Cleanup handlers and restart lineage (kernel/unwind.ts UnwindState; 0 until first needed). */
  unwindState: usize;
  /** Where its unwinding is (kernel/unwind.ts PHASE_*). */
  unwindPhase: u8;
}

/** The task table: MAX_TASKS pointers (0 = free slot); the ABI reads it. */
export const TASK_TABLE: usize = memory.data(config.MAX_TASKS * 4);
const table = TASK_TABLE;
export let taskCount: i32 = 0;
/** Tasks whose first stack region is not empty (a static stack, an initial stacklet): stacklets too. */
export let firstRegions: u32 = 0;

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
export function taskMain(id: u32): void {
  const t = changetype<Task>(taskAt(<i32>id));
  if (t.entryTakesArg) call_indirect<void>(t.userEntry, t.userArg);
  else call_indirect<void>(t.userEntry);
  exitCurrent();
}

/**
 * Create a task; returns its id or a negative error code. Blocking-free, so
 * callable from handlers too. `stackMode` STACK_STATIC: one contiguous stack
 * of `stackBytes` (frames and saved state); STACK_SEGMENTED: a first
 * stacklet of `stackBytes` (0: none until the first call with a frame),
 * growing on demand. `frameLimit`: most frame bytes held at once (0: none).
 */
export function spawn(entry: u32, takesArg: bool, arg: u32, priority: i32, stackMode: u32, stackBytes: u32, frameLimit: u32, name: string | null, timeslice: i32 = -1, breathing: usize = 0, restartable: bool = false): i32 {
  if (entry == 0) return refuse(errors.ERR_NO_ENTRY);
  if (priority < 0 || priority >= config.PRIORITY_LEVELS) return refuse(errors.ERR_BAD_PRIORITY, <u32>priority);
  if (stackMode == STACK_STATIC ? stackBytes < config.MIN_STACK_BYTES : stackMode != STACK_SEGMENTED) return refuse(errors.ERR_BAD_STACK, stackBytes);
  if (stackBytes > config.MAX_STACK_BYTES) return refuse(errors.ERR_BAD_STACK, stackBytes);
  if (timeslice > 0xFFFF) return refuse(errors.ERR_BAD_ARGUMENT, <u32>timeslice);
  stackBytes = (stackBytes + 15) & ~15;
  const regionBytes = TASK_BLOCK_BYTES + <usize>stackBytes;
  // No lock for the checks and the allocation: the heap never runs interrupted (it has no
  // check points), so handlers can spawn while a task is inside the kernel.
  if (taskCount >= config.MAX_TASKS) return refuse(errors.ERR_TASK_LIMIT, <u32>config.MAX_TASKS);
  // Garbage first: a spawn that does not fit runs the collector (never in a handler) before it is refused.
  if (!heapFits(regionBytes, config.HEAP_RESERVE) && !inIsr()) __collect();
  if (!heapFits(regionBytes, config.HEAP_RESERVE)) return refuse(errors.ERR_NO_MEMORY, <u32>regionBytes);
  const region = heapAlloc(regionBytes);
  if (region == 0) return refuse(errors.ERR_NO_MEMORY, <u32>regionBytes);
  // Zeroed by instrumented code, not memset: a loop header is a check point, so the
  // control block's zeroing is never an uninterruptible stretch (the region is private until claimed).
  for (let at = region; at < region + TASK_BLOCK_BYTES; at += 4) store<u32>(at, 0);
  // A task holds the kernel lock from claiming the slot until the new task is ready: a panic
  // noticed meanwhile (its own stack overflowing) then waits for the release (lock.ts) and never
  // leaves a slot claimed by a task that is not ready. A handler cannot be preempted by its caller.
  const held = !inIsr();
  if (held) lock();
  const id = claimSlot(region);
  if (id < 0) { if (held) unlock(); heapFree(region); return refuse(errors.ERR_TASK_LIMIT, <u32>config.MAX_TASKS); }
  if (!addContext(region, <u32>id)) { store<usize>(table + <usize>id * 4, 0); if (held) unlock(); heapFree(region); return refuse(errors.ERR_TASK_LIMIT); }
  const t = changetype<Task>(region);
  t.entry = taskMain.index;
  t.arg = <u32>id;
  t.id = <u32>id;
  t.controlBytes = <u32>TASK_BLOCK_BYTES;
  t.stackMode = <u8>stackMode;
  t.frameLimit = frameLimit;
  t.stackBase = region + TASK_BLOCK_BYTES;
  t.firstBase = t.stackBase;
  t.stackTop = (region + regionBytes) & ~15;
  t.firstTop = t.stackTop;
  // A static stack keeps room below the frames for its saved state; a segmented one puts it in a block when it must.
  t.stackLimit = stackMode == STACK_STATIC ? t.stackBase + saveReserve(stackBytes) : t.stackBase;
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
  // Tasks of one kind wait alike: their first stacklets are sized by what the first to wait needed.
  t.firstKey = breathing != 0 ? changetype<BreathingSpec>(breathing).wait | FIRST_KEY_BREATHING : entry;
  t.region = region;
  t.regionBytes = <u32>regionBytes;
  t.stackBytes = stackBytes;
  t.timeslice = timeslice < 0 ? config.defaultTimeslice : <u16>timeslice;
  t.sliceLeft = t.timeslice;
  if (restartable && !adoptLineage(t)) {
    removeContext(region);
    store<usize>(table + <usize>id * 4, 0);
    if (held) unlock();
    heapFree(region);
    return refuse(errors.ERR_NO_MEMORY, <u32>regionBytes);
  }
  if (name != null) t.name = __pin(changetype<usize>(name));
  taskCount++;
  if (stackBytes != 0) firstRegions++;
  // The name first: its stamp is then never later than the create event.
  if (name != null) probeConsole.writeTaskName(<u32>id, changetype<usize>(name));
  trace.emit(trace.EV_TASK_CREATE, <u32>id, <u32>priority, stackBytes, entry);
  sched.readyNew(t);
  if (held) unlock();
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
  const slot = t.breathingSlot;
  t.breathingSlot = false;
  unlock();
  if (slot) releaseSlot(); // it ended inside work(): its breathing slot comes back
  if (sched.suspendDepth != 0) sched.endSuspension(t);
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
  if (t.stackBytes != 0) firstRegions--;
  if (t.name != 0) __unpin(t.name);
  removeContext(t.region);
  recordTaskEnd(changetype<usize>(t)); // what the host shows for an ended task, while the control block is there
  if (t.unwindState != 0) forgetTask(t);
  releaseStack(t);
  drainFrees(t); // its stacklets back to the heap, a block a step
  trace.emit(trace.EV_TASK_DELETE, t.id, t.regionBytes, stackPeak(t), t.savePeak);
  heapFree(t.region);
}

/** Bytes of frames the task has held at most. */
export function stackUsed(t: Task): u32 {
  return t.framePeak;
}

export function currentTaskId(): i32 {
  return inIsr() ? -1 : <i32>currentId();
}
