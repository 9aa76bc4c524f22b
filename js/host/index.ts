export { Machine, Console, Trace, Irq, SUPPORTED_ABI, IRQ_LINES, PANIC_REASONS } from "./machine.js";
export type { RunResult, StopReason, TaskStats, Panic, MachineOptions } from "./machine.js";
export { toPerfetto, decodeRecord, EVENT_KINDS, exceptionName } from "./trace.js";
export type { TraceEvent, EventKind } from "./trace.js";
export { parseDuration } from "./units.js";
export { GpioPin, Uart, parsePin, pinName, GPIO_PORTS, UART_NUMBERS } from "./peripherals.js";
export type { Level, PinMode } from "./peripherals.js";
export { toVcd, IRQ_NAMES } from "./vcd.js";
