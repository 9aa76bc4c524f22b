/**
 * Blinky: the STM32F4-Discovery's four LEDs count in binary, one step every
 * 250 ms, driven by the TIM2 update interrupt: green (PD12) toggles every
 * 250 ms, orange (PD13) every 500 ms, red (PD14) every second, blue (PD15)
 * every two seconds. A task prints each step to the console.
 *
 *   npx hoprt run examples/blinky/app.ts --for 2s --vcd blinky.vcd
 *
 * TIM2 counts the 84 MHz APB1 timer clock / (8399 + 1) = 10 kHz; an update
 * every 2499 + 1 counts is 250 ms (42 000 000 core cycles at 168 MHz).
 */
import { task, irq, debug, gpio, timer, board, Semaphore } from "hoprt";

const TIMER: u32 = 2;
const PRESCALER: u32 = 8399;
const RELOAD: u32 = 2499;

let step: u32 = 0;
let stepped: Semaphore | null = null;

function onTim2(): void {
  timer.clearUpdate(TIMER);
  step++;
  // One write to GPIOD's ODR: the four LEDs change on the same cycle.
  gpio.writePort(gpio.PORT_D, (step & 0xF) << 12);
  stepped!.giveFromIsr();
}

function on(bit: u32, name: string): string {
  return (step & bit) != 0 ? name : "-";
}

function reporter(arg: u32): void {
  while (true) {
    stepped!.take();
    debug.print("step " + step.toString() + ": " + on(1, "green") + " " + on(2, "orange") + " " + on(4, "red") + " " + on(8, "blue"));
  }
}

export function main(): void {
  stepped = new Semaphore(1, 0);
  board.initLeds();
  irq.attach(timer.irqOf(TIMER), onTim2, 5);
  irq.enable(timer.irqOf(TIMER));
  timer.start(TIMER, PRESCALER, RELOAD);
  timer.enableUpdateInterrupt(TIMER);
  task.build().entry(reporter).name("reporter").priority(8).spawn();
}
