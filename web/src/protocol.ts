/** Messages between the playground page and its two workers. */

/** One compiler message: where (in the application), what. */
export interface Diagnostic {
  severity: "error" | "warning" | "info";
  code: string;
  message: string;
  /** 1-based; 0 when the message names no place in the application. */
  line: number;
  column: number;
}

/** `fresh`: compile even when the worker has this source's firmware already (prebuilt or built before). */
export type CompilerRequest = { type: "build"; id: number; source: string; fresh?: boolean };
export type CompilerReply =
  | { type: "ready"; ms: number }
  | { type: "built"; id: number; ok: true; wasm: Uint8Array; ms: number; diagnostics: Diagnostic[]; compiled: boolean }
  | { type: "built"; id: number; ok: false; ms: number; diagnostics: Diagnostic[]; text: string };

/** An input to the machine, at the cycle it was applied (a share link replays them). */
export type Input =
  | { cycle: number; kind: "pin"; pin: string; level: 0 | 1 }
  | { cycle: number; kind: "uart"; uart: number; text: string };

export type MachineRequest =
  | { type: "load"; wasm: Uint8Array; replay?: Input[] }
  | { type: "advance"; cycles?: number; until?: number; wallMs?: number }
  | { type: "reset" }
  | { type: "pin"; pin: string; level: 0 | 1 }
  | { type: "uart"; uart: number; text: string }
  | { type: "export"; format: "perfetto" | "vcd" };

/** Timeline lane states. */
export const STATE_NONE = 0, STATE_READY = 1, STATE_RUNNING = 2, STATE_BLOCKED = 3, STATE_SLEEPING = 4;

export interface Lane { index: number; label: string; kind: "task" | "irq"; priority?: number }
export interface Marker { cycle: number; lane: number; kind: string; text: string }
export interface TaskBar {
  id: number; name: string; priority: number; cycles: number; stackUsed: number; stackPeak: number; stackBytes: number;
  /** Stacklets the task holds beyond its first region, now and at most (0 for a static stack). */
  stacklets: number; stackletsPeak: number;
}

export interface Frame {
  type: "frame";
  cycles: number;
  sysclkHz: number;
  /** Lanes seen so far (all of them, labels may change). */
  lanes: Lane[];
  /** Closed segments: lane, state, start, end (cycles), four numbers each. */
  segments: Float64Array;
  /** The open segment of each lane: lane, state, start. */
  open: Float64Array;
  /** Arrows: kind (0 switch, 1 wake), cycle, from lane, to lane. */
  arrows: Float64Array;
  markers: Marker[];
  console: Array<{ cycle: number; text: string }>;
  /** Bytes USART2 sent, as text. */
  uart: string;
  /** PD12..PD15. */
  leds: number[];
  /** Every LED change: cycle, pin index 0..3, level. */
  ledChanges: number[];
  tasks: TaskBar[];
  /** Events decoded in this frame, and the wall time the run took. */
  events: number;
  runMs: number;
  stopped?: string;
  inputs: Input[];
  /** Whether this frame answers an "advance" (the page keeps one in flight). */
  advanced: boolean;
  /** The first frame of a new machine (load) or of a reset one: what the page shows starts again. */
  fresh: boolean;
}

export type MachineReply =
  | Frame
  | { type: "loaded" }
  | { type: "error"; message: string }
  | { type: "export"; format: "perfetto" | "vcd"; text: string };
