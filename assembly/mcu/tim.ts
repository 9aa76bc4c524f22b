/**
 * TIM2..TIM5, the general-purpose timers, as up-counting time bases
 * (RM0090 §18.3.1-18.3.2, §18.4).
 *
 * Model: the counter clock CK_INT is the APB1 timer clock (rcc.ts: PCLK1,
 * x2 when the APB1 prescaler is not 1); CK_CNT = CK_INT / (PSC + 1). While
 * CEN = 1 (and ARR != 0: "the counter is blocked while the auto-reload
 * value is null") CNT counts up; the count after ARR is an overflow: CNT
 * wraps to 0 and, unless UDIS, an update event (UEV) moves the PSC and (with
 * ARPE) ARR preloads into their shadows and sets UIF; with OPM the counter
 * then stops (CEN = 0). A CNT above ARR counts up to its maximum (0xFFFF
 * for TIM3/TIM4, 0xFFFFFFFF for TIM2/TIM5) and wraps to 0 without an update.
 * EGR.UG clears the counter and the prescaler counter and, unless UDIS,
 * makes an update event, which sets UIF unless URS. CCxG/TG set
 * CCxIF/TIF. SR flags are cleared by writing 0 (rc_w0).
 * The counter is not stepped: it is computed from the cycle clock (a base
 * cycle and count), so CNT reads back exactly at any cycle and an update
 * is one alarm at its exact cycle. Counting starts on the cycle CEN is
 * written (the one-CK_INT enable delay of §18.3.2 is not modeled).
 * The interrupt line (TIM2 28, TIM3 29, TIM4 30, TIM5 50) is
 * OR(SR & DIER) over UIF/CCxIF/TIF, level-sensitive (irqline.ts).
 * Not modeled: down/center-aligned counting (DIR, CMS are stored), input
 * capture and output compare (CCRx are plain registers; the counter never
 * sets CCxIF), slave modes and triggers, DMA, the OR remaps.
 *
 * Invariants: while counting, CNT(t) = (baseCnt + (t - base) / k) mod
 * (max + 1) with k = CK_INT period x (pscActive + 1) in core cycles, and
 * exactly one update alarm is queued, at `nextUpdate`; when not counting,
 * CNT = stoppedCnt and no alarm is live.
 */
import * as clock from "./clock";
import * as rcc from "./rcc";
import * as irqline from "./irqline";
import * as trace from "../probe/trace";

export const BASE: u32 = 0x40000000; // TIM2; TIM3..TIM5 follow every 0x400
export const STRIDE: u32 = 0x400;
export const COUNT: i32 = 4;         // instances: 0 = TIM2 .. 3 = TIM5

export const CR1: u32 = 0x00;
export const CR2: u32 = 0x04;
export const SMCR: u32 = 0x08;
export const DIER: u32 = 0x0C;
export const SR: u32 = 0x10;
export const EGR: u32 = 0x14;
export const CCMR1: u32 = 0x18;
export const CCMR2: u32 = 0x1C;
export const CCER: u32 = 0x20;
export const CNT: u32 = 0x24;
export const PSC: u32 = 0x28;
export const ARR: u32 = 0x2C;
export const CCR1: u32 = 0x34;
export const CCR2: u32 = 0x38;
export const CCR3: u32 = 0x3C;
export const CCR4: u32 = 0x40;
export const DCR: u32 = 0x48;
export const DMAR: u32 = 0x4C;
export const OR: u32 = 0x50;

export const CR1_CEN: u32 = 1 << 0;
export const CR1_UDIS: u32 = 1 << 1;
export const CR1_URS: u32 = 1 << 2;
export const CR1_OPM: u32 = 1 << 3;
export const CR1_ARPE: u32 = 1 << 7;
export const DIER_UIE: u32 = 1 << 0;
export const SR_UIF: u32 = 1 << 0;
export const EGR_UG: u32 = 1 << 0;
const SR_RC_W0: u32 = 0x1E5F;
const IRQ_SOURCES: u32 = 0x5F; // UIF, CC1IF..CC4IF, TIF

export const UPDATE_OVERFLOW: u32 = 0;
export const UPDATE_SOFTWARE: u32 = 1;

const ALARM_TIM: u16 = 3; // mirrors core.ALARM_TIM

// Per instance, 128 bytes: the registers at their own offsets (0x00..0x50), then the model's state.
const T_BYTES: i32 = 128;
const S_PSC_ACTIVE: usize = 0x58;
const S_ARR_ACTIVE: usize = 0x5C;
const S_COUNTING: usize = 0x60;  // 1 while the counter runs (base, baseCnt, k, nextUpdate valid)
const S_BASE_CNT: usize = 0x64;
const S_BASE: usize = 0x68;      // i64
const S_K: usize = 0x70;         // i64: core cycles per count
const S_NEXT: usize = 0x78;      // i64: the cycle of the next overflow
const S_PHASE: usize = 0x44;     // stopped: core cycles into the current count (0x44 is reserved in the map)
const timers: usize = memory.data(COUNT * T_BYTES);

// @ts-ignore: decorator
@inline function at(i: i32, offset: usize): usize { return timers + <usize>(i * T_BYTES) + offset; }
// @ts-ignore: decorator
@inline function get(i: i32, offset: usize): u32 { return load<u32>(at(i, offset)); }
// @ts-ignore: decorator
@inline function put(i: i32, offset: usize, value: u32): void { store<u32>(at(i, offset), value); }
// @ts-ignore: decorator
@inline function get64(i: i32, offset: usize): i64 { return load<i64>(at(i, offset)); }
// @ts-ignore: decorator
@inline function put64(i: i32, offset: usize, value: i64): void { store<i64>(at(i, offset), value); }

/** TIM2 and TIM5 are 32-bit, TIM3 and TIM4 16-bit. */
export function maxCount(i: i32): u32 { return i == 0 || i == 3 ? 0xFFFF_FFFF : 0xFFFF; }
export function numberOf(i: i32): u32 { return <u32>i + 2; }
export function irqOf(i: i32): i32 { return i == 0 ? 28 : i == 1 ? 29 : i == 2 ? 30 : 50; }
export function enableBit(i: i32): u32 { return rcc.APB1ENR_TIM2EN << <u32>i; }
function clocked(i: i32): bool { return rcc.enabled(rcc.BUS_APB1, enableBit(i)); }

export function reset(): void {
  for (let i = 0; i < COUNT; i++) resetTimer(i);
}

function resetTimer(i: i32): void {
  for (let o: usize = 0; o < <usize>T_BYTES; o += 4) store<u32>(at(i, o), 0);
  put64(i, S_NEXT, -1);
}

/** A peripheral reset (RCC APB1RSTR). */
export function peripheralReset(i: i32, cycle: i64): void {
  resetTimer(i);
  irqline.drive(irqOf(i), false, cycle);
}

function updateIrq(i: i32, cycle: i64): void {
  irqline.drive(irqOf(i), (get(i, SR) & get(i, DIER) & IRQ_SOURCES) != 0, cycle);
}

function shouldCount(i: i32): bool {
  return (get(i, CR1) & CR1_CEN) != 0 && get(i, S_ARR_ACTIVE) != 0 && clocked(i);
}

/** The raw count at `t` while counting (may exceed max + 1 only past a missed overflow). */
function rawCount(i: i32, t: i64): u64 {
  return <u64>get(i, S_BASE_CNT) + <u64>((t - get64(i, S_BASE)) / get64(i, S_K));
}

/** CNT at cycle `t`. */
export function count(i: i32, t: i64): u32 {
  if (get(i, S_COUNTING) == 0) return get(i, CNT);
  const max = maxCount(i);
  return <u32>(rawCount(i, t) & <u64>max);
}

/** Stop the running count at `t`, keeping CNT and the prescaler's phase. */
function freeze(i: i32, t: i64): void {
  if (get(i, S_COUNTING) == 0) return;
  put(i, CNT, count(i, t));
  put(i, S_PHASE, <u32>((t - get64(i, S_BASE)) % get64(i, S_K)));
  put(i, S_COUNTING, 0);
  put64(i, S_NEXT, -1);
  clock.cancel(ALARM_TIM, <u16>i);
}

/** Start counting at `t` from CNT (and the kept phase) if the timer should count. */
function resume(i: i32, t: i64): void {
  if (!shouldCount(i)) return;
  const k = rcc.timerTickCycles(rcc.BUS_APB1) * (<i64>get(i, S_PSC_ACTIVE) + 1);
  let phase = <i64>get(i, S_PHASE);
  if (phase >= k) phase = 0;
  const cnt = get(i, CNT);
  const arr = get(i, S_ARR_ACTIVE);
  const max = maxCount(i);
  // Counts to the next overflow: up to ARR, or past the maximum and round to ARR.
  const counts: i64 = cnt <= arr ? <i64>(arr - cnt) + 1 : (<i64>max - <i64>cnt + 1) + <i64>arr + 1;
  const base = t - phase;
  put(i, S_COUNTING, 1);
  put(i, S_BASE_CNT, cnt);
  put64(i, S_BASE, base);
  put64(i, S_K, k);
  const next = base + counts * k;
  put64(i, S_NEXT, next);
  clock.schedule(next, ALARM_TIM, <u16>i);
}

/** Re-derive the running count after a change of its inputs (clock, enable, ARR, CNT). */
export function retime(i: i32, t: i64): void {
  freeze(i, t);
  resume(i, t);
}

function updateEvent(i: i32, cause: u32, cycle: i64): void {
  put(i, S_PSC_ACTIVE, get(i, PSC));
  put(i, S_ARR_ACTIVE, get(i, ARR));
  const cr1 = get(i, CR1);
  if (cause == UPDATE_OVERFLOW || (cr1 & CR1_URS) == 0) put(i, SR, get(i, SR) | SR_UIF);
  trace.emitAt(cycle, trace.EV_TIM_UPDATE, 0, numberOf(i), cause);
  updateIrq(i, cycle);
}

/** The update alarm: the counter overflows at `due`. */
export function onOverflow(i: i32, due: i64): void {
  if (get(i, S_COUNTING) == 0 || get64(i, S_NEXT) != due) return; // stale
  put(i, S_COUNTING, 0);
  put64(i, S_NEXT, -1);
  put(i, CNT, 0);
  put(i, S_PHASE, 0);
  const cr1 = get(i, CR1);
  if ((cr1 & CR1_UDIS) == 0) updateEvent(i, UPDATE_OVERFLOW, due);
  if ((cr1 & CR1_OPM) != 0) put(i, CR1, cr1 & ~CR1_CEN);
  resume(i, due);
}

export function read(i: i32, offset: u32, cycle: i64): u32 {
  if (offset == CNT) return count(i, cycle);
  if (offset == EGR) return 0; // write-only
  if (offset <= OR && (offset & 3) == 0 && offset != 0x30 && offset != 0x44) return get(i, offset);
  return 0;
}

export function write(i: i32, offset: u32, value: u32, cycle: i64): void {
  const max = maxCount(i);
  switch (offset) {
    case CR1: {
      const before = get(i, CR1);
      put(i, CR1, value & 0x3FF);
      // Without ARPE the ARR register is not buffered: its value is in use at once.
      if ((value & CR1_ARPE) == 0) put(i, S_ARR_ACTIVE, get(i, ARR));
      if (((before ^ value) & CR1_CEN) != 0 || (value & CR1_ARPE) == 0) retime(i, cycle);
      break;
    }
    case CR2: put(i, CR2, value & 0xF8); break;
    case SMCR: put(i, SMCR, value & 0xFFF7); break;
    case DIER: put(i, DIER, value & 0x5F5F); updateIrq(i, cycle); break;
    case SR: put(i, SR, get(i, SR) & (value | ~SR_RC_W0)); updateIrq(i, cycle); break;
    case EGR: {
      if ((value & EGR_UG) != 0) {
        freeze(i, cycle);
        put(i, CNT, 0);
        put(i, S_PHASE, 0);
        if ((get(i, CR1) & CR1_UDIS) == 0) updateEvent(i, UPDATE_SOFTWARE, cycle);
        resume(i, cycle);
      }
      const flags = value & 0x5E; // CC1G..CC4G, TG set CC1IF..CC4IF, TIF
      if (flags != 0) { put(i, SR, get(i, SR) | flags); updateIrq(i, cycle); }
      break;
    }
    case CCMR1: case CCMR2: put(i, offset, value & 0xFFFF); break;
    case CCER: put(i, CCER, value & 0xBBBB); break;
    case CNT: {
      freeze(i, cycle);
      put(i, CNT, value & max);
      resume(i, cycle);
      break;
    }
    case PSC: put(i, PSC, value & 0xFFFF); break; // takes effect at the next update event
    case ARR: {
      put(i, ARR, value & max);
      if ((get(i, CR1) & CR1_ARPE) == 0) {
        put(i, S_ARR_ACTIVE, value & max);
        retime(i, cycle);
      }
      break;
    }
    case CCR1: case CCR2: case CCR3: case CCR4: put(i, offset, value & max); break;
    case DCR: put(i, DCR, value & 0x1F1F); break;
    case DMAR: put(i, DMAR, value & 0xFFFF); break;
    case OR: {
      if (i == 0) put(i, OR, value & 0x0C00);
      else if (i == 3) put(i, OR, value & 0x00C0);
      break;
    }
  }
}

/** The clocks or the timer's enable changed (peripherals.ts): re-derive the count. */
export function clockChanged(cycle: i64): void {
  for (let i = 0; i < COUNT; i++) retime(i, cycle);
}
