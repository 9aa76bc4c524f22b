/**
 * Interrupt request lines from the peripherals to the NVIC.
 *
 * Model: every peripheral IRQ of the STM32F4 is level-sensitive. A
 * peripheral recomputes its request (flag AND enable, for each source it
 * ORs onto the line) after every change of state and drives the line here.
 * A rising level makes the IRQ pending at the cycle the peripheral event
 * happened (traced as irq_raise with source 3, "peripheral"); a line still
 * high when its handler returns pends it again (nvic.deactivate), so a
 * handler that does not clear its flag is re-entered, as on silicon.
 */
import * as nvic from "./nvic";
import * as clock from "./clock";
import * as trace from "../probe/trace";

/** EV_IRQ_RAISE's source for a peripheral request (0 host, 1 firmware, 2 scheduled). */
export const SOURCE_PERIPHERAL: u32 = 3;

/** Drive IRQ line `irq` (0..81) high or low; `cycle` is when the event happened. */
export function drive(irq: i32, high: bool, cycle: i64): void {
  const exc = nvic.IRQ_BASE + irq;
  if (nvic.setLevel(exc, high)) {
    trace.emitAt(cycle, trace.EV_IRQ_RAISE, 0, <u32>exc, SOURCE_PERIPHERAL);
    clock.requestCheck();
  }
}
