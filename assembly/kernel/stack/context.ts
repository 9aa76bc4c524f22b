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
 * A task with a segmented stack runs on a chain of stacklets (stacklet.ts):
 * stackBase/stackTop/stackLimit/watermark then describe the *current*
 * stacklet, the stacklet's metadata keeps the ones below, and `chainFrames`
 * counts the frame bytes held in them.
 *
 * Invariants: stackBase <= stackLimit <= sp <= resumeSp <= stackTop while
 * suspended (unless the saved state sits in a save block: then `sp` points
 * into it); `sp` is the lowest byte the context occupies in its stack.
 */
export const STATE_FRESH: u8 = 0;
export const STATE_SUSPENDED: u8 = 1;
export const STATE_RUNNING: u8 = 2;
export const STATE_DEAD: u8 = 3;

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
  /** Bytes of its control block at its own address (a task's; 0 for a handler); the collector scans what follows these fields (roots.ts). */
  controlBytes: u32;
  /** Lowest stack pointer the frames may reach (room below is kept for the saved state). */
  stackLimit: usize;
  /** Lowest stack pointer seen so far. */
  watermark: usize;
  state: u8;
  /** Stack mode (STACK_*). */
  stackMode: u8;
  /**
   * Cleanup handlers running now in this context (kernel/unwind.ts counts
   * them): while non-zero a task's stack limit is waived (DESIGN §5), and
   * a violation is recorded in `deferredOverflow` instead of panicking.
   */
  cleanupDepth: u16;
  id: u32;
  /** Largest saved state (exception frame + Asyncify data + header, bytes) this context has needed. */
  savePeak: u32;
  /** Most bytes the context has occupied at once, saved state included. */
  peakUsed: u32;
  /** Most frame bytes the context has held at once (what a stack limit counts). */
  framePeak: u32;
  /** The current stacklet (stacklet.ts), or 0: the first, contiguous region. */
  stacklet: usize;
  /** Frame bytes held in the stacklets below the current one. */
  chainFrames: u32;
  /** A heap block holding the saved state when it did not fit below the frames (layout.ts), or 0. */
  saveBlock: usize;
  /**
   * Frame bytes in use at the first stack-limit violation while a cleanup
   * handler ran (0: none): kernel/unwind.ts raises it as a stack overflow
   * when the outermost running handler returns (Hopter's deferred unwinding).
   */
  deferredOverflow: u32;
  /** The most frame bytes the task may hold (0: no limit). */
  frameLimit: u32;
  /**
   * The hot-split cache (stacklet.ts): HOT_ENTRIES (signature, extensions counted under it)
   * pairs, read as one array from `hotSignature0`. In the context, as Hopter keeps it in its
   * task struct: an extension never has to allocate it on top of the stacklet.
   */
  hotSignature0: u32;
  hotCount0: u32;
  hotSignature1: u32;
  hotCount1: u32;
  hotSignature2: u32;
  hotCount2: u32;
  hotSignature3: u32;
  hotCount3: u32;
  /** The first region, [firstBase, firstTop) (a segmented task's stack registers when no stacklet is current; empty without an initial stack). */
  firstBase: usize;
  firstTop: usize;
  /**
   * The first region's metadata words, laid out as a stacklet's M_EXTENSIONS, M_SIGNATURE and
   * M_CHILD_PEAK (stacklet.ts reads either through one pointer, metaOf): its extension count
   * (a stacklet's own is in its metadata), its call-chain signature (always 0: a chain's
   * signature is its current stacklet's) and its learned child peak. Keep the three together.
   */
  firstExtensions: u32;
  firstSignature: u32;
  /** The most stack bytes its stacklets have held at once (stacklet.ts M_CHILD_PEAK, for the first region). */
  firstChildPeak: u32;
  /** The kind of task it is, for its first stacklet's size (stacklet.ts first-stacklet hints: its entry function, a breathing task's wait function). */
  firstKey: u32;
  /**
   * What it has told its kind's hint so far (stacklet.ts noteFirstWait): the most its first
   * stacklet held while it was suspended (frames and saved state), and what the extensions
   * from its first stacklet had held then. A suspension that holds no more tells nothing.
   */
  firstNeed: u32;
  firstChildNoted: u32;
  /** Stacklets this context holds now (its block in hand included) and at most. */
  stackletsHeld: u32;
  stackletsPeak: u32;
  /** Bytes its saved state occupies while it is suspended (0 while it runs). */
  savedBytes: u32;
  /**
   * An extension in progress (stacklet.ts): the block taken for it, not yet linked, and how
   * far it is zeroed. The steps of an extension or a return are interruptible, so these
   * belong to the context: a context that dies half-way releases them (releaseAll).
   */
  stackletInHand: usize;
  inHandZeroedTo: usize;
  inHandEnd: usize;
  /** Stacklets returned and not yet given back to the heap, linked through their M_PREV. */
  stackletsToFree: usize;
  /** AssemblyScript's argument-count register while the context is suspended (mcu/argc.ts). */
  argumentsLength: i32;
}

/** A handler on the main stack, or a task's static stack: one contiguous region, any extension is an overflow. */
export const STACK_STATIC: u32 = 0;
/** A task's stack grows by stacklets from the heap (the default). */
export const STACK_SEGMENTED: u32 = 1;
