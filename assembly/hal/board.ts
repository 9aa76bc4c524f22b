/**
 * The STM32F4-Discovery board (STM32F407VG): its LEDs, its user button,
 * its crystal.
 */
import { gpio } from "./gpio";

export namespace board {
  /** LD4, green: PD12. */
  export const LED_GREEN: u32 = 3 * 16 + 12;
  /** LD3, orange: PD13. */
  export const LED_ORANGE: u32 = 3 * 16 + 13;
  /** LD5, red: PD14. */
  export const LED_RED: u32 = 3 * 16 + 14;
  /** LD6, blue: PD15. */
  export const LED_BLUE: u32 = 3 * 16 + 15;
  /** The four user LEDs as a GPIOD mask (PD12..PD15). */
  export const LEDS_MASK: u32 = 0xF000;
  /** B1, the blue user button: PA0, high when pressed (an external pull-down holds it low). */
  export const USER_BUTTON: u32 = 0;
  /** The HSE crystal: 8 MHz. */
  export const HSE_HZ: u32 = 8_000_000;

  /** The four LEDs as push-pull outputs, off. */
  export function initLeds(): void {
    gpio.configureOutput(LED_GREEN);
    gpio.configureOutput(LED_ORANGE);
    gpio.configureOutput(LED_RED);
    gpio.configureOutput(LED_BLUE);
  }

  /** The user button as an input (no internal pull: the board has its own pull-down). */
  export function initButton(): void {
    gpio.configureInput(USER_BUTTON, gpio.PULL_NONE);
  }

  export function buttonPressed(): bool { return gpio.read(USER_BUTTON); }
}
