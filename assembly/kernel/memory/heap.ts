/**
 * Raw heap blocks (task stacks, kernel objects) from AssemblyScript's TLSF
 * allocator, with the accounting the kernel needs to refuse an allocation
 * that cannot fit instead of running out of SRAM mid-way.
 *
 * This file is atomic code (see js/compiler/rule.ts): charged, but never
 * suspended, so the allocator is never entered twice at once.
 */
import { SRAM_END } from "../../mcu/memmap";
import { ROOT } from "rt/tlsf";

/** TLSF's per-block header and alignment. */
const BLOCK_OVERHEAD: usize = 4;
const SIZE_MASK: usize = ~<usize>3;

export let heapUsed: usize = 0;
export let heapPeak: usize = 0;

export function heapCapacity(): usize {
  return SRAM_END - ((__heap_base + 15) & ~15);
}

// @ts-ignore: decorator
@inline export function blockBytes(payload: usize): usize {
  return (load<usize>(payload - BLOCK_OVERHEAD) & SIZE_MASK) + BLOCK_OVERHEAD;
}

/** Whether `bytes` more can be allocated, keeping `reserve` free for the system. */
export function heapFits(bytes: usize, reserve: usize): bool {
  return heapUsed + bytes + 64 + reserve <= heapCapacity();
}

// TLSF's geometry (rt/tlsf.ts): 16-byte alignment, 16 second-level lists, small blocks below 256 bytes.
const AL_BITS: u32 = 4;
const AL_MASK: usize = 15;
const SL_BITS: u32 = 4;
const SB_BITS: u32 = SL_BITS + AL_BITS;
const SB_SIZE: usize = 1 << SB_BITS;
const BLOCK_MINSIZE: usize = ((3 * 4 + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
const SL_MAP_OFFSET: usize = 4;

/**
 * Whether TLSF has a free block for `bytes` (its own search, read-only):
 * out of SRAM is then a reported condition, never TLSF's trap. Checked only
 * once the heap is half full, where fragmentation can refuse a request.
 */
function tlsfHasBlock(bytes: usize): bool {
  if (ROOT == null) return true; // not initialised yet: the whole heap is free
  let size = bytes <= BLOCK_MINSIZE ? BLOCK_MINSIZE : ((bytes + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
  let fl: u32, sl: u32;
  if (size < SB_SIZE) {
    fl = 0;
    sl = <u32>(size >> AL_BITS);
  } else {
    size = size + (<usize>1 << (31 - <u32>clz(size) - SL_BITS)) - 1;
    fl = 31 - <u32>clz(size);
    sl = <u32>(size >> (fl - SL_BITS)) ^ (1 << SL_BITS);
    fl -= SB_BITS - 1;
  }
  const root = changetype<usize>(ROOT);
  if (fl < 32 - SB_BITS && sl < 32 && (load<u32>(root + SL_MAP_OFFSET + (<usize>fl << 2)) & (~0 << sl)) != 0) return true;
  return fl + 1 < 32 && (load<u32>(root) & (~0 << (fl + 1))) != 0;
}

/** A block of `bytes`, or 0 if the heap has none (the caller reports it). */
export function heapAlloc(bytes: usize): usize {
  if (heapUsed + bytes > heapCapacity() >> 1 && !tlsfHasBlock(bytes)) return 0;
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
 * Resize a block by moving it (0, leaving it as it was, if there is no room) (TLSF's own realloc copies with the standard
 * library's memory.copy, which is instrumented code); returns the new payload.
 */
export function heapRealloc(payload: usize, bytes: usize): usize {
  const old = blockBytes(payload) - BLOCK_OVERHEAD;
  const moved = heapAlloc(bytes);
  if (moved == 0) return 0;
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
