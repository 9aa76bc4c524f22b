/**
 * The cycle clock and its alarm queue.
 *
 * Time is a 64-bit count of SYSCLK cycles. Instrumented code spends the
 * `budget` global; the current cycle is `epoch - (budget - BUDGET_BIAS)`, where `epoch` is
 * the next cycle at which the MCU must look at the world (the earliest alarm
 * or the end of the host's run slice). When the budget goes negative a check
 * point calls the core, which fires the due alarms and re-arms.
 *
 * Alarms are a binary min-heap ordered by (due cycle, insertion order), so
 * alarms due on the same cycle fire in the order they were set:
 * deterministic by construction.
 */

/**
 * The budget is biased: it holds BUDGET_BIAS + the cycles left until `epoch`,
 * and a check point fires when it reaches the bias (the deadline: `epoch`),
 * as service() fires an alarm when its cycle is reached. Its value depends on
 * where the host ends a run slice, and copies of it land in the locals that
 * Asyncify saves when a context is suspended; biased, no copy can look like
 * a heap address to the collector's conservative scan, so host slicing
 * cannot change what the collector keeps or how long it takes (DESIGN §2).
 * The transform reads the bias from this global's initial value.
 */
export const BUDGET_BIAS: i32 = 0x4000_0000;
/** BUDGET_BIAS + cycles left until `epoch`. Decremented by the code the transform instruments. */
export let budget: i32 = 0x4000_0000; // BUDGET_BIAS: a literal, so it is the initial value, not set by the start function
let epoch: i64 = 0;
let sliceEnd: i64 = 0;

// The core clock frequency; RCC (a later peripheral) may change it.
export let sysclkHz: u32 = 168_000_000;
export function setSysclkHz(hz: u32): void { sysclkHz = hz; }

/** The largest step between two looks at the world, to keep `budget` in i32. */
const MAX_STEP: i64 = 1 << 29;

// @ts-ignore: decorator
@inline export function now(): i64 { return epoch - <i64>(budget - BUDGET_BIAS); }

/** Cycles left before the epoch (negative once spent). */
// @ts-ignore: decorator
@inline export function left(): i32 { return budget - BUDGET_BIAS; }

/**
 * Give back what atomic code charged since `budget` read `before`: for work
 * the simulator does that the modelled machine does not (placing a
 * suspended context's saved state, kernel/stack/layout.ts).
 */
// @ts-ignore: decorator
@inline export function refund(before: i32): void { budget = before; }

/** Spend `cycles` outside instrumented code (exception entry, WFI). */
export function advance(cycles: i64): void {
  // A crossed deadline leaves the budget negative: the next check point fires it.
  const remaining = <i64>left() - cycles;
  if (remaining >= -<i64>BUDGET_BIAS) { budget = <i32>remaining + BUDGET_BIAS; return; }
  // Too far for the i32 budget (a long WFI): move the epoch and force a check.
  epoch = now() + cycles - 1;
  budget = BUDGET_BIAS - 1;
}

/** Jump the clock forward to `cycle` (WFI sleeping until the next event). */
export function advanceTo(cycle: i64): void {
  const t = now();
  if (cycle > t) advance(cycle - t);
}

/** Force the next check point to call the core at once. */
export function requestCheck(): void {
  const t = now();
  epoch = t - 1;
  budget = BUDGET_BIAS - 1;
}

export function setSliceEnd(cycle: i64): void {
  sliceEnd = cycle;
  rearm();
}

export function getSliceEnd(): i64 { return sliceEnd; }

/** Re-arm the budget for the earliest of: the next alarm, the slice end. */
export function rearm(): void {
  const t = now();
  let deadline = sliceEnd;
  if (heapCount > 0) {
    const due = alarmDue(0);
    if (due < deadline) deadline = due;
  }
  if (deadline - t > MAX_STEP) deadline = t + MAX_STEP;
  if (deadline < t) deadline = t;
  epoch = deadline;
  budget = <i32>(deadline - t) + BUDGET_BIAS;
}

// ---- alarm queue ----------------------------------------------------------

/** Alarms the firmware's own hardware may hold at once (SysTick, timers, USARTs). */
export const ALARM_CAPACITY: i32 = 128;
/**
 * Alarms the host may hold at once (scheduled IRQs and pin levels). They
 * share the heap but never the firmware's slots: a host that schedules
 * too much is refused at its call, and the hardware's own alarms still fit.
 */
export const HOST_ALARM_CAPACITY: i32 = 64;
/** Marks a host alarm in its kind field. */
const HOST_FLAG: u16 = 0x8000;
const ALARM_BYTES: i32 = 16; // due: i64, seq: u32, kind: u16 (HOST_FLAG | kind), arg: u16
const alarms: usize = memory.data((ALARM_CAPACITY + HOST_ALARM_CAPACITY) * ALARM_BYTES);
let heapCount: i32 = 0;
let hostCount: i32 = 0;
let nextSeq: u32 = 0;

// @ts-ignore: decorator
@inline function slot(i: i32): usize { return alarms + <usize>(i * ALARM_BYTES); }
// @ts-ignore: decorator
@inline function alarmDue(i: i32): i64 { return load<i64>(slot(i)); }
// @ts-ignore: decorator
@inline function alarmSeq(i: i32): u32 { return load<u32>(slot(i), 8); }

function before(i: i32, j: i32): bool {
  const a = alarmDue(i), b = alarmDue(j);
  return a < b || (a == b && alarmSeq(i) - alarmSeq(j) >= 0x8000_0000);
}

function swap(i: i32, j: i32): void {
  const a = slot(i), b = slot(j);
  const d = load<i64>(a), r = load<i64>(a, 8);
  store<i64>(a, load<i64>(b)); store<i64>(a, load<i64>(b, 8), 8);
  store<i64>(b, d); store<i64>(b, r, 8);
}

function siftUp(i: i32): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(i, parent)) break;
    swap(i, parent);
    i = parent;
  }
}

function siftDown(i: i32): void {
  while (true) {
    const l = 2 * i + 1, r = l + 1;
    let m = i;
    if (l < heapCount && before(l, m)) m = l;
    if (r < heapCount && before(r, m)) m = r;
    if (m == i) break;
    swap(i, m);
    i = m;
  }
}

/** Add an alarm of the firmware's hardware; false when its slots are full (the caller reports it). */
export function schedule(due: i64, kind: u16, arg: u16): bool {
  if (heapCount - hostCount >= ALARM_CAPACITY) return false;
  insert(due, kind, arg);
  return true;
}

/** Add an alarm the host asked for; false when the host's slots are full. */
export function scheduleHost(due: i64, kind: u16, arg: u16): bool {
  if (hostCount >= HOST_ALARM_CAPACITY) return false;
  hostCount++;
  insert(due, kind | HOST_FLAG, arg);
  return true;
}

/** Host alarms pending (for the host's own bookkeeping). */
export function hostAlarms(): i32 { return hostCount; }

function insert(due: i64, kind: u16, arg: u16): void {
  const s = slot(heapCount);
  store<i64>(s, due);
  store<u32>(s, nextSeq++, 8);
  store<u16>(s, kind, 12);
  store<u16>(s, arg, 14);
  siftUp(heapCount++);
  rearm();
}

function removeAt(i: i32): void {
  if ((load<u16>(slot(i), 12) & HOST_FLAG) != 0) hostCount--;
  heapCount--;
  if (i != heapCount) {
    swap(i, heapCount);
    siftDown(i);
    siftUp(i);
  }
}

/** Remove every alarm of `kind` (and `arg`, unless arg is 0xFFFF). */
export function cancel(kind: u16, arg: u16 = 0xFFFF): void {
  for (let i = heapCount - 1; i >= 0; i--) {
    const s = slot(i);
    if ((load<u16>(s, 12) & ~HOST_FLAG) == kind && (arg == 0xFFFF || load<u16>(s, 14) == arg)) {
      removeAt(i);
      // removeAt may sift an unvisited ancestor down into slot i: rescan from the end.
      i = heapCount;
    }
  }
  rearm();
}

export function pendingAlarms(): i32 { return heapCount; }

/** The earliest alarm's cycle, or i64.MAX_VALUE. */
export function nextDue(): i64 {
  return heapCount > 0 ? alarmDue(0) : i64.MAX_VALUE;
}

/** The cycle the alarm popDue returned last was due at. */
export let lastDue: i64 = 0;

/** Pop the earliest alarm if it is due at `t`: returns (kind << 16 | arg), or -1. */
// @ts-ignore: decorator
@inline export function popDue(t: i64): i32 {
  if (heapCount == 0 || alarmDue(0) > t) return -1;
  const s = slot(0);
  lastDue = alarmDue(0);
  const result = (<i32>(load<u16>(s, 12) & ~HOST_FLAG) << 16) | <i32>load<u16>(s, 14);
  removeAt(0);
  return result;
}
