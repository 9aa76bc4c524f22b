/**
 * The scheduler: ready queues by priority, the timing wheel, and the PendSV
 * handler that picks the next task.
 *
 * Invariants (under the kernel lock, lock.ts):
 *  - A READY task is in exactly one ready queue, its priority's; the running
 *    task stays at the head of its queue, so a preempted task resumes before
 *    its peers, and a yield moves it to the tail (FIFO within a level).
 *  - Bit p of `readyMask` is set iff queue p is not empty.
 *  - A BLOCKED task is in the timing wheel (slot sleepSlot, due at wakeAt)
 *    when it sleeps or waits with a timeout, and in its wait queue when it
 *    waits on an object: waitQueue == 0 || waitTimed <=> in the wheel.
 *    `sleepers` counts the tasks in the wheel.
 *  - PendSV switches only when it gets the kernel lock; otherwise the
 *    holder switches at its release (the scheduler is suspended meanwhile).
 *  - Under RoundRobin, waking a higher-priority task never preempts; the
 *    scheduling points are blocks, yields and slice ends.
 *  - `current` is the task thread mode runs; only the PendSV handler
 *    changes it, and it always names the head of the highest ready queue
 *    after the handler runs.
 */
import * as core from "../mcu/core";
import * as clock from "../mcu/clock";
import * as trace from "../probe/trace";
import { recordSwitch, recordReady } from "../probe/schedrecords";
import { Task, TASK_READY, TASK_BLOCKED, TASK_TABLE, reclaim } from "./task";
import * as config from "./config";
import { lock, unlock, lockFree, unlockOuter, tryLock, isHeld, pendingOperations, deferSwitch, pend, applied, Pendable, OP_READY, requestSwitch as lockRequestSwitch } from "./lock";
import * as time from "./time";
import { Policy, policy } from "./config";
import * as waitqueue from "./sync/waitqueue";
import { WAIT_TIMEOUT } from "./sync/waitqueue";

export let current: Task = changetype<Task>(0);
export let contextSwitches: u32 = 0;

const heads: usize = memory.data(config.PRIORITY_LEVELS * 4);
const tails: usize = memory.data(config.PRIORITY_LEVELS * 4);
let readyMask: u32 = 0;
let zombies: usize = 0;

// @ts-ignore: decorator
@inline function headOf(p: i32): usize { return load<usize>(heads + <usize>p * 4); }
// @ts-ignore: decorator
@inline function tailOf(p: i32): usize { return load<usize>(tails + <usize>p * 4); }
// @ts-ignore: decorator
@inline function setHead(p: i32, t: usize): void { store<usize>(heads + <usize>p * 4, t); }
// @ts-ignore: decorator
@inline function setTail(p: i32, t: usize): void { store<usize>(tails + <usize>p * 4, t); }

// @ts-ignore: decorator
@inline export function makeReady(t: Task): void {
  const p = <i32>t.priority;
  const self = changetype<usize>(t);
  t.taskState = TASK_READY;
  t.next = 0;
  t.prev = tailOf(p);
  if (t.prev != 0) changetype<Task>(t.prev).next = self;
  else setHead(p, self);
  setTail(p, self);
  readyMask |= 1 << <u32>p;
  recordReady(self);
}

export function removeReady(t: Task): void {
  const p = <i32>t.priority;
  if (t.prev != 0) changetype<Task>(t.prev).next = t.next;
  else setHead(p, t.next);
  if (t.next != 0) changetype<Task>(t.next).prev = t.prev;
  else setTail(p, t.prev);
  t.next = 0;
  t.prev = 0;
  if (headOf(p) == 0) readyMask &= ~(1 << <u32>p);
}

/** The highest priority with a ready task (16 if none). */
// @ts-ignore: decorator
@inline export function highestReadyPriority(): i32 {
  return readyMask == 0 ? config.PRIORITY_LEVELS : <i32>ctz(readyMask);
}

/**
 * Pend PendSV. The write is itself a check point (mcu/scb.ts): the switch
 * happens right there when nothing of higher priority runs.
 */
// @ts-ignore: decorator
@inline export function requestSwitch(): void {
  lockRequestSwitch();
}

/** Whether `t`, just made ready, should take the CPU from the running task now. */
// @ts-ignore: decorator
@inline export function beats(t: Task): bool {
  if (changetype<usize>(current) == 0) return false; // not started yet
  return policy != Policy.RoundRobin && t.priority < current.priority;
}

/** Whether a ready task should preempt the running one right now (after a priority drop). */
export function higherReady(): bool {
  if (changetype<usize>(current) == 0 || policy == Policy.RoundRobin) return false;
  return highestReadyPriority() < <i32>current.priority;
}

/** After `t` became ready: switch to it if it beats the running task. */
// @ts-ignore: decorator
@inline export function preemptIfHigher(t: Task): void {
  if (beats(t)) requestSwitch();
}

/** New tasks a handler spawned while the kernel lock was held elsewhere (linked through next), made ready by the holder. */
class PendedReady extends Pendable {
  head: usize = 0;
  tail: usize = 0;
  applyPended(): void {
    while (this.head != 0) {
      const t = changetype<Task>(this.head);
      this.head = t.next;
      if (this.head == 0) this.tail = 0;
      t.next = 0;
      applied(1);
      makeReady(t);
      preemptIfHigher(t);
    }
  }
}
const pendedReady = new PendedReady();

/** Make a freshly spawned task ready, from any context; switch to it if it beats the running task. */
export function readyNew(t: Task): void {
  if (!tryLock()) {
    // Straight-line: appended before the holder can look.
    const self = changetype<usize>(t);
    t.next = 0;
    if (pendedReady.tail != 0) changetype<Task>(pendedReady.tail).next = self;
    else pendedReady.head = self;
    pendedReady.tail = self;
    pend(pendedReady, t.id, OP_READY);
    return;
  }
  makeReady(t);
  unlock();
  preemptIfHigher(t);
}

/** Put the running task at the head of its (new) level: it keeps the CPU among its peers. */
function makeReadyFront(t: Task): void {
  const p = <i32>t.priority;
  const self = changetype<usize>(t);
  t.taskState = TASK_READY;
  t.prev = 0;
  t.next = headOf(p);
  if (t.next != 0) changetype<Task>(t.next).prev = self;
  else setTail(p, self);
  setHead(p, self);
  readyMask |= 1 << <u32>p;
}

/** Change a task's effective priority (inheritance, setPriority), keeping every queue ordered. */
export function setEffectivePriority(t: Task, p: u8): void {
  if (t.priority == p) return;
  const old = t.priority;
  if (t.taskState == TASK_READY) {
    removeReady(t);
    t.priority = p;
    if (t == current) makeReadyFront(t);
    else makeReady(t);
  } else {
    t.priority = p;
    if (t.taskState == TASK_BLOCKED && t.waitQueue != 0) waitqueue.reposition(t);
  }
  trace.emit(trace.EV_PRIORITY, t.id, <u32>p, <u32>old);
}

/**
 * The tick's share of scheduling: the running task's timeslice. Returns
 * whether the tick must end with a switch.
 */
export function tickSlice(): bool {
  if (policy == Policy.Priority || changetype<usize>(current) == 0) return false;
  const c = current;
  if (c.taskState != TASK_READY || c.timeslice == 0) return false;
  if (--c.sliceLeft > 0) return false;
  c.sliceLeft = c.timeslice;
  let rotate = false;
  if (c.next != 0 || c.prev != 0) {
    removeReady(c);
    makeReady(c);
    rotate = true;
    trace.emit(trace.EV_TIMESLICE, c.id, <u32>c.timeslice);
  }
  // Under RoundRobin the end of a slice is also when a higher level gets the CPU.
  return rotate || highestReadyPriority() < <i32>c.priority;
}

/** Move the running task behind its peers. */
// @ts-ignore: decorator
@inline export function rotateCurrent(): void {
  lock();
  const t = current;
  if (t.taskState == TASK_READY && t.next != 0) {
    // The head (the running task) to the tail: O(1), no unlink and relink.
    const p = <i32>t.priority;
    const self = changetype<usize>(t);
    const second = t.next;
    changetype<Task>(second).prev = 0;
    setHead(p, second);
    const last = tailOf(p);
    changetype<Task>(last).next = self;
    t.prev = last;
    t.next = 0;
    setTail(p, self);
    recordReady(self);
  }
  unlock();
}

// ---- the timing wheel ----------------------------------------------------------
//
// Sleepers and timed waiters sit in a hierarchical timing wheel over the
// 64-bit tick count: WHEEL_LEVELS levels of WHEEL_SLOTS slots, level L
// holding tasks whose wake tick first differs from now in bits
// [6L, 6L + 6). Insertion and removal are O(1); a tick looks at one level-0
// slot, whose tasks are all due, and, at a level's roll-over, moves the tasks
// of one higher slot down (each task moves at most WHEEL_LEVELS - 1 times in
// its whole sleep). Any length up to 2^32 - 1 ticks is exact (the 64-bit
// count never wraps). Each slot is a circular doubly-linked list through
// next/prev (head: the oldest), so tasks due at the same tick wake in the
// order they went to sleep.

const WHEEL_BITS: u32 = 6;
const WHEEL_SLOTS: i32 = 1 << WHEEL_BITS;
const WHEEL_LEVELS: i32 = 6; // 36 bits >= 33 (now + 2^32 - 1)
const wheel: usize = memory.data(WHEEL_SLOTS * WHEEL_LEVELS * 4);
let sleepers: i32 = 0;

/** Tasks in the timing wheel. */
export function sleeperCount(): i32 { return sleepers; }

// @ts-ignore: decorator
@inline function slotFor(at: u64, now: u64): i32 {
  const diff = at ^ now;
  const level = diff == 0 ? 0 : <i32>((63 - <u32>clz(diff)) / WHEEL_BITS);
  return level * WHEEL_SLOTS + <i32>((at >> (<u64>level * WHEEL_BITS)) & <u64>(WHEEL_SLOTS - 1));
}

function slotAppend(slot: i32, t: Task): void {
  const cell = wheel + <usize>slot * 4;
  const head = load<usize>(cell);
  const self = changetype<usize>(t);
  t.sleepSlot = slot;
  if (head == 0) {
    t.next = self;
    t.prev = self;
    store<usize>(cell, self);
  } else {
    const h = changetype<Task>(head);
    t.next = head;
    t.prev = h.prev;
    changetype<Task>(h.prev).next = self;
    h.prev = self;
  }
}

/** Put `t` to sleep until tick `at` (> ticks64). The caller holds the kernel lock. */
export function addSleeper(t: Task, at: u64): void {
  t.taskState = TASK_BLOCKED;
  t.wakeAt = at;
  slotAppend(slotFor(at, time.ticks64), t);
  sleepers++;
}

export function removeSleeper(t: Task): void {
  const cell = wheel + <usize>t.sleepSlot * 4;
  const self = changetype<usize>(t);
  if (t.next == self) store<usize>(cell, 0);
  else {
    changetype<Task>(t.prev).next = t.next;
    changetype<Task>(t.next).prev = t.prev;
    if (load<usize>(cell) == self) store<usize>(cell, t.next);
  }
  t.next = 0;
  t.prev = 0;
  sleepers--;
}

/** Detach slot `slot`'s list: its first task, or 0. */
// @ts-ignore: decorator
@inline function takeSlot(slot: i32): usize {
  const cell = wheel + <usize>slot * 4;
  const head = load<usize>(cell);
  store<usize>(cell, 0);
  return head;
}

/**
 * The wheel's share of tick `now` (ticks64 after the increment): cascade
 * the slots that roll over, then wake every task of level-0 slot now % 64 (a
 * waiter's timeout expiring too). True if a woken task beats the running one.
 */
export function wakeDue(now: u64): bool {
  if (sleepers == 0) return false;
  // Highest level first, so a task cascades all the way down in one tick.
  for (let level = WHEEL_LEVELS - 1; level >= 1; level--) {
    const shift = <u64>level * WHEEL_BITS;
    if ((now & ((<u64>1 << shift) - 1)) != 0) continue;
    const first = takeSlot(level * WHEEL_SLOTS + <i32>((now >> shift) & <u64>(WHEEL_SLOTS - 1)));
    if (first == 0) continue;
    // A detached circular list: walk it once, re-filing each task by its remaining time.
    changetype<Task>(changetype<Task>(first).prev).next = 0;
    let it = first;
    while (it != 0) {
      const t = changetype<Task>(it);
      it = t.next;
      slotAppend(slotFor(t.wakeAt, now), t);
    }
  }
  let preempt = false;
  const first = takeSlot(<i32>(now & <u64>(WHEEL_SLOTS - 1)));
  if (first == 0) return false;
  changetype<Task>(changetype<Task>(first).prev).next = 0;
  let it = first;
  while (it != 0) {
    const t = changetype<Task>(it);
    it = t.next;
    sleepers--;
    t.next = 0;
    t.prev = 0;
    if (t.waitQueue != 0) {
      trace.emit(trace.EV_TIMEOUT, t.id, <u32>changetype<usize>(t.waitQueue));
      waitqueue.remove(t);
      t.waitResult = WAIT_TIMEOUT;
      t.waitTimed = false;
    }
    makeReady(t);
    if (beats(t)) preempt = true;
  }
  return preempt;
}

/** Take a blocked task out of the timing wheel and its wait queue (it died). */
export function unblock(t: Task): void {
  if (t.waitQueue == 0 || t.waitTimed) removeSleeper(t);
  if (t.waitQueue != 0) waitqueue.remove(t);
  t.waitTimed = false;
}

// ---- zombies and the switch ---------------------------------------------------

export function addZombie(t: Task): void {
  t.next = zombies;
  zombies = changetype<usize>(t);
}

function reapZombies(): void {
  let it = zombies;
  zombies = 0;
  while (it != 0) {
    const t = changetype<Task>(it);
    const next = t.next;
    if (t == current) addZombie(t); // still on its stack: next time
    else reclaim(t);
    it = next;
  }
}

/** Make `next` the running task (stats and trace). */
// @ts-ignore: decorator
@inline function switchTo(next: Task): void {
  const now = clock.now();
  const prev = current;
  if (changetype<usize>(prev) != 0) prev.cyclesRun += now - prev.lastSwitchIn;
  next.switches++;
  next.lastSwitchIn = now;
  next.sliceLeft = next.timeslice; // a fresh slice each time it gets the CPU
  contextSwitches++;
  current = next;
  core.setThread(changetype<usize>(next));
  recordSwitch(changetype<usize>(prev), changetype<usize>(next));
}

// ---- scheduler suspension (DESIGN §5: scheduler.suspend() / resume()) -------------------

/** scheduler.suspend() nesting of the task that suspended it: while non-zero no task switch happens. */
export let suspendDepth: i32 = 0;
let suspendedBy: usize = 0;
/** A switch came due while suspended: made at the last resume(). */
let switchOnResume: bool = false;

export function suspendScheduler(): void {
  suspendDepth++;
  suspendedBy = changetype<usize>(current);
}

/** The last resume() switches at once if a switch came due; an unmatched resume() does nothing. */
export function resumeScheduler(): void {
  if (suspendDepth == 0) return;
  if (--suspendDepth == 0) endSuspension(current);
}

/** `t` ends its suspension (its last resume, or it panicked or exited holding one). */
export function endSuspension(t: Task): void {
  if (suspendDepth == 0 && suspendedBy == 0) return;
  if (suspendedBy != changetype<usize>(t)) return;
  suspendDepth = 0;
  suspendedBy = 0;
  if (switchOnResume) {
    switchOnResume = false;
    requestSwitch();
  }
}

/** The PendSV handler: run the head of the highest ready queue. */
export function onPendSV(): void {
  // A task inside the kernel holds the lock: the scheduler is suspended until it lets go.
  // PendSV runs at the lowest priority: only a task (the thread it preempted) can hold the lock.
  if (isHeld()) { deferSwitch(); return; }
  lockFree();
  const p = highestReadyPriority();
  if (p < config.PRIORITY_LEVELS) {
    const next = changetype<Task>(headOf(p));
    if (next != current) {
      // Suspended by the running task (scheduler.suspend): it keeps the CPU until its last resume().
      if (suspendDepth != 0 && current.taskState == TASK_READY) switchOnResume = true;
      else switchTo(next);
    }
  }
  if (zombies != 0) reapZombies();
  unlockOuter();
}

/** Start scheduling: the first task to run, chosen at boot. */
export function start(): void {
  const p = highestReadyPriority();
  switchTo(changetype<Task>(headOf(p)));
}

// ---- self-check -------------------------------------------------------------------

// Audit findings (bits of audit()'s result).
export const AUDIT_READY_LINKS: u32 = 1;      // a ready queue's links, head/tail or readyMask disagree
export const AUDIT_READY_STATE: u32 = 2;      // a queued task is not READY, or a READY task is not queued
export const AUDIT_WHEEL: u32 = 4;            // the timing wheel's links, slots or count disagree
export const AUDIT_BLOCKED: u32 = 8;          // a blocked task is in the wrong structures
export const AUDIT_LOCK: u32 = 16;            // the kernel lock is held or operations are still pended
export const AUDIT_CURRENT: u32 = 32;         // the running task is not READY

/**
 * Check the scheduler's invariants (header of this file and of lock.ts);
 * 0 when they hold, else AUDIT_* bits. Called by a task (debug.auditKernel),
 * it takes the lock itself, so the lock must be free when it is called.
 */
export function audit(): u32 {
  let bad: u32 = 0;
  if (isHeld() || pendingOperations()) bad |= AUDIT_LOCK;
  lock();
  let readyCount = 0;
  for (let p = 0; p < config.PRIORITY_LEVELS; p++) {
    let prev: usize = 0;
    let it = headOf(p);
    if ((it != 0) != ((readyMask & (1 << <u32>p)) != 0)) bad |= AUDIT_READY_LINKS;
    while (it != 0) {
      const t = changetype<Task>(it);
      if (t.prev != prev || <i32>t.priority != p) bad |= AUDIT_READY_LINKS;
      if (t.taskState != TASK_READY) bad |= AUDIT_READY_STATE;
      readyCount++;
      if (readyCount > config.MAX_TASKS) { bad |= AUDIT_READY_LINKS; break; }
      prev = it;
      it = t.next;
    }
    if (tailOf(p) != prev) bad |= AUDIT_READY_LINKS;
  }
  let wheelCount = 0;
  for (let s = 0; s < WHEEL_SLOTS * WHEEL_LEVELS; s++) {
    const head = load<usize>(wheel + <usize>s * 4);
    if (head == 0) continue;
    let it = head;
    do {
      const t = changetype<Task>(it);
      if (t.sleepSlot != s || t.taskState != TASK_BLOCKED || changetype<Task>(t.next).prev != it) bad |= AUDIT_WHEEL;
      if (t.waitQueue != 0 && !t.waitTimed) bad |= AUDIT_BLOCKED;
      if (t.wakeAt <= time.ticks64) bad |= AUDIT_WHEEL; // overdue: a tick missed it
      wheelCount++;
      if (wheelCount > config.MAX_TASKS) { bad |= AUDIT_WHEEL; break; }
      it = t.next;
    } while (it != head);
  }
  if (wheelCount != sleepers) bad |= AUDIT_WHEEL;
  let readyTasks = 0;
  for (let id = 0; id < config.MAX_TASKS; id++) {
    const ptr = load<usize>(TASK_TABLE + <usize>id * 4);
    if (ptr == 0) continue;
    const t = changetype<Task>(ptr);
    if (t.taskState == TASK_READY) readyTasks++;
    if (t.taskState == TASK_BLOCKED && t.waitQueue == 0 && t.next == 0) bad |= AUDIT_BLOCKED; // asleep but not in the wheel
  }
  if (readyTasks != readyCount) bad |= AUDIT_READY_STATE;
  if (changetype<usize>(current) != 0 && current.taskState != TASK_READY) bad |= AUDIT_CURRENT;
  unlock();
  return bad;
}
