/**
 * The hardware abstraction layer for applications: helpers over the MMIO
 * bus for the STM32F407 peripherals, and the Discovery board's constants.
 * HAL code is application code: it is charged cycles like any other, and
 * reaches the peripherals only through the bus.
 */
export { rcc } from "./rcc";
export { gpio } from "./gpio";
export { exti } from "./exti";
export { usart } from "./usart";
export { timer } from "./timer";
export { board } from "./board";
