/** Error codes returned (negative) by kernel calls; each is also traced as EV_ERROR. */
export const OK: i32 = 0;
export const ERR_BAD_PRIORITY: i32 = -1;
export const ERR_NO_MEMORY: i32 = -2;
export const ERR_TASK_LIMIT: i32 = -3;
export const ERR_BAD_STACK: i32 = -4;
export const ERR_NO_ENTRY: i32 = -5;
export const ERR_IN_ISR: i32 = -6;
export const ERR_BAD_IRQ: i32 = -7;
export const ERR_RESERVED_IRQ: i32 = -8;
export const ERR_BAD_ARGUMENT: i32 = -9;
export const ERR_RECURSIVE_LOCK: i32 = -10;
export const ERR_NOT_OWNER: i32 = -11;
export const ERR_NOT_LOCKED: i32 = -12;
export const ERR_WOULD_BLOCK: i32 = -13;
export const ERR_TIMEOUT: i32 = -14;
export const ERR_BUSY: i32 = -15;
/** The context holding the kernel lock died inside the kernel; the lock was taken from it. */
export const ERR_LOCK_ABANDONED: i32 = -16;
/** A length in milliseconds that does not fit in 2^32 - 1 ticks at the configured tick rate. */
export const ERR_TOO_LONG: i32 = -17;
