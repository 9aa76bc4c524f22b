/**
 * GPIO helpers. A pin is a number: port * 16 + n (gpio.pin(gpio.PORT_D, 12)
 * is PD12); the Discovery's pins are in `board`. Configuring a pin enables
 * its port's clock first, as HAL code on silicon does.
 */
import * as bus from "../mcu/bus";
import * as errors from "../kernel/errors";
import { refuse } from "../kernel/context";
import { rcc } from "./rcc";

export namespace gpio {
  export const BASE: u32 = 0x40020000;
  export const STRIDE: u32 = 0x400;
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

  export const PORT_A: u32 = 0;
  export const PORT_B: u32 = 1;
  export const PORT_C: u32 = 2;
  export const PORT_D: u32 = 3;
  export const PORT_E: u32 = 4;
  export const PORT_F: u32 = 5;
  export const PORT_G: u32 = 6;
  export const PORT_H: u32 = 7;
  export const PORT_I: u32 = 8;

  export const MODE_INPUT: u32 = 0;
  export const MODE_OUTPUT: u32 = 1;
  export const MODE_ALTERNATE: u32 = 2;
  export const MODE_ANALOG: u32 = 3;
  export const PULL_NONE: u32 = 0;
  export const PULL_UP: u32 = 1;
  export const PULL_DOWN: u32 = 2;
  export const PUSH_PULL: u32 = 0;
  export const OPEN_DRAIN: u32 = 1;
  export const SPEED_LOW: u32 = 0;
  export const SPEED_MEDIUM: u32 = 1;
  export const SPEED_HIGH: u32 = 2;
  export const SPEED_VERY_HIGH: u32 = 3;

  /** The pin number of port `port`, pin `n`. */
  export function pin(port: u32, n: u32): u32 { return port * 16 + (n & 15); }
  export function portOf(p: u32): u32 { return p >> 4; }
  export function bitOf(p: u32): u32 { return p & 15; }
  /** The address of register `offset` of the pin's port. */
  export function reg(p: u32, offset: u32): u32 { return BASE + (p >> 4) * STRIDE + offset; }

  function field2(addr: u32, n: u32, value: u32): void {
    const shift = n * 2;
    bus.write32(addr, (bus.read32(addr) & ~(3 << shift)) | ((value & 3) << shift));
  }

  /** Configure a pin: mode, pull, output type (enables the port's clock). 0 or ERR_BAD_ARGUMENT. */
  export function configure(p: u32, mode: u32, pull: u32 = PULL_NONE, type: u32 = PUSH_PULL): i32 {
    if (p >= 9 * 16 || mode > 3 || pull > 2 || type > 1) return refuse(errors.ERR_BAD_ARGUMENT, p);
    rcc.enableGpio(p >> 4);
    const n = p & 15;
    const otyper = reg(p, OTYPER);
    bus.write32(otyper, (bus.read32(otyper) & ~(1 << n)) | (type << n));
    field2(reg(p, PUPDR), n, pull);
    field2(reg(p, MODER), n, mode);
    return errors.OK;
  }

  export function configureOutput(p: u32, type: u32 = PUSH_PULL): i32 { return configure(p, MODE_OUTPUT, PULL_NONE, type); }
  export function configureInput(p: u32, pull: u32 = PULL_NONE): i32 { return configure(p, MODE_INPUT, pull); }

  /** Alternate function `af` (0..15) on a pin, e.g. AF7 for USART1..3. */
  export function configureAlternate(p: u32, af: u32, pull: u32 = PULL_NONE, type: u32 = PUSH_PULL): i32 {
    if (af > 15) return refuse(errors.ERR_BAD_ARGUMENT, af);
    const r = configure(p, MODE_ALTERNATE, pull, type);
    if (r != errors.OK) return r;
    const n = p & 15;
    const addr = reg(p, n < 8 ? AFRL : AFRH);
    const shift = (n & 7) * 4;
    bus.write32(addr, (bus.read32(addr) & ~(0xF << shift)) | (af << shift));
    return errors.OK;
  }

  export function setSpeed(p: u32, speed: u32): void { field2(reg(p, OSPEEDR), p & 15, speed); }

  /** Drive an output high (BSRR set). */
  export function set(p: u32): void { bus.write32(reg(p, BSRR), 1 << (p & 15)); }
  /** Drive an output low (BSRR reset). */
  export function reset(p: u32): void { bus.write32(reg(p, BSRR), 1 << ((p & 15) + 16)); }
  export function write(p: u32, high: bool): void { if (high) set(p); else reset(p); }
  /** Invert an output (reads ODR, writes BSRR). */
  export function toggle(p: u32): void {
    const bit: u32 = 1 << (p & 15);
    const on = (bus.read32(reg(p, ODR)) & bit) != 0;
    bus.write32(reg(p, BSRR), on ? bit << 16 : bit);
  }
  /** The level on the pin (IDR). */
  export function read(p: u32): bool { return (bus.read32(reg(p, IDR)) & (1 << (p & 15))) != 0; }
  /** What the pin's output is set to (ODR). */
  export function outputOf(p: u32): bool { return (bus.read32(reg(p, ODR)) & (1 << (p & 15))) != 0; }

  export function readPort(port: u32): u32 { return bus.read32(BASE + port * STRIDE + IDR); }
  export function writePort(port: u32, value: u32): void { bus.write32(BASE + port * STRIDE + ODR, value & 0xFFFF); }

  /** Lock the configuration of `pins` (a mask) of `port` until reset; true if the lock took. */
  export function lock(port: u32, pins: u32): bool {
    const addr = BASE + port * STRIDE + LCKR;
    const key: u32 = 1 << 16;
    bus.write32(addr, key | pins);
    bus.write32(addr, pins);
    bus.write32(addr, key | pins);
    bus.read32(addr);
    return (bus.read32(addr) & key) != 0;
  }
}
