/**
 * Where things live in linear memory.
 *
 * Linear memory from 0 to SRAM_END is the SRAM: static data, the main stack
 * (MSP) and the heap, which the allocator never takes beyond SRAM_END
 * (--lowMemoryLimit). Above it sit the debug probe's buffers, outside the
 * SRAM budget: the trace ring, the console ring, the UART wires, and, at the very end of
 * memory, the scratch area a dying context is unwound into (an overflow of
 * that area runs off the end of memory and traps instead of corrupting).
 */
// @ts-ignore: defined by the firmware build with --use HOPRT_SRAM_BYTES=...
export const SRAM_END: usize = isDefined(HOPRT_SRAM_BYTES) ? <usize>HOPRT_SRAM_BYTES : 131072;

export const TRACE_RECORD_BYTES: usize = 24;
export const TRACE_CAPACITY: u32 = 4096;
export const TRACE_HEADER_BYTES: usize = 16;
export const TRACE_RING: usize = SRAM_END;

export const CONSOLE_CAPACITY: u32 = 16384;
export const CONSOLE_RING: usize = TRACE_RING + TRACE_HEADER_BYTES + <usize>TRACE_CAPACITY * TRACE_RECORD_BYTES;
export const CONSOLE_HEADER_BYTES: usize = 16;

/**
 * The host's end of each USART's RX wire (usart.ts): a ring of entries
 * (u64: the cycle the byte may start << 8 | the byte) per USART (1, 2, 6),
 * after a 16-byte header (written u32, read u32). The host fills it ahead
 * of time; the USART takes the bytes off the wire at their modeled times.
 */
export const UART_LINE_ENTRIES: u32 = 512;
export const UART_LINE_HEADER_BYTES: usize = 16;
export const UART_LINE_BYTES: usize = UART_LINE_HEADER_BYTES + <usize>UART_LINE_ENTRIES * 8;
export const UART_LINES: i32 = 3;
export const UART_LINE_BASE: usize = CONSOLE_RING + CONSOLE_HEADER_BYTES + <usize>CONSOLE_CAPACITY;

export const PROBE_END: usize = UART_LINE_BASE + <usize>UART_LINES * UART_LINE_BYTES;
/** Where a context is unwound before its saved state is placed in its own stack (or discarded, when it dies). */
export const KILL_SCRATCH_BYTES: usize = 65536;
