/**
 * The vector table: for each exception number, the function table index of
 * its handler (0 = none). The kernel installs its handlers (PendSV, SysTick,
 * HardFault) and the application's (irq.attach) here.
 */
import { EXCEPTIONS } from "./nvic";

const table: usize = memory.data(EXCEPTIONS * 4);

export function setVector(exc: i32, functionIndex: u32): void {
  store<u32>(table + <usize>exc * 4, functionIndex);
}

export function getVector(exc: i32): u32 {
  return load<u32>(table + <usize>exc * 4);
}
