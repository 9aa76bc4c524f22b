/**
 * Raw heap blocks (task stacks, kernel objects) from AssemblyScript's TLSF
 * allocator, with the accounting the kernel needs to refuse an allocation
 * that cannot fit instead of running out of SRAM mid-way.
 *
 * This file is atomic code (see js/compiler/rule.ts): charged, but never
 * suspended, so the allocator is never entered twice at once.
 */
import { SRAM_END } from "../../mcu/memmap";

/** TLSF's per-block header and alignment. */
const BLOCK_OVERHEAD: usize = 4;
const SIZE_MASK: usize = ~<usize>3;

export let heapUsed: usize = 0;
export let heapPeak: usize = 0;

export function heapCapacity(): usize {
  return SRAM_END - ((__heap_base + 15) & ~15);
}

export function blockBytes(payload: usize): usize {
  return (load<usize>(payload - BLOCK_OVERHEAD) & SIZE_MASK) + BLOCK_OVERHEAD;
}

/** Whether `bytes` more can be allocated, keeping `reserve` free for the system. */
export function heapFits(bytes: usize, reserve: usize): bool {
  return heapUsed + bytes + 64 + reserve <= heapCapacity();
}

export function heapAlloc(bytes: usize): usize {
  const payload = __alloc(bytes);
  heapUsed += blockBytes(payload);
  if (heapUsed > heapPeak) heapPeak = heapUsed;
  return payload;
}

export function heapFree(payload: usize): void {
  heapUsed -= blockBytes(payload);
  __free(payload);
}

/**
 * Resize a block by moving it (TLSF's own realloc copies with the standard
 * library's memory.copy, which is instrumented code); returns the new payload.
 */
export function heapRealloc(payload: usize, bytes: usize): usize {
  const old = blockBytes(payload) - BLOCK_OVERHEAD;
  const moved = heapAlloc(bytes);
  copyBytes(moved, payload, old < bytes ? old : bytes);
  heapFree(payload);
  return moved;
}

/** memset(0) for the heap: atomic code cannot call the standard library's instrumented memory.fill. */
export function zeroBytes(dest: usize, bytes: usize): void {
  let p = dest;
  const end = dest + bytes;
  while (p + 4 <= end) { store<u32>(p, 0); p += 4; }
  while (p < end) { store<u8>(p, 0); p++; }
}

/** memcpy for non-overlapping heap blocks. */
export function copyBytes(dest: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  while (i + 4 <= bytes) { store<u32>(dest + i, load<u32>(src + i)); i += 4; }
  while (i < bytes) { store<u8>(dest + i, load<u8>(src + i)); i++; }
}
