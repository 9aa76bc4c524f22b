/**
 * Unit tests of counter.ts: HAL code against the MCU model, no firmware.
 * Every test starts from a freshly reset chip (testing.resetMachine).
 */
import { board, gpio, rcc } from "hoprt";
import { testing } from "hoprt/testing";
import { Counter, show, shown } from "../counter";

describe("counter", () => {
  beforeEach(() => {
    testing.resetMachine();
    board.initLeds();
  });

  it("starts from the chip's reset state, clocked as the startup code leaves it", () => {
    expect(rcc.hclkHz()).toBe(168_000_000);
    expect(shown()).toBe(0);
    expect(gpio.outputOf(board.LED_BLUE)).toBe(false);
  });

  it("shows a value in binary on PD12..PD15", () => {
    show(0b1010);
    expect(gpio.outputOf(board.LED_GREEN)).toBe(false);
    expect(gpio.outputOf(board.LED_ORANGE)).toBe(true);
    expect(gpio.outputOf(board.LED_RED)).toBe(false);
    expect(gpio.outputOf(board.LED_BLUE)).toBe(true);
    expect(shown()).toBe(10);
  });

  it("counts presses modulo 16 and says when it wraps", () => {
    const c = new Counter();
    for (let i = 1; i < 16; i++) expect(c.press()).toBe(<u32>i);
    expect(testing.consoleLines().length).toBe(0);
    expect(c.press()).toBe(0);
    expect(shown()).toBe(0);
    const lines = testing.consoleLines();
    expect(lines.length).toBe(1);
    expect(lines[0]).toBe("counter wrapped");
  });

  it("writes nothing while the LEDs' port has no clock (RCC gates GPIOD)", () => {
    testing.resetMachine(); // GPIOD's clock is off again
    show(15);
    expect(shown()).toBe(0);
  });
});
