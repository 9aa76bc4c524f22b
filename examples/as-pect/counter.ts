/**
 * The application's own logic, in a module of its own so its unit tests can
 * import it: a press counter shown in binary on the Discovery's four LEDs
 * (PD12 green = bit 0, PD13 orange = bit 1, PD14 red = bit 2, PD15 blue = bit 3).
 */
import { gpio, board, debug } from "hoprt";

const LEDS: u32[] = [board.LED_GREEN, board.LED_ORANGE, board.LED_RED, board.LED_BLUE];

export class Counter {
  count: u32 = 0;

  /** Count one press (modulo 16, what four LEDs can show) and show it. */
  press(): u32 {
    this.count = (this.count + 1) & 15;
    show(this.count);
    if (this.count == 0) debug.print("counter wrapped");
    return this.count;
  }
}

/** Light the LEDs that are 1 in `value`'s low four bits. */
export function show(value: u32): void {
  for (let bit = 0; bit < 4; bit++) gpio.write(LEDS[bit], ((value >> <u32>bit) & 1) != 0);
}

/** What the LEDs show now. */
export function shown(): u32 {
  let value: u32 = 0;
  for (let bit = 0; bit < 4; bit++) if (gpio.outputOf(LEDS[bit])) value |= 1 << <u32>bit;
  return value;
}
