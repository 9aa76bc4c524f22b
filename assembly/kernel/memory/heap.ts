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

/** Resize a block, which may move it; returns the new payload address. */
export function heapRealloc(payload: usize, bytes: usize): usize {
  heapUsed -= blockBytes(payload);
  const moved = __realloc(payload, bytes);
  heapUsed += blockBytes(moved);
  if (heapUsed > heapPeak) heapPeak = heapUsed;
  return moved;
}
