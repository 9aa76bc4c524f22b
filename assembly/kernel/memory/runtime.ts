/**
 * HopRT's garbage-collected runtime (passed to asc as --runtime): TLSF for
 * memory, a non-moving mark-and-sweep collector for objects.
 *
 * Why our own: AssemblyScript's collectors find stack roots in one shadow
 * stack, but here every context has its own stack. This collector marks
 * from the globals (precisely, through the compiler's __visit_globals), from
 * pinned objects, and from the live part of every context's stack
 * (conservatively: a word counts only if it is the address of a live object,
 * which a bitmap of object starts answers in O(1)). AssemblyScript spills
 * every managed local that lives across a call to the shadow stack, and
 * suspended contexts are saved inside their own stack, so the scan sees
 * every reference wherever the collection runs.
 *
 * Invariants: every live object is on the doubly linked list `objects` and
 * has its bit set in `starts`; outside a collection no object is marked.
 * The file is atomic code: a collection is never interrupted by a context
 * switch (it delays interrupts by its length, as a masked section would).
 */
import "rt/tlsf";
import { OBJECT, BLOCK_OVERHEAD, OBJECT_OVERHEAD, OBJECT_MAXSIZE, TOTAL_OVERHEAD } from "rt/common";
import { E_ALLOCATION_TOO_LARGE } from "util/error";
import { SRAM_END } from "../../mcu/memmap";
import { heapAlloc, heapFree, heapRealloc, heapUsed, heapCapacity, zeroBytes, copyBytes } from "./heap";
import { forEachLiveRange } from "./roots";
import * as trace from "../../probe/trace";
import * as core from "../../mcu/core";
import * as clock from "../../mcu/clock";
import { Context, HANDLER_ID_BASE } from "../stack/context";

const FLAG_MARK: u32 = 1;
const FLAG_PIN: u32 = 2;
// Headers are 4-byte aligned (16n + 12), so only the two low bits of a link are free.
const FLAGS: u32 = 3;

/** Head of the list of objects (gcInfo = next, gcInfo2 = prev | flags). */
let objects: usize = 0;
let allocatedSinceCollect: usize = 0;
let threshold: usize = 8192;
export let collections: u32 = 0;
export let liveBytes: usize = 0;
/** The longest collection so far, in cycles (an uninterruptible stretch: interrupts wait for it). */
export let maxPauseCycles: i64 = 0;

/** Collection never runs inside a handler: a handler's allocation only takes free memory. */
// @ts-ignore: decorator
@inline function inHandler(): bool {
  const ctx = core.current;
  return ctx != 0 && changetype<Context>(ctx).id >= HANDLER_ID_BASE;
}

const GRANULE_SHIFT: usize = 4;
// One bit per 16-byte granule of SRAM: a set bit marks an object's data address.
const starts: usize = memory.data(<i32>(SRAM_END >> (GRANULE_SHIFT + 3)) + 8);

// @ts-ignore: decorator
@inline function bitIndex(ptr: usize): usize { return ptr >> GRANULE_SHIFT; }

function setStart(ptr: usize, on: bool): void {
  const i = bitIndex(ptr);
  const at = starts + (i >> 3);
  const bit = <u8>(1 << <u8>(i & 7));
  store<u8>(at, on ? load<u8>(at) | bit : load<u8>(at) & ~bit);
}

function isStart(ptr: usize): bool {
  if (ptr < __heap_base || ptr >= SRAM_END || (ptr & 15) != 0) return false;
  const i = bitIndex(ptr);
  return (load<u8>(starts + (i >> 3)) & <u8>(1 << <u8>(i & 7))) != 0;
}

// @ts-ignore: decorator
@inline function header(ptr: usize): OBJECT { return changetype<OBJECT>(ptr - TOTAL_OVERHEAD); }
// @ts-ignore: decorator
@inline function nextOf(obj: OBJECT): usize { return obj.gcInfo; }
// @ts-ignore: decorator
@inline function prevOf(obj: OBJECT): usize { return obj.gcInfo2 & ~FLAGS; }

function link(obj: OBJECT): void {
  const self = changetype<usize>(obj);
  obj.gcInfo = <u32>objects;
  obj.gcInfo2 = 0;
  if (objects != 0) {
    const head = changetype<OBJECT>(objects);
    head.gcInfo2 = <u32>self | (head.gcInfo2 & FLAGS);
  }
  objects = self;
}

function unlink(obj: OBJECT): void {
  const next = nextOf(obj);
  const prev = prevOf(obj);
  if (prev != 0) changetype<OBJECT>(prev).gcInfo = <u32>next;
  else objects = <usize>next;
  if (next != 0) {
    const n = changetype<OBJECT>(next);
    n.gcInfo2 = <u32>prev | (n.gcInfo2 & FLAGS);
  }
}

// ---- marking ---------------------------------------------------------------

const MARK_STACK_SIZE: i32 = 256;
const markStack: usize = memory.data(MARK_STACK_SIZE * 4);
let markTop: i32 = 0;
let markOverflowed: bool = false;

function mark(ptr: usize): void {
  const obj = header(ptr);
  if ((obj.gcInfo2 & FLAG_MARK) != 0) return;
  obj.gcInfo2 |= FLAG_MARK;
  if (markTop < MARK_STACK_SIZE) {
    store<usize>(markStack + (<usize>markTop << 2), ptr);
    markTop++;
  }
  else markOverflowed = true;
}

function drain(): void {
  while (true) {
    while (markTop > 0) {
      markTop--;
      const ptr = load<usize>(markStack + (<usize>markTop << 2));
      __visit_members(ptr, 0);
    }
    if (!markOverflowed) return;
    // The mark stack overflowed: revisit every marked object's children.
    markOverflowed = false;
    let it = objects;
    while (it != 0) {
      const obj = changetype<OBJECT>(it);
      if ((obj.gcInfo2 & FLAG_MARK) != 0) __visit_members(it + TOTAL_OVERHEAD, 0);
      it = nextOf(obj);
    }
  }
}

function scanRegion(start: usize, end: usize): void {
  for (let p = (start + 3) & ~3; p + 4 <= end; p += 4) {
    const word = load<usize>(p);
    if (isStart(word)) mark(word);
  }
}

// @ts-ignore: decorator
@global @unsafe
export function __visit(ptr: usize, cookie: i32): void {
  if (ptr >= __heap_base && ptr < SRAM_END) mark(ptr);
  else if (ptr != 0 && ptr < __data_end) markStatic(ptr);
}

/**
 * A static object (an array literal, a constant) lives in the data segment,
 * off the object list, but what it points to may be on the heap (a global
 * `[]` that grew): trace it once per collection, its header's gcInfo
 * holding the number of the collection that last traced it.
 */
function markStatic(ptr: usize): void {
  const obj = header(ptr);
  if (obj.gcInfo == collections) return;
  obj.gcInfo = collections;
  if (markTop < MARK_STACK_SIZE) {
    store<usize>(markStack + (<usize>markTop << 2), ptr);
    markTop++;
  } else {
    __visit_members(ptr, 0); // rare: a static object found with the mark stack full
  }
}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {
  const started = clock.now();
  collections++;
  const before = heapUsed;
  __visit_globals(0);
  let it = objects;
  while (it != 0) {
    const obj = changetype<OBJECT>(it);
    if ((obj.gcInfo2 & FLAG_PIN) != 0) mark(it + TOTAL_OVERHEAD);
    it = nextOf(obj);
  }
  forEachLiveRange(scanRegion);
  drain();
  // Sweep.
  it = objects;
  while (it != 0) {
    const obj = changetype<OBJECT>(it);
    const next = nextOf(obj);
    if ((obj.gcInfo2 & FLAG_MARK) != 0) {
      obj.gcInfo2 &= ~FLAG_MARK;
    } else {
      unlink(obj);
      setStart(it + TOTAL_OVERHEAD, false);
      heapFree(it + BLOCK_OVERHEAD);
    }
    it = next;
  }
  liveBytes = heapUsed;
  allocatedSinceCollect = 0;
  // Collect again after allocating half as much as survived (at least 8 KiB).
  threshold = max<usize>(8192, liveBytes >> 1);
  // The pause: one uninterruptible stretch, in modelled cycles (also in the trace).
  const pause = clock.now() - started;
  if (pause > maxPauseCycles) maxPauseCycles = pause;
  const ctx = core.current;
  trace.emit(trace.EV_GC, ctx == 0 ? 0xFFFF : changetype<Context>(ctx).id, <u32>(before - heapUsed), <u32>heapUsed, <u32>pause);
}

function maybeCollect(size: usize): void {
  if (inHandler()) return; // deferred to the next allocation by a task
  if (allocatedSinceCollect >= threshold || heapUsed + size + 1024 > heapCapacity()) __collect();
}

/** Out of memory after a collection: a panic of the context that asked (reason "out of memory"). */
function outOfMemory(size: usize): usize {
  core.kill(core.FAULT_OUT_OF_MEMORY, <u32>size);
  return 0; // the context is unwinding away
}

// @ts-ignore: decorator
@global @unsafe
export function __new(size: usize, id: i32): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  maybeCollect(size);
  let payload = heapAlloc(OBJECT_OVERHEAD + size);
  if (payload == 0) {
    if (inHandler()) return outOfMemory(size);
    __collect();
    payload = heapAlloc(OBJECT_OVERHEAD + size);
    if (payload == 0) return outOfMemory(size);
  }
  const obj = changetype<OBJECT>(payload - BLOCK_OVERHEAD);
  obj.rtId = id;
  obj.rtSize = <u32>size;
  link(obj);
  const ptr = payload + OBJECT_OVERHEAD;
  setStart(ptr, true);
  zeroBytes(ptr, size);
  allocatedSinceCollect += size + TOTAL_OVERHEAD;
  return ptr;
}

/** Move an object to a block of `size` bytes; 0 (the object untouched and still listed) if there is none. */
function moveObject(oldPtr: usize, size: usize): usize {
  const old = header(oldPtr);
  const flags = old.gcInfo2 & FLAGS;
  unlink(old);
  setStart(oldPtr, false);
  const payload = heapRealloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  if (payload == 0) {
    link(old);
    old.gcInfo2 |= flags;
    setStart(oldPtr, true);
    return 0;
  }
  const obj = changetype<OBJECT>(payload - BLOCK_OVERHEAD);
  obj.rtSize = <u32>size;
  link(obj);
  obj.gcInfo2 |= flags;
  const ptr = payload + OBJECT_OVERHEAD;
  setStart(ptr, true);
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const old = header(oldPtr);
  if (oldPtr < __heap_base) {
    // A static object: copy it into a new heap object.
    const fresh = __new(size, old.rtId);
    copyBytes(fresh, oldPtr, min(size, <usize>old.rtSize));
    return fresh;
  }
  maybeCollect(size);
  let ptr = moveObject(oldPtr, size);
  if (ptr == 0) {
    if (inHandler()) return outOfMemory(size);
    __collect();
    ptr = moveObject(oldPtr, size);
    if (ptr == 0) return outOfMemory(size);
  }
  allocatedSinceCollect += size;
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {
  // A stop-the-world collector needs no write barrier.
}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize {
  if (ptr >= __heap_base && ptr < SRAM_END) header(ptr).gcInfo2 |= FLAG_PIN;
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {
  if (ptr >= __heap_base && ptr < SRAM_END) header(ptr).gcInfo2 &= ~FLAG_PIN;
}
