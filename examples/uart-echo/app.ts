/**
 * UART echo: USART2 (PA2 TX, PA3 RX, AF7) at 115200 baud, 8N1. Every byte
 * received is sent back from the RXNE interrupt. At 115200 baud with
 * PCLK1 = 42 MHz, BRR = 42 000 000 / 115 200 = 364.58, rounded to 365
 * (0x16D): a bit lasts 365 PCLK1 cycles, a 10-bit frame 3650 PCLK1 cycles,
 * 14 600 core cycles (86.9 us).
 *
 *   echo hello | npx hoprt run examples/uart-echo/app.ts --uart 2 --for 100ms
 */
import { irq, debug, gpio, usart } from "hoprt";

const PORT: u32 = 2;
const BAUD: u32 = 115200;
let echoed: u32 = 0;

function onUsart2(): void {
  const byte = usart.read(PORT); // SR then DR: clears RXNE (and an overrun)
  if (byte < 0) return;
  usart.write(PORT, <u32>byte);
  echoed++;
}

export function main(): void {
  gpio.configureAlternate(gpio.pin(gpio.PORT_A, 2), 7); // USART2_TX
  gpio.configureAlternate(gpio.pin(gpio.PORT_A, 3), 7); // USART2_RX
  usart.configure(PORT, BAUD);
  irq.attach(usart.irqOf(PORT), onUsart2, 5);
  irq.enable(usart.irqOf(PORT));
  usart.enableRxInterrupt(PORT);
  debug.print("uart-echo: USART2 at " + BAUD.toString() + " baud");
}
