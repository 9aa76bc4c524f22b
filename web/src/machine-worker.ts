/**
 * The machine in a Web Worker, so the page never blocks. The page asks it to
 * advance (a number of cycles, or as far as it gets in a wall-clock budget);
 * it answers each request with one frame: what happened since the last one.
 * Inputs (button, UART) are applied at the current cycle through the
 * host's scheduling calls, and logged with that cycle: replaying the log
 * (a share link) reproduces the run exactly.
 */
import { Machine } from "../../js/host/index.js";
import { TimelineModel } from "./timeline-model.js";
import type { Frame, Input, MachineReply, MachineRequest, TaskBar } from "./protocol.js";

const scope = globalThis as unknown as { postMessage(m: MachineReply, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null };
const LEDS = ["PD12", "PD13", "PD14", "PD15"];
const UART = 2;

let machine: Machine | null = null;
let model: TimelineModel;
/** Trace events since the last frame (the timeline model has taken each as it was read). */
let eventCount = 0;
let lines: Array<{ cycle: number; text: string }> = [];
let uartText = "";
let ledChanges: number[] = [];
let inputs: Input[] = [];
let newInputs: Input[] = [];
const peaks = new Map<string, number>();
let stopped: string | undefined;
/** Cycles per wall millisecond, measured: sizes the slices of a budgeted advance. */
let rate = 50_000;

function attach(m: Machine): void {
  // Every event, as the host reads it: the trace's kept window (trace.events()) lets the oldest go
  // when one frame's run writes more than it holds, and a run at full speed through an idle
  // firmware covers seconds of virtual time a frame.
  m.trace.on("event", (e) => { eventCount++; model.add(e); });
  m.console.on("line", (text) => lines.push({ cycle: Number(m.cycles), text }));
  LEDS.forEach((name, i) => m.gpio(name).on("change", (level, cycle) => ledChanges.push(Number(cycle), i, level)));
  m.uart(UART).on("data", (bytes) => { uartText += String.fromCharCode(...bytes); });
}

function fresh(): void {
  model = new TimelineModel((id, cycle) => machine?.nameAt(id, cycle));
  eventCount = 0;
  lines = [];
  uartText = "";
  ledChanges = [];
  inputs = [];
  newInputs = [];
  peaks.clear();
  stopped = undefined;
}

function apply(input: Input): void {
  const m = machine!;
  if (input.kind === "pin") m.gpio(input.pin).setAt(BigInt(input.cycle), input.level);
  else m.uart(input.uart).writeAt(BigInt(input.cycle), input.text);
  inputs.push(input);
  newInputs.push(input);
}

function taskBars(m: Machine): TaskBar[] {
  return m.tasks().map((t) => {
    const key = `${t.id}/${t.name}`;
    // The kernel's own peak, never below the most seen at a frame.
    const peak = Math.max(t.stackPeak, t.stackUsed, peaks.get(key) ?? 0);
    peaks.set(key, peak);
    return {
      id: t.id, name: t.name, priority: t.priority, cycles: Number(t.cycles), stackUsed: t.stackUsed, stackPeak: peak, stackBytes: t.stackBytes,
      stacklets: t.stacklets, stackletsPeak: Math.max(t.stackletsPeak, t.stacklets),
    };
  });
}

function frame(runMs: number, advanced = false, fresh = false): Frame {
  const m = machine!;
  m.drain();
  const events = eventCount;
  eventCount = 0;
  model.relabel(m.taskNames);
  const taken = model.take();
  const f: Frame = {
    type: "frame",
    cycles: Number(m.cycles),
    sysclkHz: m.sysclkHz,
    lanes: model.lanes,
    ...taken,
    console: lines,
    uart: uartText,
    leds: LEDS.map((name) => m.gpio(name).get()),
    ledChanges,
    tasks: taskBars(m),
    events,
    runMs,
    stopped,
    inputs: newInputs,
    advanced,
    fresh,
  };
  lines = [];
  uartText = "";
  ledChanges = [];
  newInputs = [];
  return f;
}

function post(f: Frame): void {
  scope.postMessage(f, [f.segments.buffer as ArrayBuffer, f.open.buffer as ArrayBuffer, f.arrows.buffer as ArrayBuffer]);
}

function runCycles(cycles: number): void {
  const m = machine!;
  const result = m.runFor(BigInt(Math.max(1, Math.round(cycles))));
  if (result.faults.length > 0) lines.push(...result.faults.map((f) => ({ cycle: Number(m.cycles), text: `[fault] ${f}` })));
  if (result.reason === "lockup" || result.reason === "fatal" || result.reason === "kernel bug") stopped = result.reason;
}

function advance(request: { cycles?: number; until?: number; wallMs?: number }): void {
  const m = machine!;
  const started = performance.now();
  if (stopped) { post(frame(0, true)); return; }
  const target = request.until ?? (request.cycles !== undefined ? Number(m.cycles) + request.cycles : undefined);
  if (target !== undefined) {
    // A paced step, a step or a replay: to this cycle, in slices that keep
    // the measured rate fresh (each ends at the first check point past its end).
    while (Number(m.cycles) < target && !stopped) {
      const slice = Math.min(target - Number(m.cycles), Math.max(10_000, rate * 10));
      const t = performance.now();
      runCycles(slice);
      const ms = performance.now() - t;
      if (ms > 0.5) rate = 0.7 * rate + 0.3 * (slice / ms);
    }
  } else {
    // As fast as possible: slices of about 5 ms until the budget is spent.
    const budget = request.wallMs ?? 30;
    while (performance.now() - started < budget && !stopped) {
      const slice = Math.max(10_000, Math.round(rate * 5));
      const t = performance.now();
      runCycles(slice);
      const ms = performance.now() - t;
      if (ms > 0.5) rate = 0.7 * rate + 0.3 * (slice / ms);
      else rate *= 2;
    }
  }
  void m;
  post(frame(performance.now() - started, true));
}

function handle(request: MachineRequest): void {
  if (request.type === "load") {
    machine = Machine.loadSync(request.wasm);
    fresh();
    attach(machine);
    machine.runFor(1); // boot, so that inputs have a machine to go to
    for (const input of request.replay ?? []) apply(input);
    scope.postMessage({ type: "loaded" });
    post(frame(0, false, true));
    return;
  }
  if (!machine) throw new Error("no firmware loaded: build first");
  switch (request.type) {
    case "advance":
      advance(request);
      break;
    case "reset":
      machine.reset();
      fresh();
      machine.runFor(1);
      post(frame(0, false, true));
      break;
    case "pin":
      apply({ cycle: Number(machine.cycles), kind: "pin", pin: request.pin, level: request.level });
      break;
    case "uart":
      apply({ cycle: Number(machine.cycles), kind: "uart", uart: request.uart, text: request.text });
      break;
    case "export": {
      const text = request.format === "perfetto" ? machine.trace.toPerfetto() : machine.trace.toVcd();
      scope.postMessage({ type: "export", format: request.format, text });
      break;
    }
  }
}

scope.onmessage = (event: MessageEvent) => {
  try {
    handle(event.data as MachineRequest);
  } catch (e) {
    scope.postMessage({ type: "error", message: (e as Error).message ?? String(e) });
  }
};
