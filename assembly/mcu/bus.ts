/**
 * The MMIO bus: peripherals at their STM32F407 / ARMv7-M addresses: the
 * core's (SysTick, SCB, NVIC, DWT) and the chip's (peripherals.ts).
 * An access to an address no peripheral answers is a bus fault: the
 * offending context panics with the address in the trace. Word accesses
 * only, except byte writes to NVIC_IPR. A bus fault never returns: the
 * context is unwinding away, or, where the build left this code out of
 * Asyncify's instrumentation (js/compiler/unwindable.ts), the trap after
 * the panic ends the run and the host finishes the panic (hoprt_fault).
 */
import * as scb from "./scb";
import * as systick from "./systick";
import * as dwt from "./dwt";
import * as core from "./core";
import * as peripherals from "./peripherals";

export const FAULT_BUS: u32 = 7;

function inRange(addr: u32, base: u32, size: u32): bool {
  return addr >= base && addr - base < size;
}

export function read32(addr: u32): u32 {
  if ((addr & 3) == 0) {
    if (addr - peripherals.REGION_BASE < peripherals.REGION_SIZE) {
      const value = peripherals.read32(addr);
      if (!peripherals.unmapped) return value;
      busFault(addr);
    }
    if (inRange(addr, systick.BASE, 0x10)) return systick.read(addr - systick.BASE);
    if (inRange(addr, scb.SCB_BASE, 0x28)) return scb.readScb(addr - scb.SCB_BASE);
    if (inRange(addr, scb.NVIC_ISER, 0x20C) || inRange(addr, scb.NVIC_IPR, 0x60)) {
      if ((addr & 0x7F) < 0x0C || addr >= scb.NVIC_IPR) return scb.readNvic(addr);
    }
    if (inRange(addr, dwt.BASE, 0x08)) return dwt.read(addr - dwt.BASE);
    if (addr == dwt.DEMCR_ADDR) return dwt.readDemcr();
  }
  busFault(addr);
  return 0;
}

export function write32(addr: u32, value: u32): void {
  if ((addr & 3) == 0) {
    if (addr - peripherals.REGION_BASE < peripherals.REGION_SIZE) {
      peripherals.write32(addr, value);
      if (!peripherals.unmapped) return;
      busFault(addr);
    }
    if (inRange(addr, systick.BASE, 0x10)) { systick.write(addr - systick.BASE, value); return; }
    if (inRange(addr, scb.SCB_BASE, 0x28)) { scb.writeScb(addr - scb.SCB_BASE, value); return; }
    if (addr == scb.NVIC_STIR) { scb.writeNvic(addr, value); return; }
    if (inRange(addr, scb.NVIC_ISER, 0x20C) || inRange(addr, scb.NVIC_IPR, 0x60)) {
      if ((addr & 0x7F) < 0x0C || addr >= scb.NVIC_IPR) { scb.writeNvic(addr, value); return; }
    }
    if (inRange(addr, dwt.BASE, 0x08)) { dwt.write(addr - dwt.BASE, value); return; }
    if (addr == dwt.DEMCR_ADDR) { dwt.writeDemcr(value); return; }
  }
  busFault(addr);
}

export function write8(addr: u32, value: u8): void {
  if (inRange(addr, scb.NVIC_IPR, <u32>82)) { scb.writeNvicByte(addr, value); return; }
  busFault(addr);
}

/** No peripheral answers `addr`: the context panics, and never comes back here (inlined, so the `unreachable` follows the kill at each call site). */
// @ts-ignore: decorator
@inline function busFault(addr: u32): void {
  core.kill(FAULT_BUS, addr);
  unreachable();
}
