/**
 * Button: the Discovery's user button (PA0) interrupts through EXTI line 0
 * on its rising edge (the press); the EXTI0 handler clears the line and
 * gives a semaphore; a task waiting on it toggles the blue LED (PD15) and
 * reports the press. The host presses the button:
 *
 *   m.gpio("PA0").setAt(cycle, 1); m.gpio("PA0").setAt(cycle + 1_000_000n, 0);
 */
import { task, irq, debug, time, gpio, exti, board, Semaphore } from "hoprt";

const LINE: u32 = 0; // PA0 -> EXTI0
let presses: u32 = 0;
let pressed: Semaphore | null = null;

function onExti0(): void {
  exti.clear(LINE);
  pressed!.giveFromIsr();
}

function handler(arg: u32): void {
  while (true) {
    pressed!.take();
    presses++;
    gpio.toggle(board.LED_BLUE);
    debug.print("press " + presses.toString() + " at tick " + time.ticks().toString());
  }
}

export function main(): void {
  pressed = new Semaphore(8, 0);
  board.initLeds();
  board.initButton();
  exti.configure(board.USER_BUTTON, exti.RISING);
  irq.attach(exti.irqOf(LINE), onExti0, 6);
  irq.enable(exti.irqOf(LINE));
  task.build().entry(handler).name("button").priority(4).spawn();
  debug.print("press the user button (PA0)");
}
