/**
 * The kernel lock's state (kernel/lock.ts owns the lock and its rules).
 * Kept apart, with no imports, so the core's check point can see who holds
 * the lock and defer a panic noticed inside the kernel to the release
 * (mcu/core.ts checkpoint) without an import cycle through the MCU model.
 * Only lock.ts and panicWhenReleased write it.
 */

/** depth > 0 <=> the lock is held, by `owner` (a context; 0 during boot). */
export let depth: i32 = 0;
export let owner: usize = 0;
/** Non-zero when the release has work: pended operations, a deferred switch or panic (one test on the fast path). */
export let releaseWork: u32 = 0;
export let deferredPanicReason: u32 = 0;
export let deferredPanicDetail: u32 = 0;

/**
 * A panic detected while holding the lock: raised on release, by the same
 * context, never with the lock held. Inline: the core's check point uses it.
 */
// @ts-ignore: decorator
@inline export function panicWhenReleased(reason: u32, detail: u32): void {
  if (deferredPanicReason == 0) {
    deferredPanicReason = reason;
    deferredPanicDetail = detail;
    releaseWork = 1;
  }
}
