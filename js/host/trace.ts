/**
 * Trace events: decoding the firmware's trace ring, and exporting to the
 * Chrome / Perfetto JSON trace format (one track per task and per IRQ).
 */

/** Event kinds; mirrors assembly/probe/trace.ts. */
/** A handler's trace context is this plus its exception number (assembly/kernel/stack/context.ts HANDLER_ID_BASE). */
export const HANDLER_CONTEXT_BASE = 0xf000;

export const EVENT_KINDS = [
  "", "task_create", "task_ready", "task_switch_in", "task_switch_out", "task_block", "task_exit",
  "isr_enter", "isr_exit", "idle", "panic", "irq_raise", "irq_clear", "tick", "user_mark",
  "priority", "task_delete", "error", "stack", "gc", "run_stop",
  // 21..49: synchronisation objects and scheduling
  "timeslice", "timeout", "wait", "wake", "sem_give", "sem_take", "mutex_lock", "mutex_unlock",
  "chan_send", "chan_recv", "notify", "inherit", "tick_ignored", "policy", "pended",
  "unwind_done", "restart", "task_end", "task_cpu", "stacklet_alloc", "stacklet_free", "cleanup",
] as const;

/** Peripheral event kinds 50..79 (assembly/probe/trace.ts), kept apart from the dense list above. */
export const PERIPHERAL_KINDS = {
  50: "gpio", 51: "exti", 52: "uart_tx", 53: "uart_rx", 54: "tim_update", 55: "clock", 56: "gated", 57: "gpio_lock",
} as const;

export type PeripheralKind = (typeof PERIPHERAL_KINDS)[keyof typeof PERIPHERAL_KINDS];

/** Debug-probe kinds: 49 from the firmware; "trace_lost" is the host's (records the ring overwrote: a = how many, b = total). */
export const PROBE_KINDS = { 49: "console_drop" } as const;
export type ProbeKind = (typeof PROBE_KINDS)[keyof typeof PROBE_KINDS] | "trace_lost";

export type EventKind = (typeof EVENT_KINDS)[number] | PeripheralKind | ProbeKind;

/** The name of event kind `id`. */
export function kindName(id: number): EventKind {
  if (id === 49) return PROBE_KINDS[49];
  if (id >= 50 && id < 80) return (PERIPHERAL_KINDS as Record<number, PeripheralKind>)[id] ?? ("" as EventKind);
  return EVENT_KINDS[id] ?? ("" as EventKind);
}

export interface TraceEvent {
  cycle: bigint;
  kind: EventKind;
  /** Task id, or HANDLER_CONTEXT_BASE (0xF000) + exception number for a handler. */
  context: number;
  a: number;
  b: number;
  c: number;
}

export const RECORD_BYTES = 24;
export const HEADER_BYTES = 16;

export function decodeRecord(view: DataView, at: number): TraceEvent {
  const kindId = view.getUint16(at + 8, true);
  return {
    cycle: view.getBigInt64(at, true),
    kind: kindName(kindId),
    context: view.getUint16(at + 10, true),
    a: view.getUint32(at + 12, true),
    b: view.getUint32(at + 16, true),
    c: view.getUint32(at + 20, true),
  };
}

export const EXCEPTION_NAMES: Record<number, string> = {
  2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault",
  11: "SVCall", 12: "DebugMon", 14: "PendSV", 15: "SysTick",
};

export function exceptionName(exc: number): string {
  return EXCEPTION_NAMES[exc] ?? (exc >= 16 ? `IRQ${exc - 16}` : `exception ${exc}`);
}

/** Object kinds in wait/wake events (assembly/kernel/sync/waitqueue.ts KIND_*). */
const OBJECT_KINDS: Record<number, string> = { 1: "semaphore", 2: "mutex", 3: "channel (send)", 4: "channel (receive)", 5: "mailbox", 6: "condvar" };

function hex(n: number): string {
  return "0x" + n.toString(16);
}

interface PerfettoOptions {
  sysclkHz: number;
  taskNames: Map<number, string>;
}

/**
 * Chrome trace-event JSON: a track per task (its runs, and the periods it is
 * blocked or sleeping) and per exception (its handler runs), instant events
 * for panics, errors, timeouts, inheritance and slices, and flow arrows from
 * whoever woke a task (give, unlock, send, notify) to that task's next run.
 */
export function toPerfetto(events: TraceEvent[], options: PerfettoOptions): string {
  const chunks: string[] = [];
  const writer = new PerfettoWriter(options, (chunk) => chunks.push(chunk));
  for (const e of events) writer.push(e);
  writer.end();
  return chunks.join("");
}

/**
 * The Perfetto export as a stream: events in (push, in trace order), JSON
 * text out (to `write`, in pieces) as soon as each slice is known, so a long
 * run's trace goes to a file without the host keeping its events. The text
 * is toPerfetto's for the same events; end() closes the open slices at the
 * last event's cycle and the JSON document.
 */
export class PerfettoWriter {
  private readonly named = new Set<string>();
  private readonly runningSince = new Map<number, bigint>();
  private readonly isrSince = new Map<number, bigint[]>();
  private readonly blockedSince = new Map<number, { cycle: bigint; why: string }>();
  // A task blocks while it still runs: its blocked slice starts when it is switched out, so slices on a track never overlap.
  private readonly blocking = new Map<number, string>();
  private readonly pendingFlows = new Map<number, number>();
  /** Contexts unwinding after a panic (an async "unwinding" slice is open for each). */
  private readonly unwinding = new Set<number>();
  private nextFlow = 1;
  private first = true;
  private last = 0n;
  private ended = false;
  /** What push() works with, made once (push runs for every event of a long run). */
  private readonly bound = {
    out: { push: (o: object) => this.emit(o) },
    us: (cycle: bigint) => this.us(cycle),
    nameTrack: (pid: number, tid: number, name: string) => this.nameTrack(pid, tid, name),
    taskName: (id: number) => this.taskName(id),
    block: (task: number, cycle: bigint, why: string) => this.block(task, cycle, why),
    track: (context: number): [number, number] => (context >= HANDLER_CONTEXT_BASE ? [2, context - HANDLER_CONTEXT_BASE] : [1, context]),
    runningSince: this.runningSince, isrSince: this.isrSince, blockedSince: this.blockedSince, blocking: this.blocking, pendingFlows: this.pendingFlows,
  };

  constructor(private readonly options: PerfettoOptions, private readonly write: (chunk: string) => void) {
    this.write('{"traceEvents":[');
    this.emit({ ph: "M", pid: 1, name: "process_name", args: { name: "tasks" } });
    this.emit({ ph: "M", pid: 2, name: "process_name", args: { name: "interrupts" } });
  }

  private emit(o: object): void {
    this.write((this.first ? "" : ",") + JSON.stringify(o));
    this.first = false;
  }

  private us(cycle: bigint): number { return Number(cycle) / (this.options.sysclkHz / 1e6); }

  private nameTrack(pid: number, tid: number, name: string): void {
    const key = `${pid}/${tid}`;
    if (this.named.has(key)) return;
    this.named.add(key);
    this.emit({ ph: "M", pid, tid, name: "thread_name", args: { name } });
  }

  private taskName(id: number): string { return this.options.taskNames.get(id) ?? `task ${id}`; }

  private block(task: number, cycle: bigint, why: string): void {
    if (this.runningSince.has(task)) this.blocking.set(task, why);
    else this.blockedSince.set(task, { cycle, why });
  }

  /** One event (events come in trace order). */
  push(e: TraceEvent): void {
    if (this.ended) throw new Error("PerfettoWriter: push after end()");
    this.last = e.cycle;
    const { out, us, nameTrack, taskName, block, track, runningSince, isrSince, blockedSince, blocking, pendingFlows } = this.bound;
    switch (e.kind) {
      case "task_create":
        nameTrack(1, e.context, taskName(e.context));
        break;
      case "task_switch_in":
        nameTrack(1, e.context, taskName(e.context));
        runningSince.set(e.context, e.cycle);
        break;
      case "stacklet_alloc":
      case "stacklet_free":
        // A stacklet counter track per task: how many it holds beyond its first region.
        out.push({ ph: "C", pid: 1, tid: e.context, name: `stacklets ${taskName(e.context)}`, ts: us(e.cycle), args: { stacklets: e.b } });
        break;
      case "task_switch_out": {
        // A stack counter track per task: what it holds while switched out (frames + saved state).
        out.push({ ph: "C", pid: 1, tid: e.context, name: `stack ${taskName(e.context)}`, ts: us(e.cycle), args: { bytes: e.b } });
        const start = runningSince.get(e.context);
        if (start !== undefined) {
          out.push({ ph: "X", pid: 1, tid: e.context, name: "running", ts: us(start), dur: us(e.cycle) - us(start) });
          runningSince.delete(e.context);
        }
        const why = blocking.get(e.context);
        if (why !== undefined) {
          blockedSince.set(e.context, { cycle: e.cycle, why });
          blocking.delete(e.context);
        }
        break;
      }
      case "isr_enter": {
        nameTrack(2, e.a, exceptionName(e.a));
        const stack = isrSince.get(e.a) ?? [];
        stack.push(e.cycle);
        isrSince.set(e.a, stack);
        break;
      }
      case "isr_exit": {
        const start = isrSince.get(e.a)?.pop();
        if (start !== undefined) out.push({ ph: "X", pid: 2, tid: e.a, name: exceptionName(e.a), ts: us(start), dur: us(e.cycle) - us(start) });
        break;
      }
      case "task_block":
        block(e.context, e.cycle, "sleeping");
        break;
      case "wait":
        block(e.context, e.cycle, `blocked on ${OBJECT_KINDS[e.b] ?? "object"} ${hex(e.a)}`);
        break;
      case "task_ready":
        blocking.delete(e.context); // woken before it was switched out
        break;
      case "wake": {
        blocking.delete(e.b);
        // A flow arrow from the waker (a task or a handler) to the woken task's next run.
        const id = this.nextFlow++;
        const [pid, tid] = track(e.context);
        out.push({ ph: "s", id, pid, tid, name: "wake", cat: "sync", ts: us(e.cycle) });
        pendingFlows.set(e.b, id);
        break;
      }
      case "panic":
      case "unwind_done":
        // Unwinding gets its own slice beside the context's track (an async slice: the context's
        // runs go on inside it, so on the track itself it would overlap them).
        this.unwindSlice(e, e.kind === "panic");
        if (e.kind === "unwind_done") break;
      // falls through: the panic is also an instant on the context's track
      case "task_exit":
      case "cleanup":
      case "user_mark":
      case "error":
      case "timeout":
      case "inherit":
      case "timeslice": {
        const [pid, tid] = track(e.context);
        out.push({ ph: "i", s: "t", pid, tid, name: e.kind, ts: us(e.cycle), args: { a: e.a, b: e.b, c: e.c } });
        break;
      }
    }
    if (e.kind === "task_switch_in") {
      blocking.delete(e.context); // blocked and woken before it was switched out: it never stopped running
      const blocked = blockedSince.get(e.context);
      if (blocked) {
        out.push({ ph: "X", pid: 1, tid: e.context, name: blocked.why, cat: "blocked", ts: us(blocked.cycle), dur: us(e.cycle) - us(blocked.cycle) });
        blockedSince.delete(e.context);
      }
      const flow = pendingFlows.get(e.context);
      if (flow !== undefined) {
        out.push({ ph: "f", bp: "e", id: flow, pid: 1, tid: e.context, name: "wake", cat: "sync", ts: us(e.cycle) });
        pendingFlows.delete(e.context);
      }
    }
  }

  /** end() was called. */
  get closed(): boolean { return this.ended; }

  /** Close the slices still open (at the last event's cycle) and the document. */
  private unwindSlice(e: TraceEvent, begin: boolean): void {
    const [pid, tid] = this.bound.track(e.context);
    const open = this.unwinding.has(e.context);
    // A nested panic (inside a cleanup handler) unwinds within the slice already open.
    if (begin === open) return;
    if (begin) this.unwinding.add(e.context);
    else this.unwinding.delete(e.context);
    const name = pid === 1 ? `unwinding ${this.taskName(tid)}` : `unwinding handler ${tid}`;
    this.emit({ ph: begin ? "b" : "e", cat: "unwind", id: e.context, pid, tid, name, ts: this.us(e.cycle) });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const context of [...this.unwinding]) this.unwindSlice({ kind: "unwind_done", cycle: this.last, context, a: 0, b: 0, c: 0 } as TraceEvent, false);
    for (const [tid, start] of this.runningSince) {
      this.emit({ ph: "X", pid: 1, tid, name: "running", ts: this.us(start), dur: this.us(this.last) - this.us(start) });
    }
    this.write('],"displayTimeUnit":"ns"}');
  }
}
