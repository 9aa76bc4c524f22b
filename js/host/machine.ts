/**
 * The host side of a HopRT machine: loads a firmware, drives its clock,
 * injects interrupts, and drains the debug probe (console and trace).
 */
import { decodeRecord, toPerfetto, PerfettoWriter, exceptionName, HANDLER_CONTEXT_BASE, HEADER_BYTES, RECORD_BYTES, type TraceEvent } from "./trace.js";
import { parseDuration, parseCycle, MAX_CYCLE } from "./units.js";
import { PeripheralHost, HOST_ALARM_SLOTS, type GpioPin, type Uart } from "./peripherals.js";
import { toVcd } from "./vcd.js";
import { readMeta, type FirmwareMeta } from "./meta.js";
import { errorName } from "./errors.js";
import { ctfMetadata, ctfStream } from "./ctf.js";
import { readSourceMap, formatLocation, type SourceMap, type SourceLocation } from "./sourcemap.js";

export const SUPPORTED_ABI = 1;
export const IRQ_LINES = 82;

export type StopReason = "cycles" | "probe" | "lockup" | "fatal" | "kernel bug";
const STOP_REASONS: Record<number, StopReason> = { 1: "cycles", 2: "probe", 3: "lockup", 4: "fatal", 5: "kernel bug" };
/** Stop reasons after which the machine runs no more. */
export const TERMINAL_STOPS: readonly StopReason[] = ["lockup", "fatal", "kernel bug"];

export interface RunResult {
  reason: StopReason;
  cycles: bigint;
  /** Faults (WebAssembly traps) handled during the run, as panics of the context that ran. */
  faults: string[];
}

export interface TaskStats {
  id: number;
  name: string;
  priority: number;
  switches: number;
  cycles: bigint;
  stackUsed: number;
  stackBytes: number;
  savePeak: number;
  /** Most stack memory the task has occupied at once (frames + saved state), bytes. */
  stackPeak: number;
  /** Stacklets it holds beyond its first region, now and at most (segmented stacks). */
  stacklets: number;
  stackletsPeak: number;
  alive: boolean;
  /** For a task that is gone: how it ended. */
  ended?: "exited" | "panicked";
}

export interface MemoryStats {
  heapUsed: number; heapPeak: number; heapCapacity: number; sramBytes: number; collections: number;
  /** The longest uninterruptible stretch of heap work so far, in cycles: a collector step, an allocation, a step of a stack extension or return. */
  gcMaxPauseCycles: number;
  stacklets: number; stackletBytes: number; stackletPeakBytes: number; stackletAllocations: number;
  /** Stack memory allocated on demand (stacklets, saved state that needed a block), now and at most. */
  stackDynamicBytes: number; stackDynamicPeakBytes: number;
  /** Stacklets in the machine-wide pool (counted in `stacklets` and `stackletBytes` too), and their bytes. */
  stackletsPooled: number; stackletPooledBytes: number;
}

type LineListener = (line: string, context: number) => void;

/** Why a context panicked (EV_PANIC's reason; assembly/mcu/core.ts FAULT_*). */
export const PANIC_REASONS: Record<number, string> = {
  1: "abort", 2: "stack overflow", 3: "trap", 4: "save area overflow", 5: "out of memory", 6: "kernel misuse", 7: "bus fault",
  8: "panic", 9: "kernel bug",
};

/**
 * A kernel bug (reason 9): what happened inside the kernel (the record's `detail`: a FAULT_* the context
 * took while holding the kernel lock, or one of these kernel codes; assembly/mcu/core.ts haltKernelBug).
 */
export const KERNEL_BUGS: Record<number, string> = {
  0x0A: "a panic while the kernel released what an unwound task held", 0xDEF: "unwind.defer outside any context",
};
function kernelBugMessage(what: number, trap?: string): string {
  const known = KERNEL_BUGS[what];
  if (known !== undefined) return known;
  const fault = PANIC_REASONS[what] ?? `reason ${what}`;
  return `${fault}${trap ? " (" + trap + ")" : ""} inside the kernel, with the kernel lock held`;
}

/** Kernel misuse that panics the caller (reason 6's detail; assembly/kernel/context.ts MISUSE_*). */
export const KERNEL_MISUSE: Record<number, string> = {
  1: "blocking call in a handler", 2: "blocking call while the scheduler is suspended", 0x10c: "kernel lock taken by a handler",
};

export interface Panic {
  cycle: bigint;
  /** Task id, or 0xF000 + exception number for a handler. */
  context: number;
  /** The task's name or the handler's exception. */
  where: string;
  reason: string;
  /** For a stack overflow the bytes in use, for a bus fault the address, for an abort the line. */
  detail: number;
  /** An abort's message and source file; a trap's message, function and (when the build kept locations) line. */
  message?: string;
  /**
   * A trap's source line, when the firmware has source locations (built with
   * sourceLines, the default): the application's line (its call into the
   * library when the trap was in library code), else the trapping line.
   */
  source?: SourceLocation;
  /** Raised while the context was already unwinding (inside a cleanup handler). */
  nested: boolean;
  /**
   * Raised later than noticed: noticed inside the kernel and raised when the kernel lock was let go,
   * or a stack-limit violation inside a cleanup handler, raised when the outermost handler returned.
   */
  deferred?: "kernel lock" | "cleanup handler";
  /** Once its unwinding ended: when, how many cleanup handlers ran, how many nested panics it took. */
  unwound?: { cycle: bigint; handlers: number; nestedPanics: number };
  /** What the kernel released on its behalf while it unwound: the mutexes it held (their addresses), each released poisoned. */
  released?: { mutexes: number[] };
  /** A restartable task's new instance (its own id when it restarted in place). */
  restartedAs?: number;
}

interface Exports {
  memory: WebAssembly.Memory;
  hoprt_abi_version(): number;
  hoprt_start(): void;
  hoprt_run(cycles: bigint): number;
  hoprt_cycles(): bigint;
  hoprt_sysclk_hz(): number;
  hoprt_irq_raise(irq: number): number;
  hoprt_irq_clear(irq: number): number;
  hoprt_irq_schedule(cycle: bigint, irq: number): number;
  hoprt_fault(): number;
  hoprt_asyncify_reset(): void;
  hoprt_trace_base(): number;
  hoprt_console_base(): number;
  hoprt_probe_ack(trace: number, console: number): void;
  /** Optional (a firmware without it writes every kind): the trace kinds to write, bit k = kind k. */
  hoprt_trace_select?(lo: number, hi: number): void;
  hoprt_max_tasks(): number;
  hoprt_task_info(id: number, field: number): bigint;
  hoprt_memory_info(field: number): bigint;
  hoprt_entry_cycles(): number;
  hoprt_tick(): number;
}

/** Every export the host calls (all functions but memory): a firmware missing one is refused at load. */
const REQUIRED_EXPORTS = [
  "hoprt_abi_version", "hoprt_start", "hoprt_run", "hoprt_cycles", "hoprt_sysclk_hz", "hoprt_fault", "hoprt_asyncify_reset",
  "hoprt_trace_base", "hoprt_console_base", "hoprt_probe_ack", "hoprt_irq_raise", "hoprt_irq_clear", "hoprt_irq_schedule",
  "hoprt_max_tasks", "hoprt_task_info", "hoprt_memory_info", "hoprt_tick",
  "hoprt_gpio_set", "hoprt_gpio_info", "hoprt_gpio_schedule", "hoprt_uart_push", "hoprt_uart_queued", "hoprt_uart_frame_cycles",
];

/** Console record kinds (assembly/probe/console.ts REC_*). */
const REC_LINE = 1, REC_TASK_NAME = 2, REC_PANIC = 3, REC_PANIC_FILE = 4, REC_LINE_PART = 5;
/** The probe's rings may not be larger than this (records or bytes): a bigger capacity field is corruption. */
const MAX_RING_CAPACITY = 1 << 24;
/** hoprt_run calls in a row that may return without the clock moving before runFor gives up. */
const NO_PROGRESS_LIMIT = 1000;
/** Default of MachineOptions.traceWindow. */
export const DEFAULT_TRACE_WINDOW = 100_000;
/** Default of MachineOptions.maxLineLength. */
export const DEFAULT_MAX_LINE = 1 << 20;

/** The firmware wrote something the host cannot trust; the machine cannot go on. */
export class FirmwareError extends Error {}

/** A line longer than the host keeps in one piece went out in pieces. */
export interface SplitInfo { context: number; pieces: number; chars: number }
type SplitListener = (info: SplitInfo) => void;

/** The console: the lines the firmware's debug.print wrote. */
export class Console {
  /** The latest lines (at most `limit`; `discarded` says how many older ones were let go). */
  readonly lines: string[] = [];
  readonly panics: string[] = [];
  /** Records the firmware could not write (the ring was full outside the dispatch loop); each is also a console_drop trace event. */
  dropped = 0;
  /** Lines longer than maxLineLength delivered in pieces (each piece is a line; a "split" event says so). */
  splits = 0;
  /** Lines let go from `lines` (they reached the listeners). */
  discarded = 0;
  private listeners: LineListener[] = [];
  private splitListeners: SplitListener[] = [];
  constructor(private readonly limit: number) {}
  on(event: "line", listener: LineListener): this;
  on(event: "split", listener: SplitListener): this;
  on(event: "line" | "split", listener: LineListener | SplitListener): this {
    if (event === "line") this.listeners.push(listener as LineListener);
    else if (event === "split") this.splitListeners.push(listener as SplitListener);
    else throw new Error(`console.on: unknown event "${event}" (only "line" and "split")`);
    return this;
  }
  /** @internal */
  emit(line: string, context: number): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) {
      const extra = this.lines.length - this.limit;
      this.lines.splice(0, extra);
      this.discarded += extra;
    }
    for (const l of this.listeners) l(line, context);
  }
  /** @internal */
  emitSplit(info: SplitInfo): void {
    this.splits++;
    for (const l of this.splitListeners) l(info);
  }
  /** @internal */
  clear(): void {
    this.lines.length = 0;
    this.panics.length = 0;
    this.dropped = 0;
    this.splits = 0;
    this.discarded = 0;
  }
}

type EventListener = (e: TraceEvent) => void;

/** Events in a chunk of the kept trace. */
const TRACE_CHUNK = 4096;
/** The kind number of the host's own "trace_lost" events in the kept trace (the firmware's kinds are below 256). */
const KEPT_TRACE_LOST = 0xFFFF;

/**
 * The trace: every event is offered to the "event" listeners (exporters
 * that stream), and the latest `window` of them are kept for events() and
 * the exporters that take a whole trace. Nothing else depends on it:
 * panics(), tasks() and the console work with collection off.
 *
 * The kept events are the firmware's records as it wrote them (RECORD_BYTES
 * each, in chunks), made into objects only when asked for (and then kept as
 * objects): a long traced run that nobody reads until its end holds no object
 * per event, whose collection cost the host some 2 us a context switch.
 */
export class Trace {
  /** Kept records, oldest first: TRACE_CHUNK a chunk; chunks[0] starts at event index `chunkBase`. */
  private chunks: Uint8Array[] = [];
  /** Per chunk, its events made into objects so far (from its first slot on). */
  private decoded: TraceEvent[][] = [];
  private chunkBase = 0;
  /** A chunk let go, for the next one needed (a long run with a window keeps reusing a few). */
  private spare: Uint8Array | null = null;
  /** Index (counted since load or reset) of the oldest kept event, and of the next. */
  private first = 0;
  private next = 0;
  private listeners: EventListener[] = [];
  /** Records the firmware's ring overwrote before the host read them. */
  overflow = 0;
  /** Events let go from the kept window (they reached the listeners). */
  discarded = 0;
  constructor(private readonly machine: Machine, private readonly window: number) {}
  /** @internal */
  get wanted(): boolean { return this.window > 0 || this.listeners.length > 0; }
  /** @internal Whether events are kept (a window), not only offered to listeners. */
  get keeping(): boolean { return this.window > 0; }
  /** @internal */
  get listening(): boolean { return this.listeners.length > 0; }
  /** @internal Offer an event read from the firmware to the listeners. */
  offer(e: TraceEvent): void {
    for (const l of this.listeners) l(e);
  }
  /** @internal Keep `count` records of the firmware's ring (`capacity` records from byte `records` of `bytes`) from record `from` on. */
  keepRecords(bytes: Uint8Array, records: number, capacity: number, from: number, count: number): void {
    let done = 0;
    while (done < count) {
      const slot = (from + done) & (capacity - 1);
      const [chunk, offset] = this.slotForNext();
      // Contiguous in the ring and in the chunk.
      const n = Math.min(count - done, capacity - slot, TRACE_CHUNK - offset);
      chunk.set(bytes.subarray(records + slot * RECORD_BYTES, records + (slot + n) * RECORD_BYTES), offset * RECORD_BYTES);
      this.next += n;
      done += n;
    }
    this.letGo();
  }
  /** @internal Keep an event the host made (trace_lost). */
  keepEvent(e: TraceEvent): void {
    const [chunk, offset] = this.slotForNext();
    const view = new DataView(chunk.buffer, chunk.byteOffset + offset * RECORD_BYTES, RECORD_BYTES);
    view.setBigInt64(0, e.cycle, true);
    view.setUint16(8, KEPT_TRACE_LOST, true);
    view.setUint16(10, e.context, true);
    view.setUint32(12, e.a, true);
    view.setUint32(16, e.b, true);
    view.setUint32(20, e.c, true);
    this.next++;
    this.letGo();
  }
  /** The chunk and slot the next event goes to (a new chunk when the last is full). */
  private slotForNext(): [Uint8Array, number] {
    const index = this.next - this.chunkBase;
    const c = Math.floor(index / TRACE_CHUNK);
    if (c === this.chunks.length) {
      this.chunks.push(this.spare ?? new Uint8Array(TRACE_CHUNK * RECORD_BYTES));
      this.spare = null;
      this.decoded.push([]);
    }
    return [this.chunks[c], index - c * TRACE_CHUNK];
  }
  /** Let go of what falls out of the window, and of the chunks that then hold nothing kept. */
  private letGo(): void {
    if (this.next - this.first > this.window) {
      const oldest = this.next - this.window;
      this.discarded += oldest - this.first;
      this.first = oldest;
    }
    while (this.chunks.length > 0 && this.chunkBase + TRACE_CHUNK <= this.first) {
      this.spare = this.chunks.shift()!;
      this.decoded.shift();
      this.chunkBase += TRACE_CHUNK;
    }
  }
  /** The kept events with index in [from, next), as objects (each made once). */
  private keptFrom(from: number): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (let c = 0; c < this.chunks.length; c++) {
      const base = this.chunkBase + c * TRACE_CHUNK;
      const end = Math.min(base + TRACE_CHUNK, this.next);
      if (end <= from) continue;
      const objects = this.decoded[c];
      if (base + objects.length < end) {
        const chunk = this.chunks[c];
        const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        for (let i = objects.length; i < end - base; i++) {
          const at = i * RECORD_BYTES;
          objects.push(view.getUint16(at + 8, true) === KEPT_TRACE_LOST
            ? { cycle: view.getBigInt64(at, true), kind: "trace_lost", context: view.getUint16(at + 10, true), a: view.getUint32(at + 12, true), b: view.getUint32(at + 16, true), c: view.getUint32(at + 20, true) }
            : decodeRecord(view, at));
        }
      }
      const start = Math.max(from, base) - base;
      for (let i = start; i < end - base; i++) out.push(objects[i]);
    }
    return out;
  }
  /** Every event, as it is read from the firmware (in order). */
  on(event: "event", listener: EventListener): this {
    if (event !== "event") throw new Error(`trace.on: unknown event "${event}" (only "event")`);
    this.listeners.push(listener);
    this.machine.selectTrace();
    return this;
  }
  /** The kept events (the latest `traceWindow` of them). */
  events(): TraceEvent[] {
    this.machine.drain();
    return this.keptFrom(this.first);
  }
  /**
   * The kept events from index `from` on (events are counted from 0 since the
   * machine was loaded or reset): a view reads only what is new since it last
   * looked. Events older than the window are gone (`discarded` counts them), so
   * a view that must see every one (the playground's timeline) listens instead:
   * on("event").
   */
  eventsSince(from: number): TraceEvent[] {
    this.machine.drain();
    return this.keptFrom(Math.max(from, this.first));
  }
  toPerfetto(): string {
    return toPerfetto(this.events(), { sysclkHz: this.machine.sysclkHz, taskNames: this.machine.taskNames });
  }
  /**
   * The Perfetto export streamed: every event read from now on goes into it
   * and its JSON text to `write` as slices complete, so nothing needs to be
   * kept (a long run with collectTrace: false). Call end() on the result to
   * close the document; events after that are not written.
   */
  streamPerfetto(write: (chunk: string) => void): PerfettoWriter {
    const writer = new PerfettoWriter({ sysclkHz: this.machine.sysclkHz, taskNames: this.machine.taskNames }, write);
    this.on("event", (e) => { if (!writer.closed) writer.push(e); });
    return writer;
  }
  /** A VCD (GTKWave, Surfer): GPIO pins, IRQ handlers, USART bytes and the running task over time. */
  toVcd(): string {
    return toVcd(this.events(), { sysclkHz: this.machine.sysclkHz, taskNames: this.machine.taskNames });
  }
  /** A CTF 1.8 trace with Zephyr's event names: write `metadata` and `stream` into one folder (babeltrace2, Trace Compass). */
  toCtf(): { metadata: string; stream: Uint8Array } {
    const events = this.events();
    return { metadata: ctfMetadata(this.machine.sysclkHz), stream: ctfStream(events, { sysclkHz: this.machine.sysclkHz, taskNames: this.machine.taskNames }) };
  }
  /** @internal */
  clear(): void {
    this.chunks = [];
    this.decoded = [];
    this.chunkBase = 0;
    this.first = 0;
    this.next = 0;
    this.overflow = 0;
    this.discarded = 0;
  }
}

export class Irq {
  constructor(private readonly machine: Machine) {}
  private check(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= IRQ_LINES) {
      throw new RangeError(`irq: ${n} is not an IRQ line of the STM32F407 (0..${IRQ_LINES - 1})`);
    }
  }
  raise(n: number): void { this.check(n); this.machine.boot(); this.machine.exports.hoprt_irq_raise(n); }
  clear(n: number): void { this.check(n); this.machine.boot(); this.machine.exports.hoprt_irq_clear(n); }
  /**
   * Raise line `n` when the clock reaches `cycle` (at most MAX_CYCLE). At
   * most HOST_ALARM_SLOTS injections may be pending at once: one more is
   * refused here, and never takes a slot of the firmware's own alarms.
   */
  schedule(n: number, cycle: bigint | number): void {
    this.check(n);
    this.machine.boot();
    const at = parseCycle("irq.schedule", cycle, this.machine.cycles);
    const r = this.machine.exports.hoprt_irq_schedule(at, n);
    if (r === -3) throw new Error(`irq.schedule: the host's alarm slots are full (${HOST_ALARM_SLOTS} scheduled injections pending); run until some fire first`);
    if (r !== 0) throw new Error(`irq.schedule: the firmware refused it (code ${r})`);
  }
}

export interface MachineOptions {
  /**
   * Keep decoded trace events (default true). Off, the firmware writes only the
   * kinds the host reads itself (panics, task ends, refused calls, mutex unlocks; pin and UART
   * events while watched), until a trace listener is attached: a run without a
   * trace does not pay for the records of every context switch.
   */
  collectTrace?: boolean;
  /**
   * How many of the latest events trace.events() keeps (default
   * DEFAULT_TRACE_WINDOW = 100,000; Infinity keeps all). Listeners
   * (trace.on("event")) see every event either way.
   */
  traceWindow?: number;
  /** How many of the latest console lines console.lines keeps (default 100,000; listeners see all). */
  consoleWindow?: number;
  /** The longest line (UTF-16 units) delivered in one piece (default 2^20); a longer one goes in pieces, with a "split" event. */
  maxLineLength?: number;
}

interface RingState { base: number; capacity: number }

interface PanicRecord {
  cycle: bigint; context: number; reason: number; detail: number; abortIndex: number; trap?: string; source?: SourceLocation;
  nested: boolean; deferred: number; unwound?: { cycle: bigint; handlers: number; nestedPanics: number }; restartedAs?: number;
  released?: { mutexes: number[] };
}

/** Why a panic was raised later than noticed (EV_PANIC's c; assembly/mcu/core.ts DEFERRED_*). */
export const PANIC_DEFERRED: Record<number, "kernel lock" | "cleanup handler"> = { 1: "kernel lock", 2: "cleanup handler" };

/** One WebAssembly frame of a runtime's stack trace. */
export interface WasmFrame {
  /** From the name section (the firmware keeps one); absent for an unnamed function. */
  name?: string;
  /** The byte offset in the module (V8 and SpiderMonkey give it: `wasm-function[N]:0x1a2b`). */
  offset?: number;
}

/** The WebAssembly frames of an error's stack, innermost first (V8's and SpiderMonkey's formats). */
export function wasmFrames(error: unknown): WasmFrame[] {
  const stack = error instanceof Error ? String(error.stack ?? "") : "";
  const frames: WasmFrame[] = [];
  for (const line of stack.split("\n")) {
    if (!line.includes("wasm")) continue;
    const v8 = /^\s*at (.+?) \(wasm:\/\/wasm\/[^)]*\)$/.exec(line);
    const spider = /^(.+?)@wasm:\/\/wasm\//.exec(line) ?? /^(.+?)@.*wasm-function/.exec(line);
    const at = /wasm-function\[\d+\]:0x([0-9a-fA-F]{1,8})\b/.exec(line);
    const name = v8?.[1] ?? spider?.[1];
    if (!name && !at) continue;
    frames.push({ ...(name ? { name } : {}), ...(at ? { offset: parseInt(at[1], 16) } : {}) });
  }
  return frames;
}

/** Where a trap happened: the trapping function, and the application's frame when the trap was in library code. */
export interface TrapSite {
  /** "fn", or "fn (called from appFn)"; with source locations "... at file:line:col". */
  text: string;
  /** The application's line when the build kept locations (the call into the library, for a trap inside it), else the trapping line. */
  source?: SourceLocation;
}

/**
 * Where a trap happened, from the runtime's stack (the firmware keeps a
 * name section) and, when the build kept them, the source map: the
 * trapping function, and the application function that called it when the
 * trap was in library code, each with its source line.
 */
export function locateTrap(error: unknown, sourceMap: SourceMap | null = null): TrapSite | undefined {
  const frames = wasmFrames(error);
  if (frames.length === 0) return undefined;
  const where = (f: WasmFrame) => (f.offset !== undefined && sourceMap ? sourceMap.lookup(f.offset) : undefined);
  const label = (f: WasmFrame, l: SourceLocation | undefined) => `${f.name ?? "an unnamed function"}${l ? " at " + formatLocation(l) : ""}`;
  const top = frames[0];
  const topSource = where(top);
  const user = frames.find((f) => f.name !== undefined && !f.name.startsWith("~lib/"));
  if (user && user !== top) {
    const userSource = where(user);
    return { text: `${label(top, topSource)} (called from ${label(user, userSource)})`, source: userSource ?? topSource };
  }
  return { text: label(top, topSource), source: topSource };
}

/** locateTrap's text alone (no source map: function names only). */
export function trapSite(error: unknown, sourceMap: SourceMap | null = null): string | undefined {
  return locateTrap(error, sourceMap)?.text;
}

export class Machine {
  readonly console: Console;
  readonly trace: Trace;
  readonly irq: Irq;
  /** The latest name of each task id (ids are reused once a task is reclaimed). */
  readonly taskNames = new Map<number, string>();
  /** Every name given, with the cycle: the trace's task_create events say which task had it when. */
  private readonly nameHistory: Array<{ id: number; name: string; created: bigint }> = [];
  /** @internal */
  exports!: Exports;
  private bytes!: Uint8Array;
  private view!: DataView;
  private traceRead = 0;
  private traceLost = 0;
  private consoleRead = 0;
  private consoleDropped = 0;
  /** The probe's rings, found (and checked) once the firmware's static initialisation set them up. */
  private traceRing: RingState | undefined;
  private consoleRing: RingState | undefined;
  private started = false;
  /** Set once the machine cannot go on (boot failed, corrupt probe ring): every later call throws it again. */
  private failure: Error | null = null;
  /** The source file of each abort message in console.panics, by index. */
  private panicFiles: string[] = [];
  private readonly panicRecords: PanicRecord[] = [];
  private abortsSeen = 0;
  private readonly endedTasks: TaskStats[] = [];
  /** Kernel calls refused so far, by error code (trace kind "error"). */
  private readonly refusals = new Map<number, number>();
  /** Pieces of long lines not yet ended, per context. */
  private readonly partialLines = new Map<number, { pieces: string[]; chars: number; split: number; total: number }>();

  private readonly collectTrace: boolean;
  /** The trace kinds the firmware was last told to write (hoprt_trace_select), as "lo,hi". */
  private traceSelected: string | undefined;
  private readonly maxLine: number;
  private readonly peripheralHost = new PeripheralHost(this);

  private constructor(private readonly module: WebAssembly.Module, options: MachineOptions) {
    this.collectTrace = options.collectTrace ?? true;
    const window = this.collectTrace ? options.traceWindow ?? DEFAULT_TRACE_WINDOW : 0;
    if (!(window >= 0)) throw new RangeError(`Machine.load: traceWindow must be a number of events >= 0, got ${options.traceWindow}`);
    const consoleWindow = options.consoleWindow ?? 100_000;
    if (!(consoleWindow >= 0)) throw new RangeError(`Machine.load: consoleWindow must be a number of lines >= 0, got ${options.consoleWindow}`);
    this.maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE;
    if (!(this.maxLine >= 1)) throw new RangeError(`Machine.load: maxLineLength must be at least 1, got ${options.maxLineLength}`);
    this.console = new Console(consoleWindow);
    this.trace = new Trace(this, window);
    this.irq = new Irq(this);
    this.instantiate();
  }

  /** Load a firmware (.wasm bytes); throws a clear Error if it is not one this host understands. */
  static async load(bytes: Uint8Array | ArrayBuffer, options: MachineOptions = {}): Promise<Machine> {
    return Machine.loadSync(bytes, options);
  }

  static loadSync(bytes: Uint8Array | ArrayBuffer, options: MachineOptions = {}): Machine {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (data.length < 8 || data[0] !== 0x00 || data[1] !== 0x61 || data[2] !== 0x73 || data[3] !== 0x6d) {
      throw new Error("Machine.load: not a WebAssembly module (missing the \\0asm header)");
    }
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(data as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new Error(`Machine.load: invalid WebAssembly module: ${(e as Error).message}`);
    }
    const imports = WebAssembly.Module.imports(module);
    if (imports.length > 0) {
      throw new Error(`Machine.load: a HopRT firmware has no imports, this module imports ${imports.map((i) => i.module + "." + i.name).join(", ")}`);
    }
    const kinds = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
    const missing = ["memory", ...REQUIRED_EXPORTS].filter((n) => !kinds.has(n));
    if (missing.length > 0) throw new Error(`Machine.load: not a HopRT firmware (missing exports ${missing.join(", ")})`);
    if (kinds.get("memory") !== "memory") throw new Error(`Machine.load: not a HopRT firmware (export "memory" is a ${kinds.get("memory")}, not a memory)`);
    const wrong = REQUIRED_EXPORTS.filter((n) => kinds.get(n) !== "function");
    if (wrong.length > 0) throw new Error(`Machine.load: not a HopRT firmware (exports ${wrong.join(", ")} are not functions)`);
    return new Machine(module, options);
  }

  private instantiate(): void {
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(this.module, {});
    } catch (e) {
      throw new Error(`Machine.load: the firmware could not be instantiated: ${(e as Error).message}`);
    }
    this.exports = instance.exports as unknown as Exports;
    const abi = this.exports.hoprt_abi_version();
    if (abi !== SUPPORTED_ABI) {
      throw new Error(`Machine.load: firmware ABI version ${abi}, this host supports ${SUPPORTED_ABI}`);
    }
    this.traceSelected = undefined;
    this.selectTrace();
    this.refreshView();
    this.traceRing = undefined;
    this.consoleRing = undefined;
    this.traceRead = 0;
    this.traceLost = 0;
    this.consoleRead = 0;
    this.consoleDropped = 0;
    this.started = false;
    this.failure = null;
  }

  private refreshView(): void {
    const buffer = this.exports.memory.buffer;
    if (this.view && this.view.buffer === buffer) return;
    this.view = new DataView(buffer);
    this.bytes = new Uint8Array(buffer);
  }

  /** A probe ring's place and capacity, checked against the memory (the firmware's word is not trusted). */
  private ringAt(name: string, base: number, headerBytes: number, unit: number, powerOfTwo: boolean): RingState {
    const size = this.bytes.length;
    const fail = (why: string) => this.fail(new FirmwareError(`the firmware's ${name} ring is invalid: ${why}; the machine is stopped`));
    if (!Number.isInteger(base) || base < 0 || base + headerBytes > size) fail(`its header at ${base} is outside memory (${size} bytes)`);
    const capacity = this.view.getUint32(base + 8, true);
    if (capacity === 0 || capacity > MAX_RING_CAPACITY) fail(`capacity ${capacity} (expected 1..${MAX_RING_CAPACITY})`);
    if (powerOfTwo && (capacity & (capacity - 1)) !== 0) fail(`capacity ${capacity} is not a power of two`);
    if (base + headerBytes + capacity * unit > size) fail(`${capacity} entries at ${base} run past the end of memory (${size} bytes)`);
    return { base, capacity };
  }

  /** Throw the error that stopped the machine, if one did. @internal */
  check(): void {
    if (this.failure) throw this.failure;
  }

  private fail(error: Error): never {
    this.failure = error;
    throw error;
  }

  /**
   * An external tick (for firmware configured with TickSource.External): the
   * kernel's tick handler runs at the start of the next run. Returns false,
   * and the trace says so, when SysTick drives time.
   */
  tick(): boolean {
    this.boot();
    return this.exports.hoprt_tick() === 1;
  }

  /** A pin of the board by name ("PA0", "PD12"): drive it, read it, watch it. */
  gpio(name: string): GpioPin { this.check(); const pin = this.peripheralHost.gpio(name); this.selectTrace(); return pin; }

  /** USART 1, 2 or 6: type bytes into it, read what it sends. */
  uart(n: number): Uart { this.check(); const uart = this.peripheralHost.uart(n); this.selectTrace(); return uart; }

  /** Back to the state right after loading: fresh memory, not booted yet (it boots at its next use). */
  reset(): void {
    this.instantiate();
    this.peripheralHost.reset();
    this.console.clear();
    this.panicFiles.length = 0;
    this.panicRecords.length = 0;
    this.unwindingNow.clear();
    this.lastUnwound.clear();
    this.abortsSeen = 0;
    this.endedTasks.length = 0;
    this.refusals.clear();
    this.partialLines.clear();
    this.taskNames.clear();
    this.nameHistory.length = 0;
    this.trace.clear();
  }

  get sysclkHz(): number { this.check(); return this.exports.hoprt_sysclk_hz(); }
  /** What the build wrote into the firmware (hoprt.meta): the latency bounds; null if absent or malformed. */
  get meta(): FirmwareMeta | null { return readMeta(this.module); }
  private sourceMapRead: SourceMap | null | undefined;
  /** The firmware's source locations (hoprt.sourcemap), read at the first trap; null without them. */
  private sourceMap(): SourceMap | null {
    if (this.sourceMapRead === undefined) this.sourceMapRead = readSourceMap(this.module);
    return this.sourceMapRead;
  }
  /**
   * The current cycle: where the next run starts, and the "now" of every
   * injection scheduled at a cycle (irq.schedule, gpio setAt, uart writeAt).
   * The machine boots at its first use (its startup code: the clock, the
   * kernel, some thousand cycles), and reading this boots it too, so it
   * never reads a cycle the machine has already left (before, it read 0,
   * and `irq.schedule(n, m.cycles + d)` was then refused as in the past).
   * Trace and console listeners see what is read after they are attached:
   * attach them first to see boot's events as they come.
   */
  get cycles(): bigint { this.boot(); return this.exports.hoprt_cycles(); }

  /** @internal Run the firmware's static initialisation and boot, once. */
  boot(): void {
    this.check();
    if (this.started) return;
    this.started = true;
    try {
      this.exports.hoprt_start();
    } catch (e) {
      try { this.drain(); } catch { /* the report below says what it can */ }
      const why = this.console.panics.join("; ");
      this.fail(new Error(`the firmware failed while booting${why ? ": " + why : ""} (${(e as Error).message})`));
    }
    this.drain();
  }

  /**
   * Run for a number of cycles (at most MAX_RUN_CYCLES, and never past
   * MAX_CYCLE), or a duration such as "10ms", "2s", "500us".
   */
  runFor(duration: number | bigint | string): RunResult {
    this.check();
    const cycles = parseDuration(duration, this.sysclkHz);
    this.boot();
    const start = this.cycles;
    const end = start + cycles;
    if (end > MAX_CYCLE) throw new RangeError(`runFor: the run would end at cycle ${end}, beyond the last cycle the clock reaches (${MAX_CYCLE})`);
    const faults: string[] = [];
    let reason: StopReason = "cycles";
    let stuck = 0;
    while (this.cycles < end) {
      const before = this.cycles;
      let code: number;
      try {
        // Bytes for the USARTs' RX wires go on before the slice that needs them.
        const sliceEnd = this.peripheralHost.feed(before, end);
        code = this.exports.hoprt_run(sliceEnd - before);
      } catch (e) {
        // A WebAssembly trap: the context that ran panics; the machine goes on. Or a panic
        // raised in code left out of Asyncify, which ends in a trap (docs/abi.md, Faults):
        // hoprt_fault finishes it, and it is no fault of its own.
        const site = locateTrap(e, this.sourceMap());
        const what = `${(e as Error).message}${site ? " in " + site.text : ""}`;
        this.exports.hoprt_asyncify_reset();
        const after = this.exports.hoprt_fault();
        const before = this.panicRecords.length;
        this.drain();
        let trapped = after === 4;
        for (let i = before; i < this.panicRecords.length; i++) {
          const r = this.panicRecords[i];
          if (r.reason === 3 || (r.reason === 9 && r.detail === 3)) {
            r.trap = what;
            if (site?.source) r.source = site.source;
            trapped = true;
          }
        }
        if (trapped) faults.push(what);
        if (after === 4) { reason = "fatal"; break; }
        if (after === 5) { reason = "kernel bug"; break; }
        continue;
      }
      this.drain();
      const known = STOP_REASONS[code];
      if (known === undefined) this.fail(new FirmwareError(`runFor: hoprt_run returned ${code}, which is not a stop reason (1..5)`));
      reason = known;
      if (TERMINAL_STOPS.includes(reason)) break;
      const now = this.cycles;
      if (now < before) this.fail(new FirmwareError(`runFor: the firmware's clock went backwards (from cycle ${before} to ${now})`));
      if (now === before) {
        if (++stuck >= NO_PROGRESS_LIMIT) {
          this.fail(new FirmwareError(`runFor: the machine makes no progress: ${NO_PROGRESS_LIMIT} runs in a row returned "${reason}" without its clock advancing (stuck at cycle ${now})`));
        }
      } else stuck = 0;
    }
    return { reason, cycles: this.cycles, faults };
  }

  /**
   * Tell the firmware which trace kinds to write: every kind while the trace is
   * collected or listened to, else only those the host itself reads (HOST_KINDS:
   * panics, task ends, refused calls, mutex unlocks, and pin and UART events while they are
   * watched). A switch writes six records that a run without a trace would
   * only skip. Called whenever what the host reads grows (a listener, a pin or
   * USART asked for). @internal
   */
  selectTrace(): void {
    if (!this.exports?.hoprt_trace_select) return;
    let lo = 0xFFFF_FFFF, hi = 0xFFFF_FFFF;
    if (!this.trace.wanted) {
      const needed = this.peripheralHost.watching ? NEEDED_ALWAYS | NEEDED_WATCHING : NEEDED_ALWAYS;
      lo = 0;
      hi = 0;
      for (let kind = 0; kind < 64; kind++) {
        if ((HOST_KINDS[kind] & needed) === 0) continue;
        if (kind < 32) lo |= 1 << kind;
        else hi |= 1 << (kind - 32);
      }
    }
    const selection = `${lo >>> 0},${hi >>> 0}`;
    if (selection === this.traceSelected) return;
    this.traceSelected = selection;
    this.exports.hoprt_trace_select(lo, hi);
  }

  /** Read everything the probe buffered: console lines, task names, trace records. */
  drain(): void {
    this.check();
    if (!this.exports || !this.started) return;
    this.refreshView();
    this.traceRing ??= this.ringAt("trace", this.exports.hoprt_trace_base(), HEADER_BYTES, RECORD_BYTES, true);
    this.consoleRing ??= this.ringAt("console", this.exports.hoprt_console_base(), 16, 1, false);
    // The console first: a task's name is known before its trace events are.
    const cwritten = this.drainConsole();
    const written = this.drainTrace();
    this.exports.hoprt_probe_ack(written, cwritten);
  }

  private corrupt(ring: string, why: string): never {
    this.fail(new FirmwareError(`the firmware's ${ring} ring is corrupt: ${why}; the machine is stopped`));
  }

  private drainTrace(): number {
    const view = this.view;
    const { base, capacity } = this.traceRing!;
    if (view.getUint32(base + 8, true) !== capacity) this.corrupt("trace", `its capacity changed from ${capacity} to ${view.getUint32(base + 8, true)}`);
    const written = view.getUint32(base, true);
    const lost = view.getUint32(base + 12, true);
    const newRecords = (written - this.traceRead) >>> 0;
    const newlyLost = (lost - this.traceLost) >>> 0;
    if (newlyLost > 0x7FFF_FFFF) this.corrupt("trace", `its overflow counter went back from ${this.traceLost} to ${lost}`);
    if (newRecords > capacity + newlyLost) {
      this.corrupt("trace", `its written counter moved from ${this.traceRead} to ${written} (${newRecords} new records, more than the ${capacity} it holds plus ${newlyLost} it reports lost)`);
    }
    this.traceLost = lost;
    this.trace.overflow = lost;
    let from = this.traceRead;
    if (newRecords > capacity) from = (written - capacity) >>> 0;
    const count = (written - from) >>> 0;
    if (newlyLost > 0) {
      // The records are gone; the host says so in the trace, at the cycle of the first one it still has.
      const at = count > 0 ? view.getBigInt64(base + HEADER_BYTES + (from % capacity) * RECORD_BYTES, true) : this.exports.hoprt_cycles();
      const lostEvent: TraceEvent = { cycle: at, kind: "trace_lost", context: 0xFFFF, a: newlyLost, b: lost, c: 0 };
      this.deliver(lostEvent, -1);
      this.trace.keepEvent(lostEvent);
    }
    // Made into objects here: what the host itself reads (HOST_KINDS; while the trace is kept,
    // the pin and UART events too, as watchers may come), and every event while listeners want
    // them. The kept window takes the records as they are. This loop visits every record the
    // firmware wrote, several per context switch, so it stays lean: the capacity is a power of
    // two (ringAt), so the slot is a mask, not a division.
    const listening = this.trace.listening;
    const decoding = this.trace.keeping || this.peripheralHost.watching ? NEEDED_ALWAYS | NEEDED_WATCHING : NEEDED_ALWAYS;
    const mask = capacity - 1;
    const records = base + HEADER_BYTES;
    for (let n = 0; n < count; n++) {
      const at = records + ((from + n) & mask) * RECORD_BYTES;
      const kind = view.getUint16(at + 8, true);
      if (listening || (kind < HOST_KINDS.length && (HOST_KINDS[kind] & decoding) !== 0)) this.deliver(decodeRecord(view, at), kind);
    }
    if (this.trace.keeping) this.trace.keepRecords(this.bytes, records, capacity, from, count);
    this.traceRead = written;
    return written;
  }

  private deliver(e: TraceEvent, kind: number): void {
    if (kind === KIND_PANIC) this.notePanic(e);
    else if (kind === KIND_UNWIND_DONE || kind === KIND_RESTART) this.noteUnwind(e, kind);
    else if (kind === KIND_TASK_EXIT) this.noteEnded(e.context, e.cycle, "exited");
    else if (kind === KIND_TASK_END) this.noteFinal(e.context, (t) => { t.priority = e.a; t.switches = e.b; t.stackBytes = e.c; t.stackUsed = 0; });
    else if (kind === KIND_TASK_CPU) this.noteFinal(e.context, (t) => { t.cycles = (BigInt(e.b) << 32n) | BigInt(e.a); t.stackletsPeak = e.c; });
    else if (kind === KIND_TASK_DELETE) this.noteFinal(e.context, (t) => { t.stackPeak = e.b; t.savePeak = e.c; });
    else if (kind === KIND_ERROR) this.refusals.set(e.a | 0, (this.refusals.get(e.a | 0) ?? 0) + 1);
    else if (kind === KIND_MUTEX_UNLOCK && e.b !== 0) this.noteReleased(e);
    this.peripheralHost.observe(e);
    this.trace.offer(e);
  }

  /** Contexts unwinding now -> their first panic's record (a panic meanwhile is nested). */
  private readonly unwindingNow = new Map<number, PanicRecord>();
  /** The panic whose unwinding a context finished last (for a restart in place that follows). */
  private readonly lastUnwound = new Map<number, PanicRecord>();

  private notePanic(e: TraceEvent): void {
    const first = this.unwindingNow.get(e.context);
    const record: PanicRecord = { cycle: e.cycle, context: e.context, reason: e.a, detail: e.b, abortIndex: e.a === 1 || e.a === 8 ? this.abortsSeen++ : -1, nested: first !== undefined, deferred: e.c };
    this.panicRecords.push(record);
    if (!first) this.unwindingNow.set(e.context, record);
    if (e.context < HANDLER_CONTEXT_BASE) this.noteEnded(e.context, e.cycle, "panicked");
  }

  /** A mutex the kernel released poisoned for a context that is unwinding (EV_MUTEX_UNLOCK with a result). */
  private noteReleased(e: TraceEvent): void {
    const first = this.unwindingNow.get(e.context);
    if (!first) return;
    (first.released ??= { mutexes: [] }).mutexes.push(e.a);
  }

  /** EV_UNWIND_DONE / EV_RESTART: onto the panic that started the unwinding. */
  private noteUnwind(e: TraceEvent, kind: number): void {
    // A restart in place is traced right after the unwinding that preceded it ended.
    const first = this.unwindingNow.get(e.context) ?? (kind === KIND_RESTART ? this.lastUnwound.get(e.context) : undefined);
    if (!first) return;
    if (kind === KIND_RESTART) { first.restartedAs = e.a; this.lastUnwound.delete(e.context); return; }
    first.unwound = { cycle: e.cycle, handlers: e.a, nestedPanics: e.b };
    this.unwindingNow.delete(e.context);
    this.lastUnwound.set(e.context, first);
  }

  /**
   * What the firmware says of a task as it reclaims it (EV_TASK_END, EV_TASK_CPU, EV_TASK_DELETE: its
   * priority, switches, stack size, cycles and peaks), onto its ended record: the slot the host read at
   * the exit may hold another task by the time the host drains the ring.
   */
  private noteFinal(id: number, apply: (t: TaskStats) => void): void {
    for (let i = this.endedTasks.length - 1; i >= 0; i--) {
      if (this.endedTasks[i].id !== id) continue;
      apply(this.endedTasks[i]);
      return;
    }
  }

  /** A task ended: keep what the host can still read of it (its slot may be reused later). */
  private noteEnded(id: number, cycle: bigint, how: "exited" | "panicked"): void {
    if (id >= HANDLER_CONTEXT_BASE) return;
    let last: TaskStats | undefined;
    for (let i = this.endedTasks.length - 1; i >= 0 && !last; i--) if (this.endedTasks[i].id === id) last = this.endedTasks[i];
    const name = this.nameAt(id, cycle) ?? `task ${id}`;
    if (last && last.name === name && last.ended === "panicked" && how === "exited") return; // one panicked task also exits
    const info = (f: number) => Number(this.exports.hoprt_task_info(id, f));
    const present = info(0) === 1;
    this.endedTasks.push({
      id, name,
      priority: present ? info(1) : -1,
      switches: present ? info(3) : 0,
      cycles: present ? this.exports.hoprt_task_info(id, 4) : 0n,
      stackUsed: present ? info(5) : 0,
      stackBytes: present ? info(6) : 0,
      savePeak: present ? info(7) : 0,
      stackPeak: present ? info(10) : 0,
      stacklets: 0,
      stackletsPeak: present ? info(12) : 0,
      alive: false,
      ended: how,
    });
    if (this.endedTasks.length > 10_000) this.endedTasks.shift();
  }

  private drainConsole(): number {
    const view = this.view;
    const bytes = this.bytes;
    const { base, capacity } = this.consoleRing!;
    if (view.getUint32(base + 8, true) !== capacity) this.corrupt("console", `its capacity changed from ${capacity} to ${view.getUint32(base + 8, true)}`);
    const written = view.getUint32(base, true);
    const dropped = view.getUint32(base + 12, true);
    const available = (written - this.consoleRead) >>> 0;
    if (available > capacity) {
      this.corrupt("console", `its written counter moved from ${this.consoleRead} to ${written} (${available} new bytes, more than the ${capacity} it holds)`);
    }
    const newlyDropped = (dropped - this.consoleDropped) >>> 0;
    if (newlyDropped > 0x7FFF_FFFF) this.corrupt("console", `its dropped counter went back from ${this.consoleDropped} to ${dropped}`);
    this.consoleDropped = dropped;
    this.console.dropped += newlyDropped;
    const data = base + 16;
    const byteAt = (i: number) => bytes[data + (i % capacity)];
    const copy = (from: number, length: number): Uint8Array => {
      const out = new Uint8Array(length);
      const start = from % capacity;
      const first = Math.min(length, capacity - start);
      out.set(bytes.subarray(data + start, data + start + first), 0);
      if (first < length) out.set(bytes.subarray(data, data + length - first), first);
      return out;
    };
    let p = this.consoleRead;
    let left = available;
    while (left > 0) {
      const offset = p >>> 0;
      if (left < 8) this.corrupt("console", `a record at byte ${offset} is cut short (${left} bytes left, a header takes 8)`);
      const kind = byteAt(p);
      const context = byteAt(p + 2) | (byteAt(p + 3) << 8);
      const length = (byteAt(p + 4) | (byteAt(p + 5) << 8) | (byteAt(p + 6) << 16) | (byteAt(p + 7) << 24)) >>> 0;
      if (kind < REC_LINE || kind > REC_LINE_PART) this.corrupt("console", `the record at byte ${offset} has kind ${kind} (expected 1..5)`);
      if (length > left - 8) this.corrupt("console", `the record at byte ${offset} says it holds ${length} bytes, but only ${left - 8} were written`);
      const stamped = kind === REC_TASK_NAME;
      if (stamped ? length < 8 || (length - 8) % 2 !== 0 : length % 2 !== 0) {
        this.corrupt("console", `the record at byte ${offset} has an invalid length ${length} for kind ${kind}`);
      }
      const skip = stamped ? 8 : 0;
      let stamp = 0n;
      if (stamped) {
        const s = copy(p + 8, 8);
        stamp = new DataView(s.buffer).getBigUint64(0, true);
      }
      const text = UTF16.decode(copy(p + 8 + skip, length - skip));
      p += 8 + length;
      left -= 8 + length;
      this.consoleRecord(kind, context, text, stamp);
    }
    this.consoleRead = written;
    return written;
  }

  private consoleRecord(kind: number, context: number, text: string, stamp: bigint): void {
    if (kind === REC_LINE || kind === REC_LINE_PART) {
      let partial = this.partialLines.get(context);
      if (kind === REC_LINE && !partial) { this.console.emit(text, context); return; }
      if (!partial) this.partialLines.set(context, (partial = { pieces: [], chars: 0, split: 0, total: 0 }));
      partial.pieces.push(text);
      partial.chars += text.length;
      partial.total += text.length;
      if (partial.chars >= this.maxLine && kind === REC_LINE_PART) {
        // Longer than the host keeps in one piece: deliver what came so far, and say so.
        this.console.emit(partial.pieces.join(""), context);
        partial.split++;
        partial.pieces = [];
        partial.chars = 0;
        return;
      }
      if (kind === REC_LINE) {
        this.partialLines.delete(context);
        this.console.emit(partial.pieces.join(""), context);
        if (partial.split > 0) this.console.emitSplit({ context, pieces: partial.split + 1, chars: partial.total });
      }
    } else if (kind === REC_TASK_NAME) {
      this.taskNames.set(context, text);
      this.nameHistory.push({ id: context, name: text, created: stamp });
    } else if (kind === REC_PANIC) this.console.panics.push(text);
    else if (kind === REC_PANIC_FILE) this.panicFiles[this.console.panics.length - 1] = text;
  }

  /** The ids that carried `name`, oldest first (a name can outlive one task: ids are reused). */
  idsNamed(name: string): number[] {
    return this.nameHistory.filter((h) => h.name === name).map((h) => h.id);
  }

  /** The name task `id` had at `cycle`. */
  nameAt(id: number, cycle: bigint): string | undefined {
    let found: string | undefined;
    for (const h of this.nameHistory) if (h.id === id && h.created <= cycle) found = h.name;
    return found;
  }

  /** Every panic so far: which context, why (kept whether or not the trace is collected). */
  panics(): Panic[] {
    this.drain();
    const abortMessage = (i: number, line: number) => {
      const text = this.console.panics[i];
      if (text === undefined) return undefined;
      return this.panicFiles[i] ? `${text} (${this.panicFiles[i]}:${line})` : text;
    };
    return this.panicRecords.map((e) => ({
      cycle: e.cycle,
      context: e.context,
      where: e.context >= HANDLER_CONTEXT_BASE ? `handler ${exceptionName(e.context - HANDLER_CONTEXT_BASE)}` : `task ${this.nameAt(e.context, e.cycle) ?? e.context}`,
      reason: PANIC_REASONS[e.reason] ?? `reason ${e.reason}`,
      detail: e.detail,
      message: e.reason === 1 ? abortMessage(e.abortIndex, e.detail) : e.reason === 8 ? abortMessage(e.abortIndex, 0) : e.reason === 6 ? KERNEL_MISUSE[e.detail] : e.reason === 9 ? kernelBugMessage(e.detail, e.trap) : e.trap,
      ...(e.source ? { source: { ...e.source } } : {}),
      nested: e.nested,
      ...(PANIC_DEFERRED[e.deferred] ? { deferred: PANIC_DEFERRED[e.deferred] } : {}),
      ...(e.unwound ? { unwound: { ...e.unwound } } : {}),
      ...(e.released ? { released: { mutexes: [...e.released.mutexes] } } : {}),
      ...(e.restartedAs !== undefined ? { restartedAs: e.restartedAs } : {}),
    }));
  }

  /**
   * Per-task statistics for the live tasks; with `{ ended: true }` also the
   * tasks that exited or panicked (what the host last saw of them).
   */
  tasks(options: { ended?: boolean } = {}): TaskStats[] {
    this.check();
    const out: TaskStats[] = [];
    const info = (id: number, f: number) => Number(this.exports.hoprt_task_info(id, f));
    const max = this.exports.hoprt_max_tasks();
    if (!Number.isInteger(max) || max < 0 || max > 65536) this.fail(new FirmwareError(`tasks: hoprt_max_tasks returned ${max}`));
    for (let id = 0; id < max; id++) {
      if (info(id, 0) !== 1) continue;
      out.push({
        id,
        name: this.taskNames.get(id) ?? `task ${id}`,
        priority: info(id, 1),
        switches: info(id, 3),
        cycles: this.exports.hoprt_task_info(id, 4),
        stackUsed: info(id, 5),
        stackBytes: info(id, 6),
        savePeak: info(id, 7),
        stackPeak: info(id, 10),
        stacklets: info(id, 11),
        stackletsPeak: info(id, 12),
        alive: true,
      });
    }
    if (options.ended) out.push(...this.endedTasks);
    return out;
  }

  /** Kernel calls refused so far: how many times each error code was returned (kept whether or not the trace is collected). */
  refusedCalls(): Array<{ code: number; name: string; count: number }> {
    this.drain();
    return [...this.refusals].sort((a, b) => b[0] - a[0]).map(([code, count]) => ({ code, name: errorName(code), count }));
  }

  /**
   * Heap use; the collector: collections so far and the longest (an uninterruptible stretch, cycles); stacks:
   * live stacklets (tasks' first regions included), bytes of allocated stacklets now and at most, allocations since boot.
   */
  memory(): MemoryStats {
    this.check();
    const m = (f: number) => Number(this.exports.hoprt_memory_info(f));
    return {
      heapUsed: m(0), heapPeak: m(1), heapCapacity: m(2), sramBytes: m(3), collections: m(4), gcMaxPauseCycles: m(5),
      stacklets: m(6), stackletBytes: m(7), stackletPeakBytes: m(8), stackletAllocations: m(9),
      stackDynamicBytes: m(10), stackDynamicPeakBytes: m(11), stackletsPooled: m(13), stackletPooledBytes: m(14),
    };
  }
}

const UTF16 = new TextDecoder("utf-16le");
/** Trace kinds the host reads even with collection off (assembly/probe/trace.ts). */
const KIND_UNWIND_DONE = 36, KIND_RESTART = 37, KIND_TASK_END = 38, KIND_TASK_CPU = 39;
const KIND_TASK_EXIT = 6, KIND_PANIC = 10, KIND_TASK_DELETE = 16, KIND_ERROR = 17, KIND_MUTEX_UNLOCK = 28, KIND_GPIO = 50, KIND_UART_TX = 52;
/** Kinds the host decodes even when it collects no trace: always, or while pins or UARTs are watched. */
const NEEDED_ALWAYS = 1, NEEDED_WATCHING = 2;
const HOST_KINDS = new Uint8Array(64);
// Mutex unlocks: a panic's report names the mutexes the kernel released for the task (panics()).
for (const kind of [KIND_PANIC, KIND_UNWIND_DONE, KIND_RESTART, KIND_TASK_EXIT, KIND_TASK_END, KIND_TASK_CPU, KIND_TASK_DELETE, KIND_ERROR, KIND_MUTEX_UNLOCK]) HOST_KINDS[kind] = NEEDED_ALWAYS;
for (const kind of [KIND_GPIO, KIND_UART_TX]) HOST_KINDS[kind] = NEEDED_WATCHING;
