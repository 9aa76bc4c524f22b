/** Kernel limits and defaults. */
export const MAX_TASKS: i32 = 32;
export const PRIORITY_LEVELS: i32 = 16;
export const IDLE_PRIORITY: u8 = 15;
export const MAIN_PRIORITY: u8 = 0;
export const DEFAULT_PRIORITY: u8 = 8;
/** Modelled frame bytes of a task stack; a save area of the same size sits below it. */
export const DEFAULT_STACK_BYTES: u32 = 2048;
export const MIN_STACK_BYTES: u32 = 256;
export const MAX_STACK_BYTES: u32 = 65536;
export const IDLE_STACK_BYTES: u32 = 512;
/** PendSV and SysTick run at the lowest priority, as in every Cortex-M RTOS. */
export const KERNEL_EXCEPTION_PRIORITY: u8 = 0xF0;
/** Heap kept free for the application's objects when spawning. */
export const HEAP_RESERVE: usize = 1024;
