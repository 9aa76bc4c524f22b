/**
 * The firmware: the user button (PA0) counts presses on the LEDs. Its logic
 * lives in counter.ts, which tests/counter.spec.ts unit-tests under as-pect.
 *
 *   npx hoprt build app.ts -o app.wasm     # the firmware
 *   npx asp                                # the unit tests
 */
import { task, irq, debug, exti, board, Semaphore } from "hoprt";
import { Counter } from "./counter";

const LINE: u32 = 0; // PA0 -> EXTI0
const pressed = new Semaphore(8, 0);
const counter = new Counter();

function onExti0(): void {
  exti.clear(LINE);
  pressed.giveFromIsr();
}

function handler(arg: u32): void {
  while (true) {
    pressed.take();
    debug.print("count " + counter.press().toString());
  }
}

export function main(): void {
  board.initLeds();
  board.initButton();
  exti.configure(board.USER_BUTTON, exti.RISING);
  irq.attach(exti.irqOf(LINE), onExti0, 6);
  irq.enable(exti.irqOf(LINE));
  task.build().entry(handler).name("counter").priority(4).spawn();
}
