/**
 * Trace events -> timeline lanes: one lane per task and per exception, each
 * a sequence of segments (ready / running / blocked / sleeping), with
 * arrows for context switches and wake-ups and markers for panics, errors,
 * restarts and user marks. Runs next to the machine (in its worker), so the
 * page receives only what it draws.
 */
import type { TraceEvent } from "../../js/host/index.js";
import { exceptionName, PANIC_REASONS, HANDLER_CONTEXT_BASE } from "../../js/host/index.js";
import { STATE_BLOCKED, STATE_NONE, STATE_READY, STATE_RUNNING, STATE_SLEEPING, type Lane, type Marker } from "./protocol.js";

/** EV_TASK_SWITCH_OUT's argument: the task's state (assembly/kernel/task.ts TASK_*). */
const OUT_READY = 1, OUT_BLOCKED = 2;

export class TimelineModel {
  readonly lanes: Lane[] = [];
  private readonly laneOf = new Map<string, number>();
  private readonly state: number[] = [];
  private readonly since: number[] = [];
  /** Why a running task will stop running (sleep or wait), applied at its switch-out. */
  private readonly leaving = new Map<number, number>();
  private segments: number[] = [];
  private arrows: number[] = [];
  private markers: Marker[] = [];
  private lastOut: { lane: number; cycle: number } | null = null;

  constructor(private readonly nameOf: (task: number, cycle: bigint) => string | undefined) {}

  private lane(key: string, label: string, kind: "task" | "irq"): number {
    let i = this.laneOf.get(key);
    if (i === undefined) {
      i = this.lanes.length;
      this.laneOf.set(key, i);
      this.lanes.push({ index: i, label, kind });
      this.state.push(STATE_NONE);
      this.since.push(0);
    }
    return i;
  }

  private taskLane(id: number, cycle: bigint): number {
    const i = this.lane("t" + id, this.nameOf(id, cycle) ?? `task ${id}`, "task");
    return i;
  }

  private contextLane(context: number, cycle: bigint): number {
    return context >= HANDLER_CONTEXT_BASE ? this.lane("x" + (context - HANDLER_CONTEXT_BASE), exceptionName(context - HANDLER_CONTEXT_BASE), "irq") : this.taskLane(context, cycle);
  }

  private set(lane: number, state: number, cycle: number): void {
    if (this.state[lane] === state) return;
    if (this.state[lane] !== STATE_NONE && cycle > this.since[lane]) this.segments.push(lane, this.state[lane], this.since[lane], cycle);
    this.state[lane] = state;
    this.since[lane] = cycle;
  }

  add(e: TraceEvent): void {
    const cycle = Number(e.cycle);
    switch (e.kind) {
      case "task_create":
      case "task_ready": {
        const lane = this.taskLane(e.context, e.cycle);
        if (e.kind === "task_create") this.lanes[lane].label = this.nameOf(e.context, e.cycle) ?? this.lanes[lane].label;
        if (this.state[lane] !== STATE_RUNNING) this.set(lane, STATE_READY, cycle);
        break;
      }
      case "task_switch_in": {
        const lane = this.taskLane(e.context, e.cycle);
        this.set(lane, STATE_RUNNING, cycle);
        if (this.lastOut && this.lastOut.lane !== lane) this.arrows.push(0, cycle, this.lastOut.lane, lane);
        this.lastOut = null;
        break;
      }
      case "task_switch_out": {
        const lane = this.taskLane(e.context, e.cycle);
        const next = e.a === OUT_READY ? STATE_READY : e.a === OUT_BLOCKED ? (this.leaving.get(lane) ?? STATE_BLOCKED) : STATE_NONE;
        this.leaving.delete(lane);
        this.set(lane, next, cycle);
        this.lastOut = { lane, cycle };
        break;
      }
      case "task_block":
        this.leaving.set(this.taskLane(e.context, e.cycle), STATE_SLEEPING);
        break;
      case "wait":
        this.leaving.set(this.taskLane(e.context, e.cycle), STATE_BLOCKED);
        break;
      case "wake":
        this.arrows.push(1, cycle, this.contextLane(e.context, e.cycle), this.taskLane(e.b, e.cycle));
        break;
      case "task_exit":
      case "task_delete":
        this.set(this.taskLane(e.context, e.cycle), STATE_NONE, cycle);
        break;
      case "isr_enter":
        this.set(this.lane("x" + e.a, exceptionName(e.a), "irq"), STATE_RUNNING, cycle);
        break;
      case "isr_exit":
        this.set(this.lane("x" + e.a, exceptionName(e.a), "irq"), STATE_NONE, cycle);
        break;
      case "panic":
        this.markers.push({ cycle, lane: this.contextLane(e.context, e.cycle), kind: "panic", text: `panic: ${PANIC_REASONS[e.a] ?? "reason " + e.a}` });
        break;
      case "error":
        this.markers.push({ cycle, lane: this.contextLane(e.context, e.cycle), kind: "error", text: `kernel call refused (code ${e.a | 0})` });
        break;
      case "user_mark":
        this.markers.push({ cycle, lane: this.contextLane(e.context, e.cycle), kind: "mark", text: `mark ${e.a} ${e.b}` });
        break;
      default:
        // Kinds added later (a restart, say) still show, as markers named by kind.
        if ((e.kind as string) === "restart" || (e.kind as string) === "task_restart") {
          this.markers.push({ cycle, lane: this.contextLane(e.context, e.cycle), kind: "restart", text: "restart" });
        }
    }
  }

  /** Hand over what is new since the last call. */
  take(): { segments: Float64Array; open: Float64Array; arrows: Float64Array; markers: Marker[] } {
    const open: number[] = [];
    for (let i = 0; i < this.lanes.length; i++) if (this.state[i] !== STATE_NONE) open.push(i, this.state[i], this.since[i]);
    const out = { segments: Float64Array.from(this.segments), open: Float64Array.from(open), arrows: Float64Array.from(this.arrows), markers: this.markers };
    this.segments = [];
    this.arrows = [];
    this.markers = [];
    return out;
  }

  /** Refresh task labels (names arrive with the console ring). */
  relabel(names: Map<number, string>): void {
    for (const [key, index] of this.laneOf) {
      if (key[0] === "t") {
        const name = names.get(Number(key.slice(1)));
        if (name) this.lanes[index].label = name;
      }
    }
  }
}
