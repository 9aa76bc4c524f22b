/**
 * Breathing tasks (Hopter): `s = init(arg)` once, then
 * `loop { item = wait(s); <take a slot>; work(s, item); <give it back> }`.
 * The state lives on the heap; init and work are called as functions of
 * their own, so their frames are gone again when they return and a waiting
 * breathing task holds only what wait needs (stack.used() shows it).
 *
 * Invariants: at most `limit` tasks are inside work() at once (a task
 * blocked inside work keeps its slot); a task that dies inside work gives
 * its slot back (task.ts retire); a new limit takes effect at the next entry
 * into work (a lowered limit withholds slots as they come back).
 */
import { Semaphore } from "./sync/semaphore";
import * as sched from "./sched";
import { inIsr } from "./context";

export const DEFAULT_CONCURRENCY: u32 = 3;
const MAX_CONCURRENCY: u32 = 1 << 20;

let limit: u32 = DEFAULT_CONCURRENCY;
/** Slots to withhold as they come back, after the limit was lowered. */
let withheld: u32 = 0;
let slots: Semaphore | null = null;

function gate(): Semaphore {
  let s = slots;
  if (s == null) { s = new Semaphore(MAX_CONCURRENCY, limit); slots = s; }
  return s;
}

export function setConcurrency(n: u32): void {
  if (n < 1) n = 1;
  if (n > MAX_CONCURRENCY) n = MAX_CONCURRENCY;
  const g = gate();
  if (n > limit) {
    let more = n - limit;
    // Cancel withheld slots first, then add new ones.
    const cancel = more < withheld ? more : withheld;
    withheld -= cancel;
    more -= cancel;
    for (let i: u32 = 0; i < more; i++) g.give();
  } else {
    // Free slots go at once; slots in use are withheld as they come back.
    let fewer = limit - n;
    while (fewer > 0 && g.tryTake()) fewer--;
    withheld += fewer;
  }
  limit = n;
}

export function concurrency(): u32 { return limit; }

export function enterWork(): void {
  gate().take();
  sched.current.breathingSlot = true;
}

export function leaveWork(): void {
  sched.current.breathingSlot = false;
  releaseSlot();
}

/** A slot comes back (work returned, or its task died inside work). */
export function releaseSlot(): void {
  if (withheld > 0) { withheld--; return; }
  if (inIsr()) gate().giveFromIsr();
  else gate().give();
}

/** One breathing task's functions and argument (its entry reads them by task id). */
export class BreathingSpec {
  /** The state init returned: traced, the spec itself is rooted by the task's control block. */
  state: Object | null = null;
  constructor(public init: u32, public wait: u32, public work: u32, public arg: u32) {}
}

/** The bottom function of every breathing task. */
export function breathe(arg: u32): void {
  const spec = changetype<BreathingSpec>(sched.current.breathing);
  spec.state = changetype<Object>(initState(spec));
  while (true) {
    const item = waitItem(spec);
    enterWork();
    doWork(spec, item);
    leaveWork();
  }
}

// Each phase is a call of its own: its frames are gone when it returns.
// @ts-ignore: decorator
@inline function initState(spec: BreathingSpec): usize { return call_indirect<usize>(spec.init, spec.arg); }
// @ts-ignore: decorator
@inline function waitItem(spec: BreathingSpec): u32 { return call_indirect<u32>(spec.wait, changetype<usize>(spec.state)); }
function doWork(spec: BreathingSpec, item: u32): void { call_indirect<void>(spec.work, changetype<usize>(spec.state), item); }
