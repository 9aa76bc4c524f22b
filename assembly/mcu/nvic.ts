/**
 * The exception model of the Cortex-M4 core and the STM32F407's NVIC:
 * pending, active and enabled state, programmable priorities (4 implemented
 * bits, the upper nibble of each 8-bit field), PRIMASK and BASEPRI, priority
 * grouping, and the arbitration that decides whether a pending exception
 * preempts what runs (ARMv7-M ARM B1.5.4).
 *
 * Exception numbers: 1 Reset, 2 NMI, 3 HardFault, 4 MemManage, 5 BusFault,
 * 6 UsageFault, 11 SVCall, 12 DebugMonitor, 14 PendSV, 15 SysTick,
 * 16 + n for IRQ n (n < 82 on the STM32F407).
 */
import * as trace from "../probe/trace";

export const EXC_RESET: i32 = 1;
export const EXC_NMI: i32 = 2;
export const EXC_HARDFAULT: i32 = 3;
export const EXC_MEMMANAGE: i32 = 4;
export const EXC_BUSFAULT: i32 = 5;
export const EXC_USAGEFAULT: i32 = 6;
export const EXC_SVCALL: i32 = 11;
export const EXC_DEBUGMON: i32 = 12;
export const EXC_PENDSV: i32 = 14;
export const EXC_SYSTICK: i32 = 15;
export const IRQ_BASE: i32 = 16;
/** External interrupt lines of the STM32F407 (RM0090 table 61). */
export const IRQ_LINES: i32 = 82;
export const EXCEPTIONS: i32 = IRQ_BASE + IRQ_LINES;
/** Implemented priority bits: the upper nibble. */
export const PRIORITY_MASK: u8 = 0xF0;

// Per exception: its priority byte; pending, active and enabled as bitmaps
// (4 words cover exceptions 0..127), so arbitration visits only set bits.
const priority: usize = memory.data(EXCEPTIONS);
const WORDS: i32 = 4;
const pendingBits: usize = memory.data(WORDS * 4);
const activeBits: usize = memory.data(WORDS * 4);
const enabledBits: usize = memory.data(WORDS * 4);
/**
 * Request lines driven by the peripherals (level-sensitive, as on the
 * STM32F4): a rising level makes the IRQ pending; a line still high when its
 * handler returns makes it pending again (ARMv7-M B3.4.1). Pending state is
 * latched: a line that falls before the handler runs leaves it pending.
 */
const levelBits: usize = memory.data(WORDS * 4);

let activeCount: i32 = 0;
let primaskBit: bool = false;
let basepriValue: u8 = 0;
/** AIRCR.PRIGROUP: bits [PRIGROUP:0] of a priority are sub-priority. */
let prigroupValue: u32 = 0;

/** The arbitration result (preempting()), or -1 when any input changed since. */
let cachedPreempting: i32 = -1;
/** executionPriority() (negative while NMI or HardFault is active), or UNKNOWN when the active set, the masks or the priorities changed since. */
const UNKNOWN: i32 = 0x7FFF_FFFF;
let cachedExecution: i32 = 0x7FFF_FFFF; // UNKNOWN, as a literal: the global's initial value, not a store by the (instrumented) start function
// @ts-ignore: decorator
@inline function changed(): void { cachedPreempting = -1; cachedExecution = UNKNOWN; }
/** Only what is pending or enabled changed: the execution priority stands. */
// @ts-ignore: decorator
@inline function requestsChanged(): void { cachedPreempting = -1; }

export function primask(): bool { return primaskBit; }
export function setPrimask(on: bool): void { primaskBit = on; changed(); }
export function basepri(): u8 { return basepriValue; }
export function setBasepri(value: u8): void { basepriValue = value & PRIORITY_MASK; changed(); }
export function prigroup(): u32 { return prigroupValue; }
export function setPrigroup(value: u32): void { prigroupValue = value & 7; changed(); }

// @ts-ignore: decorator
@inline function wordOf(bits: usize, exc: i32): usize { return bits + (<usize>(exc >>> 5) << 2); }
// @ts-ignore: decorator
@inline function maskOf(exc: i32): u32 { return 1 << <u32>(exc & 31); }
// @ts-ignore: decorator
@inline function testBit(bits: usize, exc: i32): bool { return (load<u32>(wordOf(bits, exc)) & maskOf(exc)) != 0; }
// @ts-ignore: decorator
@inline function setBit(bits: usize, exc: i32): void { const w = wordOf(bits, exc); store<u32>(w, load<u32>(w) | maskOf(exc)); }
// @ts-ignore: decorator
@inline function clearBit(bits: usize, exc: i32): void { const w = wordOf(bits, exc); store<u32>(w, load<u32>(w) & ~maskOf(exc)); }

export function reset(): void {
  for (let e = 0; e < EXCEPTIONS; e++) store<u8>(priority + e, 0);
  for (let w = 0; w < WORDS; w++) {
    store<u32>(pendingBits + (<usize>w << 2), 0);
    store<u32>(activeBits + (<usize>w << 2), 0);
    store<u32>(enabledBits + (<usize>w << 2), 0);
    store<u32>(levelBits + (<usize>w << 2), 0);
  }
  activeCount = 0;
  primaskBit = false;
  basepriValue = 0;
  prigroupValue = 0;
  changed();
  // System exceptions are always enabled at the NVIC; their own enables live elsewhere.
  for (let e = EXC_NMI; e < IRQ_BASE; e++) setBit(enabledBits, e);
}

export function isValid(exc: i32): bool {
  return (exc >= EXC_NMI && exc <= EXC_USAGEFAULT) || exc == EXC_SVCALL || exc == EXC_DEBUGMON ||
    exc == EXC_PENDSV || exc == EXC_SYSTICK || (exc >= IRQ_BASE && exc < EXCEPTIONS);
}

/** The priority used for arbitration: fixed negatives for NMI/HardFault. */
export function priorityOf(exc: i32): i32 {
  if (exc == EXC_RESET) return -3;
  if (exc == EXC_NMI) return -2;
  if (exc == EXC_HARDFAULT) return -1;
  return <i32>load<u8>(priority + exc);
}

export function getPriority(exc: i32): u8 { return load<u8>(priority + exc); }

export function setPriority(exc: i32, value: u8): void {
  if (exc <= EXC_HARDFAULT) return; // fixed priorities
  store<u8>(priority + exc, value & PRIORITY_MASK);
  changed();
}

// @ts-ignore: decorator
@inline function groupPriority(p: i32): i32 {
  if (p < 0) return p;
  const subBits = prigroupValue + 1;
  return p & ~((1 << subBits) - 1) & 0xFF;
}

export function isPending(exc: i32): bool { return testBit(pendingBits, exc); }
export function isActive(exc: i32): bool { return testBit(activeBits, exc); }
export function isEnabled(exc: i32): bool { return testBit(enabledBits, exc); }

/**
 * A new pending exception updates a known arbitration result in place (a
 * context switch pends PendSV once, and the check point asks at once): it
 * wins if the best one pending before did (or there was none that
 * preempted) and it comes first in the order highestPending() visits, by
 * priority, then number; an exception that does not preempt cannot make one
 * that did stop preempting, nor can a disabled one change the answer.
 */
export function setPending(exc: i32): void {
  makePending(exc);
}

/** setPending(), inlined into its caller: for the core's own raise (never for instrumented code, where it would be charged). */
// @ts-ignore: decorator
@inline export function makePending(exc: i32): void {
  if (testBit(pendingBits, exc)) return;
  setBit(pendingBits, exc);
  const known = cachedPreempting;
  if (known < 0 || !testBit(enabledBits, exc)) return;
  const p = priorityOf(exc);
  if (known == 0) {
    const execution = cachedExecution != UNKNOWN ? cachedExecution : executionPriority();
    if (groupPriority(p) < execution) cachedPreempting = exc;
    return;
  }
  const q = priorityOf(known);
  if (p < q || (p == q && exc < known)) cachedPreempting = exc;
}

/** Clearing a pending exception changes the answer only if it was the answer. */
export function clearPending(exc: i32): void {
  if (!testBit(pendingBits, exc)) return;
  clearBit(pendingBits, exc);
  if (cachedPreempting == exc) cachedPreempting = -1;
}

export function setEnabled(exc: i32, on: bool): void {
  if (exc < IRQ_BASE) return;
  if (on) setBit(enabledBits, exc);
  else clearBit(enabledBits, exc);
  requestsChanged();
}

/**
 * Taking an exception: it is active, no longer pending. A known execution
 * priority only goes down to the exception's group (PRIMASK keeps holding
 * the configurable ones at 0); the arbitration is worked out again.
 */
// @ts-ignore: decorator
@inline export function activate(exc: i32): void {
  clearPending(exc);
  if (!isActive(exc)) {
    setBit(activeBits, exc);
    activeCount++;
    const known = cachedExecution;
    if (known != UNKNOWN) {
      const g = groupPriority(priorityOf(exc));
      if (g < known) cachedExecution = g;
    }
  }
  cachedPreempting = -1;
}

// @ts-ignore: decorator
@inline export function deactivate(exc: i32): void {
  if (isActive(exc)) { clearBit(activeBits, exc); activeCount--; }
  // A level-sensitive request still asserted at exception return pends again.
  if (testBit(levelBits, exc) && !testBit(pendingBits, exc)) {
    setBit(pendingBits, exc);
    trace.emit(trace.EV_IRQ_RAISE, 0, <u32>exc, 3);
  }
  changed();
  // Back in thread mode (the usual return) only the masks raise the execution priority.
  if (activeCount == 0) cachedExecution = maskedPriority(256);
  // Nothing pending (the usual return, a context switch's too): nothing preempts, known now
  // rather than worked out by preempting() at the dispatch loop's next look.
  if (!anyPending()) cachedPreempting = 0;
}

/** Drive a peripheral's request line; true on a rising edge (the exception became pending). */
export function setLevel(exc: i32, high: bool): bool {
  const was = testBit(levelBits, exc);
  if (high == was) return false;
  if (!high) { clearBit(levelBits, exc); return false; }
  setBit(levelBits, exc);
  setPending(exc);
  return true;
}

export function isLevelHigh(exc: i32): bool { return testBit(levelBits, exc); }

export function anyActive(): bool { return activeCount > 0; }

/** Current execution priority (256 = thread mode, nothing boosts it). */
export function executionPriority(): i32 {
  if (cachedExecution == UNKNOWN) cachedExecution = executionPriorityFromState();
  return cachedExecution;
}

/** executionPriority() worked out from the registers, no cached answer used (tests compare the two). */
export function executionPriorityFromState(): i32 {
  let p: i32 = 256;
  if (activeCount > 0) {
    for (let w = 0; w < WORDS; w++) {
      let bits = load<u32>(activeBits + (<usize>w << 2));
      while (bits != 0) {
        const e = (w << 5) + <i32>ctz(bits);
        bits &= bits - 1;
        const g = groupPriority(priorityOf(e));
        if (g < p) p = g;
      }
    }
  }
  return maskedPriority(p);
}

/** Execution priority `p` of the active exceptions, lowered by BASEPRI and PRIMASK. */
// @ts-ignore: decorator
@inline function maskedPriority(p: i32): i32 {
  if (basepriValue != 0) {
    const g = groupPriority(<i32>basepriValue);
    if (g < p) p = g;
  }
  if (primaskBit && p > 0) p = 0;
  return p;
}

/** Whether any enabled exception is pending (cheap: four words). */
export function anyPending(): bool {
  let any: u32 = 0;
  for (let w = 0; w < WORDS; w++) any |= load<u32>(pendingBits + (<usize>w << 2)) & load<u32>(enabledBits + (<usize>w << 2));
  return any != 0;
}

/** The highest-priority pending, enabled exception, or 0. */
export function highestPending(): i32 {
  let best = 0;
  let bestPriority: i32 = 0x7FFF_FFFF;
  for (let w = 0; w < WORDS; w++) {
    let bits = load<u32>(pendingBits + (<usize>w << 2)) & load<u32>(enabledBits + (<usize>w << 2));
    while (bits != 0) {
      const e = (w << 5) + <i32>ctz(bits);
      bits &= bits - 1;
      const p = priorityOf(e);
      // Lower value wins; on a tie the lower exception number (ARMv7-M B1.5.4), visited first.
      if (p < bestPriority) { best = e; bestPriority = p; }
    }
  }
  return best;
}

/** The pending exception that preempts the current execution priority, or 0. */
export function preempting(): i32 {
  if (cachedPreempting >= 0) return cachedPreempting;
  let result = 0;
  if (anyPending()) {
    const e = highestPending();
    if (e != 0 && groupPriority(priorityOf(e)) < executionPriority()) result = e;
  }
  cachedPreempting = result;
  return result;
}

/** preempting() worked out from the registers, no cached answer used (tests compare the two). */
export function preemptingFromState(): i32 {
  const e = highestPending();
  return e != 0 && groupPriority(priorityOf(e)) < executionPriorityFromState() ? e : 0;
}

/**
 * preempting(), with its cached answer read in place: the dispatch loop and the
 * check point ask several times a context switch, and the answer rarely changed.
 */
// @ts-ignore: decorator
@inline export function preemptingNow(): i32 {
  return cachedPreempting >= 0 ? cachedPreempting : preempting();
}
