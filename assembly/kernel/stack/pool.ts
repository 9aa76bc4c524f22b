/**
 * The stacklet pool: stacklets that functions returned from, kept for the
 * next extension of any context instead of going back to TLSF at once.
 *
 * Why machine-wide, not per task: one context runs at a time, so a few
 * blocks serve every task's deep phase in turn, where a child kept by each
 * task (as before) held every task's deepest phase at once, waiting or not:
 * more stack memory than static stacks sized to their peaks. A pool hit
 * costs a few loads and stores where a TLSF allocation, zeroing and free
 * cost about a thousand cycles, and a loop that calls across a stacklet
 * boundary takes back the block it has just returned, whatever its task.
 *
 *   slots: [oldest, ..., newest] (`pooled` of POOL_SLOTS)   each block's M_POOLED_AT: when it was pooled
 *
 * A pooled block keeps its metadata words but the 8 bytes at M_POOLED_AT
 * (an i64 cycle count, for ageing); it holds no frame, so it is no root of
 * the collector, and it is not zeroed again: its contents are some
 * context's stale frames, which the collector only ever sees under a frame
 * that has not written them yet (it checks every word against its object
 * starts, so a stale word can keep an object alive a while, never make a
 * freed one used).
 *
 * Invariants: slots [0, pooled) hold blocks, pooled longest ago first; a
 * block is in the pool, or held by one context, or free.
 * This file is atomic code (js/compiler/rule.ts): every loop here is counted
 * (POOL_SLOTS trips), so the build's report bounds it.
 */
import { blockBytes } from "../memory/heap";

/** Blocks the pool keeps at most (0: every stacklet goes back to the heap on return, as Hopter's). */
// @ts-ignore: defined by the firmware build with --use HOPRT_STACKLET_POOL=...
export const POOL_SLOTS: u32 = isDefined(HOPRT_STACKLET_POOL) ? <u32>HOPRT_STACKLET_POOL : 1;

const M_POOLED_AT: usize = 16; // a stacklet's M_EXTENSIONS and M_SIGNATURE words: not needed while pooled

// A stack: slots [0, pooled) hold blocks, oldest first; the newest, on top, is the one a
// loop that keeps crossing a boundary takes back, so it is tried first.
const slots: usize = memory.data(<i32>(POOL_SLOTS > 0 ? POOL_SLOTS : 1) << 2);
export let pooled: u32 = 0;

// @ts-ignore: decorator
@inline function slotAt(i: u32): usize { return slots + (<usize>i << 2); }

/** Take the block in slot `index` out, the newer ones moving down a slot. */
function removeAt(index: u32): usize {
  const block = load<usize>(slotAt(index));
  for (let i: u32 = 1; i < POOL_SLOTS; i++) {
    if (i > index && i < pooled) store<usize>(slotAt(i - 1), load<usize>(slotAt(i)));
  }
  pooled--;
  return block;
}

/**
 * A pooled block of `want` to `most` bytes (TLSF's header included, as blockBytes
 * counts), taken out of the pool: the newest if it fits (inlined: the common case costs
 * no call), else the smallest that does; 0 when none does.
 */
// @ts-ignore: decorator
@inline export function takeFitting(want: usize, most: usize): usize {
  let block: usize = 0;
  if (pooled != 0) {
    const top = pooled - 1;
    const newest = load<usize>(slotAt(top));
    const bytes = blockBytes(newest);
    if (bytes >= want && bytes <= most) {
      pooled = top;
      block = newest;
    } else block = takeOlderFitting(want, most);
  }
  return block;
}

/** The newest pooled block, left in the pool (0 when the pool is empty): the stack's fast path tries it first. */
// @ts-ignore: decorator
@inline export function newest(): usize {
  const count = pooled;
  return count != 0 ? load<usize>(slotAt(count - 1)) : 0;
}

/** Take the newest pooled block out of the pool (there is one: `newest` gave it). */
// @ts-ignore: decorator
@inline export function dropNewest(): void {
  pooled--;
}

/** The smallest block below the newest of `want` to `most` bytes, taken out of the pool (or 0). */
export function takeOlderFitting(want: usize, most: usize): usize {
  let best: u32 = POOL_SLOTS;
  let bestBytes: usize = most + 1;
  for (let i: u32 = 0; i < POOL_SLOTS; i++) {
    if (i + 1 < pooled) {
      const bytes = blockBytes(load<usize>(slotAt(i)));
      if (bytes >= want && bytes < bestBytes) {
        bestBytes = bytes;
        best = i;
      }
    }
  }
  return best == POOL_SLOTS ? 0 : removeAt(best);
}

/**
 * Pool `block` (returned at cycle `now`) as the newest. The pool full, its oldest block
 * makes room: returned to the caller to give back to the heap (else 0).
 */
// @ts-ignore: decorator
@inline export function put(block: usize, now: i64): usize {
  const evicted = pooled == POOL_SLOTS ? takeOldest() : 0;
  store<usize>(slotAt(pooled), block);
  store<i64>(block + M_POOLED_AT, now);
  pooled++;
  return evicted;
}

/** The block pooled longest ago, taken out of the pool (0 when the pool is empty). */
export function takeOldest(): usize {
  if (pooled == 0) return 0;
  return removeAt(0);
}

/** The pooled block in slot `i` (< pooled), oldest first: the host's figures read them (inlined into hardware: no cycle charged). */
// @ts-ignore: decorator
@inline export function pooledAt(i: u32): usize { return load<usize>(slotAt(i)); }

/** Whether the block pooled longest ago was pooled before cycle `before` (the idle task gives it back then). */
export function oldestBefore(before: i64): bool {
  return pooled != 0 && load<i64>(load<usize>(slots) + M_POOLED_AT) < before;
}
