/**
 * Ended tasks in m.tasks({ ended: true }) and `hoprt run --stats`: their
 * priority, switches, CPU cycles, stack size and peaks are what the firmware
 * said as it reclaimed them (EV_TASK_END, EV_TASK_CPU, EV_TASK_DELETE), even
 * when the host drains the ring only after new tasks took their slots, and
 * whether or not the trace is collected.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { firmware, ofKind } from "./support.js";
import { Machine, type TaskStats, type TraceEvent } from "../../js/host/index.js";

const APP = `
import { task, time } from "hoprt";
function short(rounds: u32): void {
  for (let i: u32 = 0; i < rounds; i++) time.sleepMs(1);
}
function bad(arg: u32): void {
  time.sleepMs(2);
  assert(false, "boom");
}
export function main(): void {
  task.build().entry(short).arg(3).name("short").priority(5).staticStack(1024).spawn();
  task.build().entry(bad).arg(0).name("bad").priority(7).staticStack(1536).spawn();
  time.sleepMs(20);
  // Their slots are free again: new tasks, other settings, take them before the host looks.
  task.build().entry(short).arg(1000).name("reuser").priority(9).staticStack(2048).spawn();
  task.build().entry(short).arg(1000).name("reuser2").priority(10).staticStack(2560).spawn();
}
`;

function row(tasks: TaskStats[], name: string): TaskStats {
  const found = tasks.filter((t) => t.name === name);
  expect(found.length, name).toBe(1);
  return found[0];
}

/**
 * From the trace alone: the task's switches in, and its cycles from each switch that gave it the CPU
 * to the switch that took it away. One switch emits the outgoing task's switch-out and then the
 * incoming task's switch-in, both from the same instant the kernel reads the clock (the switch-in is
 * stamped after the bookkeeping between them): a task's turn starts at the switch-out just before
 * its switch-in.
 */
function fromTrace(events: TraceEvent[], id: number, created: bigint, deleted: bigint) {
  let switches = 0;
  let cycles = 0n;
  let since: bigint | null = null;
  events.forEach((e, i) => {
    if (e.context !== id || e.cycle < created || e.cycle > deleted) return;
    if (e.kind === "task_switch_in") {
      switches++;
      const before = events[i - 1];
      since = before && before.kind === "task_switch_out" ? before.cycle : e.cycle;
    }
    if (e.kind === "task_switch_out" && since !== null) { cycles += e.cycle - since; since = null; }
  });
  return { switches, cycles };
}

let quiet: Machine;
let traced: Machine;
beforeAll(async () => {
  const bytes = await firmware("ended-tasks", APP);
  quiet = Machine.loadSync(bytes, { collectTrace: false });
  traced = Machine.loadSync(bytes, { traceWindow: Infinity });
  // One slice: the host reads nothing until the new tasks hold the ended ones' slots.
  quiet.runFor("30ms");
  // Sliced finely, with reads between slices: the same figures.
  for (let i = 0; i < 300; i++) { traced.runFor("0.1ms"); traced.tasks({ ended: true }); }
});

describe("ended tasks", () => {
  it("keep the figures the firmware gave as it reclaimed them, though their slots were reused before the host read", () => {
    const ended = quiet.tasks({ ended: true });
    const short = row(ended, "short");
    const bad = row(ended, "bad");
    const main = row(ended, "main");
    expect(short).toMatchObject({ priority: 5, stackBytes: 1024, stackUsed: 0, alive: false, ended: "exited" });
    // Its own priority, not the unwind level (13) it panicked down to.
    expect(bad).toMatchObject({ priority: 7, stackBytes: 1536, stackUsed: 0, alive: false, ended: "panicked" });
    expect(main).toMatchObject({ priority: 0, alive: false, ended: "exited" });
    // The reusers are alive in those slots, with their own settings.
    const live = quiet.tasks();
    expect(row(live, "reuser")).toMatchObject({ priority: 9, stackBytes: 2048, alive: true });
    expect(row(live, "reuser2")).toMatchObject({ priority: 10, stackBytes: 2560, alive: true });
    expect([row(live, "reuser").id, row(live, "reuser2").id].sort()).toEqual([short.id, bad.id].sort());
    for (const t of [short, bad, main]) {
      expect(t.switches, t.name).toBeGreaterThan(0);
      expect(t.cycles, t.name).toBeGreaterThan(0n);
      expect(t.stackPeak, t.name).toBeGreaterThan(0);
    }
  });

  it("are the trace's own count: switches in, and cycles from the switch that gave it the CPU to the one that took it", () => {
    const events = traced.trace.events();
    const ended = traced.tasks({ ended: true });
    // (main is left out: its first turn starts at the kernel's start, not at a switch.)
    for (const name of ["short", "bad"]) {
      const t = row(ended, name);
      const created = ofKind(events, "task_create").filter((e) => e.context === t.id && traced.taskNames.get(e.context) !== undefined);
      const deletes = ofKind(events, "task_delete").filter((e) => e.context === t.id);
      const start = created[0].cycle;
      const end = deletes[0].cycle;
      const counted = fromTrace(events, t.id, start, end);
      expect({ name, switches: t.switches, cycles: t.cycles }).toEqual({ name, ...counted });
      // The end events come just before the delete, from the same context.
      const kinds = events.filter((e) => e.context === t.id && e.cycle <= end).map((e) => e.kind);
      expect(kinds.slice(-3)).toEqual(["task_end", "task_cpu", "task_delete"]);
    }
    // However the host sliced and read, the figures are the quiet run's.
    const strip = (ts: TaskStats[]) => ts.map(({ id, name, priority, switches, cycles, stackBytes, stackPeak, savePeak, ended }) => ({ id, name, priority, switches, cycles, stackBytes, stackPeak, savePeak, ended }));
    expect(strip(ended.filter((t) => !t.alive))).toEqual(strip(quiet.tasks({ ended: true }).filter((t) => !t.alive)));
  });
});
