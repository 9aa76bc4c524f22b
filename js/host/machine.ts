/**
 * The host side of a HopRT machine: loads a firmware, drives its clock,
 * injects interrupts, and drains the debug probe (console and trace).
 */
import { decodeRecord, toPerfetto, exceptionName, HEADER_BYTES, RECORD_BYTES, type TraceEvent } from "./trace.js";
import { parseDuration } from "./units.js";
import { PeripheralHost, type GpioPin, type Uart } from "./peripherals.js";
import { toVcd } from "./vcd.js";

export const SUPPORTED_ABI = 1;
export const IRQ_LINES = 82;

export type StopReason = "cycles" | "probe" | "lockup" | "fatal";
const STOP_REASONS: Record<number, StopReason> = { 1: "cycles", 2: "probe", 3: "lockup", 4: "fatal" };

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
  alive: boolean;
}

type LineListener = (line: string, context: number) => void;

/** Why a context panicked (EV_PANIC's reason; assembly/mcu/core.ts FAULT_*). */
export const PANIC_REASONS: Record<number, string> = {
  1: "abort", 2: "stack overflow", 3: "trap", 4: "save area overflow", 5: "out of memory", 6: "kernel misuse", 7: "bus fault",
};

export interface Panic {
  cycle: bigint;
  /** Task id, or 0x100 + exception number for a handler. */
  context: number;
  /** The task's name or the handler's exception. */
  where: string;
  reason: string;
  /** For a stack overflow the bytes in use, for a bus fault the address, for an abort the line. */
  detail: number;
  /** An abort's message and source file. */
  message?: string;
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
  hoprt_max_tasks(): number;
  hoprt_task_info(id: number, field: number): bigint;
  hoprt_memory_info(field: number): bigint;
  hoprt_entry_cycles(): number;
  hoprt_tick(): number;
}

const REQUIRED_EXPORTS = [
  "memory", "hoprt_abi_version", "hoprt_start", "hoprt_run", "hoprt_cycles", "hoprt_fault",
  "hoprt_trace_base", "hoprt_console_base", "hoprt_probe_ack", "hoprt_irq_raise",
];

/** The console: the lines the firmware's debug.print wrote. */
export class Console {
  readonly lines: string[] = [];
  readonly panics: string[] = [];
  private listeners: LineListener[] = [];
  on(event: "line", listener: LineListener): this {
    if (event !== "line") throw new Error(`console.on: unknown event "${event}" (only "line")`);
    this.listeners.push(listener);
    return this;
  }
  /** @internal */
  emit(line: string, context: number): void {
    this.lines.push(line);
    for (const l of this.listeners) l(line, context);
  }
}

export class Trace {
  private readonly store: TraceEvent[] = [];
  /** Records the ring overwrote before they were read (0 unless the host never drained it). */
  overflow = 0;
  constructor(private readonly machine: Machine) {}
  /** @internal */
  push(e: TraceEvent): void { this.store.push(e); }
  events(): TraceEvent[] {
    this.machine.drain();
    return this.store.slice();
  }
  /** The events from index `from` on: a live view (the playground) reads only what is new since it last looked. */
  eventsSince(from: number): TraceEvent[] {
    this.machine.drain();
    return this.store.slice(from);
  }
  toPerfetto(): string {
    return toPerfetto(this.events(), { sysclkHz: this.machine.sysclkHz, taskNames: this.machine.taskNames });
  }
  /** A VCD (GTKWave, Surfer): GPIO pins, IRQ handlers, USART bytes and the running task over time. */
  toVcd(): string {
    return toVcd(this.events(), { sysclkHz: this.machine.sysclkHz, taskNames: this.machine.taskNames });
  }
}

export class Irq {
  constructor(private readonly machine: Machine) {}
  private check(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= IRQ_LINES) {
      throw new RangeError(`irq: ${n} is not an IRQ line of the STM32F407 (0..${IRQ_LINES - 1})`);
    }
  }
  raise(n: number): void { this.check(n); this.machine.exports.hoprt_irq_raise(n); }
  clear(n: number): void { this.check(n); this.machine.exports.hoprt_irq_clear(n); }
  /** Raise line `n` when the clock reaches `cycle`. */
  schedule(n: number, cycle: bigint | number): void {
    this.check(n);
    const at = BigInt(cycle);
    const now = this.machine.cycles;
    if (at < now) throw new RangeError(`irq.schedule: cycle ${at} is in the past (now ${now})`);
    const r = this.machine.exports.hoprt_irq_schedule(at, n);
    if (r === -3) throw new Error("irq.schedule: the firmware's alarm queue is full");
  }
}

export interface MachineOptions {
  /** Keep decoded trace events (default true). Off, the ring is still drained, so nothing stalls. */
  collectTrace?: boolean;
}

export class Machine {
  readonly console = new Console();
  readonly trace: Trace;
  readonly irq: Irq;
  /** The latest name of each task id (ids are reused once a task is reclaimed). */
  readonly taskNames = new Map<number, string>();
  /** Every name given, with the cycle: the trace's task_create events say which task had it when. */
  private readonly nameHistory: Array<{ id: number; name: string; created: bigint }> = [];
  /** @internal */
  exports!: Exports;
  private view!: DataView;
  private traceRead = 0;
  private consoleRead = 0;
  private started = false;
  /** The source file of each abort message in console.panics, by index. */
  private panicFiles: string[] = [];

  private readonly collectTrace: boolean;
  private readonly peripheralHost = new PeripheralHost(this);

  private constructor(private readonly module: WebAssembly.Module, options: MachineOptions) {
    this.collectTrace = options.collectTrace ?? true;
    this.trace = new Trace(this);
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
    const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    const missing = REQUIRED_EXPORTS.filter((n) => !names.has(n));
    if (missing.length > 0) throw new Error(`Machine.load: not a HopRT firmware (missing exports ${missing.join(", ")})`);
    return new Machine(module, options);
  }

  private instantiate(): void {
    const instance = new WebAssembly.Instance(this.module, {});
    this.exports = instance.exports as unknown as Exports;
    const abi = this.exports.hoprt_abi_version();
    if (abi !== SUPPORTED_ABI) {
      throw new Error(`Machine.load: firmware ABI version ${abi}, this host supports ${SUPPORTED_ABI}`);
    }
    this.view = new DataView(this.exports.memory.buffer);
    this.traceRead = 0;
    this.consoleRead = 0;
    this.started = false;
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
  gpio(name: string): GpioPin { return this.peripheralHost.gpio(name); }

  /** USART 1, 2 or 6: type bytes into it, read what it sends. */
  uart(n: number): Uart { return this.peripheralHost.uart(n); }

  /** Back to the state right after loading: fresh memory, cycle 0. */
  reset(): void {
    this.instantiate();
    this.peripheralHost.reset();
    this.console.lines.length = 0;
    this.console.panics.length = 0;
    this.panicFiles.length = 0;
    this.taskNames.clear();
    this.nameHistory.length = 0;
    this.trace.overflow = 0;
    (this.trace as any).store.length = 0;
  }

  get sysclkHz(): number { return this.exports.hoprt_sysclk_hz(); }
  get cycles(): bigint { return this.exports.hoprt_cycles(); }

  /** @internal Run the firmware's static initialisation and boot, once. */
  boot(): void {
    if (this.started) return;
    this.started = true;
    try {
      this.exports.hoprt_start();
    } catch (e) {
      this.drain();
      const why = this.console.panics.join("; ");
      throw new Error(`the firmware failed while booting${why ? ": " + why : ""} (${(e as Error).message})`);
    }
    this.drain();
  }

  /** Run for a number of cycles, or a duration such as "10ms", "2s", "500us". */
  runFor(duration: number | bigint | string): RunResult {
    const cycles = parseDuration(duration, this.sysclkHz);
    this.boot();
    const end = this.cycles + cycles;
    const faults: string[] = [];
    let reason: StopReason = "cycles";
    while (this.cycles < end) {
      let code: number;
      try {
        // Bytes for the USARTs' RX wires go on before the slice that needs them.
        const sliceEnd = this.peripheralHost.feed(this.cycles, end);
        code = this.exports.hoprt_run(sliceEnd - this.cycles);
      } catch (e) {
        // A WebAssembly trap: the context that ran panics; the machine goes on.
        faults.push((e as Error).message);
        this.exports.hoprt_asyncify_reset();
        const after = this.exports.hoprt_fault();
        this.drain();
        if (after === 4) { reason = "fatal"; break; }
        continue;
      }
      this.drain();
      reason = STOP_REASONS[code] ?? "fatal";
      if (reason === "lockup" || reason === "fatal") break;
    }
    return { reason, cycles: this.cycles, faults };
  }

  /** Read everything the probe buffered: console lines, task names, trace records. */
  drain(): void {
    if (!this.exports) return;
    const view = this.view.buffer === this.exports.memory.buffer ? this.view : (this.view = new DataView(this.exports.memory.buffer));
    const tb = this.exports.hoprt_trace_base();
    const written = view.getUint32(tb, true);
    const capacity = view.getUint32(tb + 8, true);
    const lostInRing = view.getUint32(tb + 12, true);
    this.trace.overflow = lostInRing;
    let from = this.traceRead;
    if (written - from > capacity) from = written - capacity;
    const watching = this.peripheralHost.watching;
    if (this.collectTrace) {
      for (let i = from; i < written; i++) {
        const e = decodeRecord(view, tb + HEADER_BYTES + (i % capacity) * RECORD_BYTES);
        this.trace.push(e);
        this.peripheralHost.observe(e);
      }
    } else if (watching) {
      // Pin changes and USART bytes still reach their listeners.
      for (let i = from; i < written; i++) {
        const at = tb + HEADER_BYTES + (i % capacity) * RECORD_BYTES;
        const kind = view.getUint16(at + 8, true);
        if (kind === 50 || kind === 52) this.peripheralHost.observe(decodeRecord(view, at));
      }
    }
    this.traceRead = written;

    const cb = this.exports.hoprt_console_base();
    const cwritten = view.getUint32(cb, true);
    const ccap = view.getUint32(cb + 8, true);
    const byteAt = (i: number) => view.getUint8(cb + 16 + (i % ccap));
    let p = this.consoleRead;
    while (p < cwritten) {
      const kind = byteAt(p);
      const context = byteAt(p + 2) | (byteAt(p + 3) << 8);
      const length = byteAt(p + 4) | (byteAt(p + 5) << 8) | (byteAt(p + 6) << 16) | (byteAt(p + 7) << 24);
      // A task name starts with its task's creation cycle.
      const skip = kind === 2 ? 8 : 0;
      let stamp = 0n;
      for (let i = 0; i < skip; i++) stamp |= BigInt(byteAt(p + 8 + i)) << BigInt(8 * i);
      let text = "";
      for (let i = skip; i < length; i += 2) text += String.fromCharCode(byteAt(p + 8 + i) | (byteAt(p + 9 + i) << 8));
      p += 8 + length;
      if (kind === 1) this.console.emit(text, context);
      else if (kind === 2) {
        this.taskNames.set(context, text);
        this.nameHistory.push({ id: context, name: text, created: stamp });
      }
      else if (kind === 3) this.console.panics.push(text);
      else if (kind === 4) this.panicFiles[this.console.panics.length - 1] = text;
    }
    this.consoleRead = cwritten;
    this.exports.hoprt_probe_ack(written, cwritten);
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

  /** Every panic so far: which context, why. */
  panics(): Panic[] {
    let abortIndex = 0;
    const abortMessage = (line: number) => {
      const i = abortIndex++;
      const text = this.console.panics[i];
      if (text === undefined) return undefined;
      return this.panicFiles[i] ? `${text} (${this.panicFiles[i]}:${line})` : text;
    };
    return this.trace.events().filter((e) => e.kind === "panic").map((e) => ({
      cycle: e.cycle,
      context: e.context,
      where: e.context >= 0x100 ? `handler ${exceptionName(e.context - 0x100)}` : `task ${this.nameAt(e.context, e.cycle) ?? e.context}`,
      reason: PANIC_REASONS[e.a] ?? `reason ${e.a}`,
      detail: e.b,
      message: e.a === 1 ? abortMessage(e.b) : undefined,
    }));
  }

  /** Per-task statistics for the live tasks. */
  tasks(): TaskStats[] {
    const out: TaskStats[] = [];
    const info = (id: number, f: number) => Number(this.exports.hoprt_task_info(id, f));
    for (let id = 0; id < this.exports.hoprt_max_tasks(); id++) {
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
        alive: true,
      });
    }
    return out;
  }

  memory(): { heapUsed: number; heapPeak: number; heapCapacity: number; sramBytes: number } {
    const m = (f: number) => Number(this.exports.hoprt_memory_info(f));
    return { heapUsed: m(0), heapPeak: m(1), heapCapacity: m(2), sramBytes: m(3) };
  }
}
