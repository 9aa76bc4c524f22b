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
 *   slots: [oldest, ..., newest] (`pooled` of POOL_SLOTS)
 *
 * Ageing: a return only marks the pool `touched` (one store: it runs on
 * every crossing); the idle task, which looks at the pool whenever it runs,
 * notes when it first saw it untouched, and once the pool has gone
 * POOL_AGE_MS without a block coming back it gives the pooled blocks back to
 * the heap, the oldest first. (A cycle stamp per pooled block cost every
 * return a clock read and a doubleword store.)
 *
 * A pooled block keeps its metadata words; it holds no frame, so it is no
 * root of the collector, and it is not zeroed again: its contents are some
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

/**
 * The pooled block in slot `i` (< pooled), oldest first; the newest is in slot pooled - 1.
 * Inlined: into the kernel's fast path, and into hardware for the host's figures (no cycle charged there).
 */
// @ts-ignore: decorator
@inline export function blockAt(i: u32): usize { return load<usize>(slotAt(i)); }

/** Take the newest pooled block out of the pool, `count` (> 0) being how many it held (the caller read it). */
// @ts-ignore: decorator
@inline export function dropNewest(count: u32): void {
  pooled = count - 1;
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

/** A block came back to the pool since the idle task last looked (ageing: quietLongerThan). */
let touched: bool = false;
/** When the idle task first saw the pool untouched since the last block came back. */
let quietSince: i64 = 0;

/**
 * Pool `block` as the newest. The pool full, its oldest block makes room: returned to the
 * caller to give back to the heap (else 0).
 */
// @ts-ignore: decorator
@inline export function put(block: usize): usize {
  let count = pooled;
  let evicted: usize = 0;
  if (count == POOL_SLOTS) {
    evicted = takeOldest();
    count--;
  }
  store<usize>(slotAt(count), block);
  pooled = count + 1;
  touched = true;
  return evicted;
}

/** The block pooled longest ago, taken out of the pool (0 when the pool is empty). */
export function takeOldest(): usize {
  if (pooled == 0) return 0;
  return removeAt(0);
}


/**
 * Whether the pool holds blocks and no block has come back to it for more than `age` cycles
 * as of cycle `now` (the idle task asks, and gives the oldest back to the heap then).
 */
export function quietLongerThan(now: i64, age: i64): bool {
  if (pooled == 0) return false;
  if (touched) {
    touched = false;
    quietSince = now;
    return false;
  }
  return now - quietSince > age;
}
