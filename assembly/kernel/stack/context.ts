/**
 * An execution context: a task, or an exception handler activation.
 *
 * Every context runs on its own stack. Suspending it pushes a 32-byte
 * exception frame below its stack pointer and unwinds its WebAssembly call
 * stack (Asyncify) into the stack memory below that, exactly as big as it
 * needs (layout.ts): its saved state is part of its stack and counted in its
 * use.
 *
 *   stackBase      sp (suspended)                       resumeSp        stackTop
 *   | free         | [cursor,end] saved frames | exc frame | live frames    |
 *
 * Invariants: stackBase <= stackLimit <= sp <= resumeSp <= stackTop while
 * suspended; `sp` is the lowest byte the context occupies.
 */
export const STATE_FRESH: u32 = 0;
export const STATE_SUSPENDED: u32 = 1;
export const STATE_RUNNING: u32 = 2;
export const STATE_DEAD: u32 = 3;

/**
 * Trace id of a handler context: 0xF000 + exception number; tasks use their
 * id (below the task limit, at most 4096), so the two never meet. js/host/trace.ts mirrors it.
 */
export const HANDLER_ID_BASE: u32 = 0xF000;

@unmanaged export class Context {
  /** Function table index of the bottom function, called as fn(arg). */
  entry: u32;
  arg: u32;
  /** Lowest byte the context occupies while suspended (its saved state's header). */
  sp: usize;
  /** The stack pointer its frames resume at (above the exception frame). */
  resumeSp: usize;
  stackTop: usize;
  /** Lowest byte of the context's stack memory. */
  stackBase: usize;
  /** Lowest stack pointer the frames may reach (room below is kept for the saved state). */
  stackLimit: usize;
  /** Lowest stack pointer seen so far. */
  watermark: usize;
  state: u32;
  id: u32;
  /** Largest saved state (exception frame + Asyncify data + header, bytes) this context has needed. */
  savePeak: u32;
  /** Most bytes the context has occupied at once, saved state included. */
  peakUsed: u32;
}
