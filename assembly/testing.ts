/**
 * For an application's own unit tests (as-pect, docs/as-pect.md): the
 * virtual STM32F4 without a running kernel. `import { testing } from
 * "hoprt/testing"` in a spec.
 *
 * HAL and register code runs against the MCU model exactly as in a firmware
 * (the same bus, reset values and clock tree). What needs the machine's
 * dispatch loop — blocking, sleeping, switching tasks, taking interrupts —
 * does not run here: no task is current (task.current() is -1 as u16),
 * blocking calls are refused, and anything that would suspend a context
 * stops the spec with an error naming the call (the preset's asyncify
 * imports). Test those in a firmware through the host (hoprt/host).
 */
import * as nvic from "./mcu/nvic";
import * as scb from "./mcu/scb";
import * as systick from "./mcu/systick";
import * as dwt from "./mcu/dwt";
import * as peripherals from "./mcu/peripherals";
import * as probeConsole from "./probe/console";
import * as trace from "./probe/trace";
import { CONSOLE_RING, CONSOLE_CAPACITY, CONSOLE_HEADER_BYTES } from "./mcu/memmap";

export namespace testing {
  /**
   * Power-on reset of the whole chip, then the board's startup code (168 MHz
   * from the 8 MHz HSE), as a firmware's main() finds it. Call it in
   * beforeEach so every test starts from the same state. The debug probe's
   * console and trace rings are emptied.
   */
  export function resetMachine(): void {
    nvic.reset();
    scb.reset();
    systick.reset();
    dwt.reset();
    trace.reset();
    probeConsole.reset();
    peripherals.reset();
  }

  /**
   * The console lines (debug.print) written since the last call or reset,
   * oldest first; reading them empties the ring. Lines longer than one
   * record arrive joined, as the host delivers them.
   */
  export function consoleLines(): string[] {
    const lines = new Array<string>();
    let read = load<u32>(CONSOLE_RING + 4);
    const written = load<u32>(CONSOLE_RING);
    let pending = "";
    while (read != written) {
      const kind = byteAt(read);
      const length = byteAt(read + 4) | (byteAt(read + 5) << 8) | (byteAt(read + 6) << 16) | (byteAt(read + 7) << 24);
      read += 8;
      if (kind == probeConsole.REC_LINE || kind == probeConsole.REC_LINE_PART) {
        const bytes = new ArrayBuffer(<i32>length);
        for (let i: u32 = 0; i < length; i++) store<u8>(changetype<usize>(bytes) + i, <u8>byteAt(read + i));
        pending += String.UTF16.decode(bytes);
        if (kind == probeConsole.REC_LINE) {
          lines.push(pending);
          pending = "";
        }
      }
      read += length;
    }
    store<u32>(CONSOLE_RING + 4, read);
    return lines;
  }

  /** Console lines dropped because the ring was full (nothing drains it between calls of consoleLines). */
  export function consoleDropped(): u32 {
    return load<u32>(CONSOLE_RING + 12);
  }
}

// @ts-ignore: decorator
@inline function byteAt(position: u32): u32 {
  return <u32>load<u8>(CONSOLE_RING + CONSOLE_HEADER_BYTES + <usize>(position & (CONSOLE_CAPACITY - 1)));
}
