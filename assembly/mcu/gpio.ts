/**
 * GPIO ports A..I of the STM32F407 (RM0090 §8.4).
 *
 * Model: each pin has a level on the wire, computed from its mode and what
 * drives it:
 *  - output push-pull: ODR; output open-drain: 0 when ODR = 0, else released;
 *  - input, alternate function, a released open-drain output: the host's
 *    level when the host drives the pin, else the pull-up (1) or pull-down
 *    (0); a floating pin with no pull reads 0 (the Discovery's user button
 *    PA0 has an external pull-down). Peripheral outputs on alternate
 *    functions are not routed to the pins (USART data travels through the
 *    USART model itself);
 *  - analog: the Schmitt trigger is off, the pin reads 0.
 * IDR is these levels. Every change of a level is traced (EV_GPIO) at its
 * exact cycle and shown to EXTI (exti.ts), whose edge detectors see the pin
 * whatever its mode, as on silicon.
 * BSRR: a 1 in BRy resets ODRy, a 1 in BSy sets it; with both, BSy wins
 * (RM0090 §8.4.7: "If both BSx and BRx are set, BSx has priority"). BSRR
 * reads 0. IDR is read-only.
 * LCKR: the lock key sequence (write LCKK=1 + LCK, LCKK=0 + LCK, LCKK=1 +
 * LCK, then read) freezes MODER, OTYPER, OSPEEDR, PUPDR and AFRL/AFRH of
 * the LCK pins until a reset; any other write during the sequence aborts it.
 *
 * Invariants: the stored level of every port equals what the model above
 * gives for its registers and the host's drive (recompute() after every
 * change); the host's drive survives a peripheral reset (it is the world
 * outside the chip).
 */
import * as trace from "../probe/trace";
import * as exti from "./exti";
import * as core from "./core";
import { Context } from "./context";

export const BASE: u32 = 0x40020000;
export const STRIDE: u32 = 0x400;
export const PORTS: i32 = 9; // A..I
export const PINS: i32 = PORTS * 16;

export const MODER: u32 = 0x00;
export const OTYPER: u32 = 0x04;
export const OSPEEDR: u32 = 0x08;
export const PUPDR: u32 = 0x0C;
export const IDR: u32 = 0x10;
export const ODR: u32 = 0x14;
export const BSRR: u32 = 0x18;
export const LCKR: u32 = 0x1C;
export const AFRL: u32 = 0x20;
export const AFRH: u32 = 0x24;

export const MODE_INPUT: u32 = 0;
export const MODE_OUTPUT: u32 = 1;
export const MODE_ALTERNATE: u32 = 2;
export const MODE_ANALOG: u32 = 3;
export const LCKR_LCKK: u32 = 1 << 16;

// Reset values that differ from 0 (the debug port pins PA13..15, PB3..4).
export const MODER_RESET_A: u32 = 0xA800_0000;
export const MODER_RESET_B: u32 = 0x0000_0280;
export const OSPEEDR_RESET_A: u32 = 0x0C00_0000;
export const OSPEEDR_RESET_B: u32 = 0x0000_00C0;
export const PUPDR_RESET_A: u32 = 0x6400_0000;
export const PUPDR_RESET_B: u32 = 0x0000_0100;

// Causes of a level change (EV_GPIO's c).
export const CAUSE_FIRMWARE: u32 = 0;
export const CAUSE_HOST: u32 = 1;
export const CAUSE_SCHEDULED: u32 = 2;

// Per port, 64 bytes: the registers at their own offsets, then the model's state.
const PORT_BYTES: i32 = 64;
const S_LEVEL: usize = 0x10;      // the pin levels (IDR)
const S_DRIVEN: usize = 0x18;     // pins the host drives (BSRR's slot: BSRR stores nothing)
const S_LOCKED: usize = 0x28;     // the locked pins (LCKK = 1), else 0
const S_DRIVE: usize = 0x2C;      // the host's levels
const S_LOCKSEQ: usize = 0x30;    // lock sequence step (0..3)
const S_OUT: usize = 0x34;        // cache: pins in output mode
const S_ANALOG: usize = 0x38;     // cache: pins in analog mode
const S_PULLUP: usize = 0x3C;     // cache: pins with a pull-up
const ports: usize = memory.data(PORTS * PORT_BYTES);

// @ts-ignore: decorator
@inline function at(port: i32, offset: usize): usize { return ports + <usize>(port * PORT_BYTES) + offset; }
// @ts-ignore: decorator
@inline function get(port: i32, offset: usize): u32 { return load<u32>(at(port, offset)); }
// @ts-ignore: decorator
@inline function put(port: i32, offset: usize, value: u32): void { store<u32>(at(port, offset), value); }

/** The 16-bit mask of pins whose 2-bit field equals `value`. */
function fieldMask(reg: u32, value: u32): u32 {
  let mask: u32 = 0;
  for (let pin: u32 = 0; pin < 16; pin++) if (((reg >> (pin * 2)) & 3) == value) mask |= <u32>1 << pin;
  return mask;
}

/** Every 2-bit field of the pins in `pins` (a 16-bit mask). */
function spread2(pins: u32): u32 {
  let mask: u32 = 0;
  for (let pin: u32 = 0; pin < 16; pin++) if ((pins & (<u32>1 << pin)) != 0) mask |= <u32>3 << (pin * 2);
  return mask;
}

/** Every 4-bit field of the pins in `pins` >> shift (AFRL: shift 0, AFRH: shift 8). */
function spread4(pins: u32, shift: u32): u32 {
  let mask: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) if ((pins & (<u32>1 << (i + shift))) != 0) mask |= <u32>0xF << (i * 4);
  return mask;
}

function refreshCaches(port: i32): void {
  put(port, S_OUT, fieldMask(get(port, MODER), MODE_OUTPUT));
  put(port, S_ANALOG, fieldMask(get(port, MODER), MODE_ANALOG));
  put(port, S_PULLUP, fieldMask(get(port, PUPDR), 1));
}

/** The pin levels the model gives now (see the header). */
function levels(port: i32): u32 {
  const out = get(port, S_OUT);
  const od = out & get(port, OTYPER);
  const pushPull = out & ~od;
  const odr = get(port, ODR);
  const driven = get(port, S_DRIVEN);
  const external = (driven & get(port, S_DRIVE)) | (~driven & get(port, S_PULLUP));
  const released = ~(pushPull | (od & ~odr) | get(port, S_ANALOG));
  return ((pushPull & odr) | (released & external)) & 0xFFFF;
}

function contextId(): u32 {
  const ctx = core.current;
  return ctx == 0 ? 0 : changetype<Context>(ctx).id;
}

/** Recompute a port's levels; trace and forward each change. */
function recompute(port: i32, cause: u32, cycle: i64): void {
  const before = get(port, S_LEVEL);
  const after = levels(port);
  if (before == after) return;
  put(port, S_LEVEL, after);
  const ctx = cause == CAUSE_FIRMWARE ? contextId() : 0;
  let changed = before ^ after;
  while (changed != 0) {
    const pin = ctz(changed);
    changed &= changed - 1;
    const level = (after >> pin) & 1;
    trace.emitAt(cycle, trace.EV_GPIO, ctx, <u32>port * 16 + pin, level, cause);
    exti.pinChanged(port, <i32>pin, level != 0, cycle);
  }
}

export function resetPort(port: i32): void {
  put(port, MODER, port == 0 ? MODER_RESET_A : port == 1 ? MODER_RESET_B : 0);
  put(port, OTYPER, 0);
  put(port, OSPEEDR, port == 0 ? OSPEEDR_RESET_A : port == 1 ? OSPEEDR_RESET_B : 0);
  put(port, PUPDR, port == 0 ? PUPDR_RESET_A : port == 1 ? PUPDR_RESET_B : 0);
  put(port, ODR, 0);
  put(port, LCKR, 0);
  put(port, AFRL, 0);
  put(port, AFRH, 0);
  put(port, S_LOCKED, 0);
  put(port, S_LOCKSEQ, 0);
  refreshCaches(port);
}

/** Power-on reset: registers to reset values, the host drives nothing, levels settle silently. */
export function reset(): void {
  for (let port = 0; port < PORTS; port++) {
    put(port, S_DRIVEN, 0);
    put(port, S_DRIVE, 0);
    resetPort(port);
    put(port, S_LEVEL, levels(port));
  }
}

/** A peripheral reset (RCC AHB1RSTR): the registers reset, the world outside stays. */
export function peripheralReset(port: i32, cycle: i64): void {
  resetPort(port);
  recompute(port, CAUSE_FIRMWARE, cycle);
}

export function read(port: i32, offset: u32): u32 {
  switch (offset) {
    case MODER: case OTYPER: case OSPEEDR: case PUPDR: case ODR: case AFRL: case AFRH:
      return get(port, offset);
    case IDR: return get(port, S_LEVEL);
    case LCKR: {
      if (get(port, S_LOCKSEQ) == 3) {
        // The read that ends the key sequence activates the lock.
        put(port, S_LOCKSEQ, 0);
        const pins = get(port, LCKR) & 0xFFFF;
        put(port, S_LOCKED, pins | LCKR_LCKK);
        put(port, LCKR, pins | LCKR_LCKK);
        trace.emit(trace.EV_GPIO_LOCK, contextId(), <u32>port, pins);
      }
      return get(port, LCKR);
    }
  }
  return 0; // BSRR and reserved offsets read as zero
}

function writeLckr(port: i32, value: u32): void {
  if ((get(port, S_LOCKED) & LCKR_LCKK) != 0) return; // frozen until reset
  const pins = value & 0xFFFF;
  const key = (value & LCKR_LCKK) != 0;
  const step = get(port, S_LOCKSEQ);
  const same = pins == (get(port, LCKR) & 0xFFFF);
  let next: u32 = 0;
  if (step == 0 && key) next = 1;
  else if (step == 1 && !key && same) next = 2;
  else if (step == 2 && key && same) next = 3;
  else if (key) next = 1; // an error aborts the sequence; this write may start a new one
  put(port, S_LOCKSEQ, next);
  put(port, LCKR, pins);
}

/** A firmware write (through the bus). */
export function write(port: i32, offset: u32, value: u32, cycle: i64): void {
  const locked = get(port, S_LOCKED) & 0xFFFF;
  switch (offset) {
    case MODER: case OSPEEDR: case PUPDR: {
      const keep = spread2(locked);
      put(port, offset, (get(port, offset) & keep) | (value & ~keep));
      if (offset != OSPEEDR) { refreshCaches(port); recompute(port, CAUSE_FIRMWARE, cycle); }
      break;
    }
    case OTYPER: {
      put(port, OTYPER, (get(port, OTYPER) & locked) | (value & 0xFFFF & ~locked));
      recompute(port, CAUSE_FIRMWARE, cycle);
      break;
    }
    case AFRL: case AFRH: {
      const keep = spread4(locked, offset == AFRL ? 0 : 8);
      put(port, offset, (get(port, offset) & keep) | (value & ~keep));
      break;
    }
    case ODR: {
      put(port, ODR, value & 0xFFFF);
      recompute(port, CAUSE_FIRMWARE, cycle);
      break;
    }
    case BSRR: {
      // Reset first, then set: BSy has priority over BRy.
      put(port, ODR, ((get(port, ODR) & ~(value >> 16)) | value) & 0xFFFF);
      recompute(port, CAUSE_FIRMWARE, cycle);
      break;
    }
    case LCKR: writeLckr(port, value); break;
  }
}

// ---- the world outside: the host's side of the pins ----------------------------

export const LEVEL_LOW: i32 = 0;
export const LEVEL_HIGH: i32 = 1;
export const LEVEL_RELEASE: i32 = 2; // stop driving: the pin floats (pull, or 0)

export function validPin(pin: i32): bool { return pin >= 0 && pin < PINS; }

/** The host drives `pin` (port * 16 + n) to 0 or 1, or releases it. */
export function drive(pin: i32, level: i32, cause: u32, cycle: i64): void {
  const port = pin >> 4;
  const bit: u32 = <u32>1 << <u32>(pin & 15);
  let driven = get(port, S_DRIVEN);
  let drv = get(port, S_DRIVE);
  if (level == LEVEL_RELEASE) driven &= ~bit;
  else {
    driven |= bit;
    drv = level == LEVEL_HIGH ? drv | bit : drv & ~bit;
  }
  put(port, S_DRIVEN, driven);
  put(port, S_DRIVE, drv);
  recompute(port, cause, cycle);
}

/** The level on the wire (0 or 1). */
export function level(pin: i32): i32 {
  return <i32>((get(pin >> 4, S_LEVEL) >> <u32>(pin & 15)) & 1);
}

/** A pin's mode (MODE_*). */
export function mode(pin: i32): i32 {
  return <i32>((get(pin >> 4, MODER) >> <u32>((pin & 15) * 2)) & 3);
}

/** Whether the host drives the pin. */
export function hostDriven(pin: i32): bool {
  return ((get(pin >> 4, S_DRIVEN) >> <u32>(pin & 15)) & 1) != 0;
}
