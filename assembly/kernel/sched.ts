/**
 * The scheduler: ready queues by priority, the sleep list, and the PendSV
 * handler that picks the next task.
 *
 * Invariants (under the kernel lock):
 *  - A READY task is in exactly one ready queue, its priority's; the running
 *    task stays at the head of its queue, so a preempted task resumes before
 *    its peers, and a yield moves it to the tail (FIFO within a level).
 *  - Bit p of `readyMask` is set iff queue p is not empty.
 *  - A BLOCKED task is in the sleep list (ordered by wake tick, ties FIFO)
 *    when it sleeps or waits with a timeout, and in its wait queue when it
 *    waits on an object: waitQueue == 0 || waitTimed <=> in the sleep list.
 *  - Under RoundRobin, waking a higher-priority task never preempts; the
 *    scheduling points are blocks, yields and slice ends.
 *  - `current` is the task thread mode runs; only the PendSV handler
 *    changes it, and it always names the head of the highest ready queue
 *    after the handler runs.
 */
import * as core from "../mcu/core";
import * as clock from "../mcu/clock";
import * as bus from "../mcu/bus";
import * as scb from "../mcu/scb";
import * as trace from "../probe/trace";
import { stackNow } from "./stack/stats";
import { Task, TASK_READY, TASK_BLOCKED, reclaim } from "./task";
import * as config from "./config";
import { lock, unlock } from "./lock";
import { Policy, policy } from "./config";
import * as waitqueue from "./sync/waitqueue";
import { WAIT_TIMEOUT } from "./sync/waitqueue";

export let current: Task = changetype<Task>(0);
export let contextSwitches: u32 = 0;

const heads: usize = memory.data(config.PRIORITY_LEVELS * 4);
const tails: usize = memory.data(config.PRIORITY_LEVELS * 4);
let readyMask: u32 = 0;
let sleepHead: usize = 0;
let zombies: usize = 0;

// @ts-ignore: decorator
@inline function headOf(p: i32): usize { return load<usize>(heads + <usize>p * 4); }
// @ts-ignore: decorator
@inline function tailOf(p: i32): usize { return load<usize>(tails + <usize>p * 4); }
// @ts-ignore: decorator
@inline function setHead(p: i32, t: usize): void { store<usize>(heads + <usize>p * 4, t); }
// @ts-ignore: decorator
@inline function setTail(p: i32, t: usize): void { store<usize>(tails + <usize>p * 4, t); }

export function makeReady(t: Task): void {
  const p = <i32>t.priority;
  const self = changetype<usize>(t);
  t.taskState = TASK_READY;
  t.next = 0;
  t.prev = tailOf(p);
  if (t.prev != 0) changetype<Task>(t.prev).next = self;
  else setHead(p, self);
  setTail(p, self);
  readyMask |= 1 << <u32>p;
  trace.emit(trace.EV_TASK_READY, t.id, <u32>p);
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
export function highestReadyPriority(): i32 {
  return readyMask == 0 ? config.PRIORITY_LEVELS : <i32>ctz(readyMask);
}

/**
 * Pend PendSV. The write is itself a check point (mcu/scb.ts): the switch
 * happens right there when nothing of higher priority runs.
 */
export function requestSwitch(): void {
  bus.write32(scb.SCB_BASE + scb.ICSR, scb.ICSR_PENDSVSET);
}

/** Whether `t`, just made ready, should take the CPU from the running task now. */
export function beats(t: Task): bool {
  if (changetype<usize>(current) == 0) return false; // not started yet
  return policy != Policy.RoundRobin && t.priority < current.priority;
}

/** Whether a ready task should preempt the running one right now (after a priority drop). */
export function higherReady(): bool {
  if (changetype<usize>(current) == 0 || policy == Policy.RoundRobin) return false;
  return highestReadyPriority() < <i32>current.priority;
}

/** After `t` became ready: switch to it if it beats the running task. */
export function preemptIfHigher(t: Task): void {
  if (beats(t)) requestSwitch();
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
export function rotateCurrent(): void {
  lock();
  if (current.taskState == TASK_READY && current.next != 0) {
    removeReady(current);
    makeReady(current);
  }
  unlock();
}

// ---- sleep list -------------------------------------------------------------

export function addSleeper(t: Task, wakeTick: u32, now: u32): void {
  t.taskState = TASK_BLOCKED;
  t.wakeTick = wakeTick;
  const self = changetype<usize>(t);
  const remaining = wakeTick - now;
  let prev: usize = 0;
  let it = sleepHead;
  // Ties keep arrival order: insert after every sleeper due no later.
  while (it != 0 && changetype<Task>(it).wakeTick - now <= remaining) {
    prev = it;
    it = changetype<Task>(it).next;
  }
  t.prev = prev;
  t.next = it;
  if (prev != 0) changetype<Task>(prev).next = self;
  else sleepHead = self;
  if (it != 0) changetype<Task>(it).prev = self;
}

export function removeSleeper(t: Task): void {
  if (t.prev != 0) changetype<Task>(t.prev).next = t.next;
  else sleepHead = t.next;
  if (t.next != 0) changetype<Task>(t.next).prev = t.prev;
  t.next = 0;
  t.prev = 0;
}

/** Wake every sleeper due at `now` (a waiter's timeout expiring too); true if one beats the running task. */
export function wakeDue(now: u32): bool {
  let preempt = false;
  while (sleepHead != 0) {
    const t = changetype<Task>(sleepHead);
    if (<i32>(t.wakeTick - now) > 0) break;
    removeSleeper(t);
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

/** Take a blocked task out of the sleep list and its wait queue (it died). */
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
function switchTo(next: Task): void {
  const now = clock.now();
  const prev = current;
  if (changetype<usize>(prev) != 0) {
    prev.cyclesRun += now - prev.lastSwitchIn;
    trace.emit(trace.EV_TASK_SWITCH_OUT, prev.id, prev.taskState, stackNow(prev));
  }
  next.switches++;
  next.lastSwitchIn = now;
  next.sliceLeft = next.timeslice; // a fresh slice each time it gets the CPU
  contextSwitches++;
  current = next;
  core.setThread(changetype<usize>(next));
  trace.emit(trace.EV_TASK_SWITCH_IN, next.id, <u32>next.priority, 0);
}

/** The PendSV handler: run the head of the highest ready queue. */
export function onPendSV(): void {
  lock();
  const p = highestReadyPriority();
  if (p < config.PRIORITY_LEVELS) {
    const next = changetype<Task>(headOf(p));
    if (next != current) switchTo(next);
  }
  reapZombies();
  unlock();
}

/** Start scheduling: the first task to run, chosen at boot. */
export function start(): void {
  const p = highestReadyPriority();
  switchTo(changetype<Task>(headOf(p)));
}
