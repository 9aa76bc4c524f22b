/**
 * Where things live in linear memory.
 *
 * Linear memory from 0 to SRAM_END is the SRAM: static data, the main stack
 * (MSP) and the heap, which the allocator never takes beyond SRAM_END
 * (--lowMemoryLimit). Above it sit the debug probe's buffers, outside the
 * SRAM budget: the trace ring, the console ring, and, at the very end of
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

export const PROBE_END: usize = CONSOLE_RING + CONSOLE_HEADER_BYTES + <usize>CONSOLE_CAPACITY;
export const KILL_SCRATCH_BYTES: usize = 8192;
