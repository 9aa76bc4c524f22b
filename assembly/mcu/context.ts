/**
 * An execution context: a task, or an exception handler activation.
 *
 * Every context runs on its own stack. Suspending it unwinds its WebAssembly
 * call stack into its save area (Asyncify's data: [cursor, end] followed by
 * the saved frames), which lies in the same stack memory below the frames,
 * as a Cortex-M exception frame is pushed below the interrupted SP.
 *
 *   stackBase                saveEnd = stackLimit                 stackTop
 *   | save area (suspended)  | frames grow down <---------- sp    |
 */
export const STATE_FRESH: u32 = 0;
export const STATE_SUSPENDED: u32 = 1;
export const STATE_RUNNING: u32 = 2;
export const STATE_DEAD: u32 = 3;

/** Trace id of a handler context: 0x100 + exception number; tasks use their id. */
export const HANDLER_ID_BASE: u32 = 0x100;

@unmanaged export class Context {
  /** Function table index of the bottom function, called as fn(arg). */
  entry: u32;
  arg: u32;
  /** Stack pointer while suspended. */
  sp: usize;
  stackTop: usize;
  /** Lowest stack pointer the frames may reach. */
  stackLimit: usize;
  /** Lowest stack pointer seen so far, rounded down to 64 bytes. */
  watermark: usize;
  saveArea: usize;
  saveEnd: usize;
  state: u32;
  id: u32;
  /** Largest save (bytes) this context has needed. */
  savePeak: u32;
}
