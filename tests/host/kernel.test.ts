import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";

const SPAWN_ERRORS = `
import { task, debug, errors } from "hoprt";
function nop(arg: u32): void {}
function parked(arg: u32): void { while (true) task.yieldCurrent(); }
export function main(): void {
  debug.print("bad priority " + task.build().entry(nop).priority(16).spawn().toString());
  debug.print("negative priority " + task.build().entry(nop).priority(-1).spawn().toString());
  debug.print("small stack " + task.build().entry(nop).staticStack(128).spawn().toString());
  // A task is its control block and its stack, no more: one 64 KiB stack fits in 128 KiB, a second does not.
  debug.print("fits " + (task.build().entry(nop).staticStack(65536).spawn() > 0 ? "yes" : "no"));
  debug.print("no memory " + task.build().entry(nop).staticStack(65536).spawn().toString());
  let spawned = 0;
  let last = 0;
  while (true) {
    last = task.build().entry(parked).priority(9).staticStack(256).spawn();
    if (last < 0) break;
    spawned++;
  }
  debug.print("spawned " + spawned.toString() + " then " + last.toString() + " of " + task.count().toString());
  debug.print("codes " + errors.ERR_BAD_PRIORITY.toString() + " " + errors.ERR_BAD_STACK.toString() + " " + errors.ERR_NO_MEMORY.toString() + " " + errors.ERR_TASK_LIMIT.toString());
}
`;

const LIFECYCLE = `
import { task, time, debug } from "hoprt";
function shortLived(arg: u32): void {
  debug.print("task " + arg.toString() + " is " + task.current().toString());
}
function selfExit(arg: u32): void {
  debug.print("exiting");
  task.exit();
  debug.print("never printed");
}
function counter(arg: u32): void {
  for (let i = 0; i < 3; i++) { debug.print(arg.toString() + ":" + i.toString()); task.yieldCurrent(); }
}
export function main(): void {
  for (let round = 0; round < 20; round++) {
    task.build().entry(shortLived).arg(<u32>round).priority(1).spawn();
    time.sleepMs(1);
  }
  task.build().entry(selfExit).priority(1).spawn();
  time.sleepMs(1);
  task.build().entry(counter).arg(1).priority(3).spawn();
  task.build().entry(counter).arg(2).priority(3).spawn();
  time.sleepMs(5);
  debug.print("tasks " + task.count().toString());
  task.setPriority(12);
  debug.print("main at 12 " + task.current().toString());
  __collect(); // the dead tasks' strings
}
`;

describe("tasks", () => {
  it("spawn refuses bad priorities, stacks, memory and the task limit with error codes", async () => {
    const m = await machine("spawn-errors", SPAWN_ERRORS);
    m.runFor("5ms");
    expect(m.console.lines).toEqual([
      "bad priority -1",
      "negative priority -1",
      "small stack -4",
      "fits yes",
      "no memory -2",
      "spawned 29 then -3 of 32",
      "codes -1 -4 -2 -3",
    ]);
    expect(ofKind(m.trace.events(), "error").map((e) => e.a | 0)).toEqual([-1, -1, -4, -2, -3]);
  });

  it("a task that returns or exits is deleted and its memory reclaimed; ids are reused", async () => {
    const m = await machine("lifecycle", LIFECYCLE);
    m.runFor("1ms");
    const heapAfterBoot = m.memory().heapUsed;
    m.runFor("60ms");
    const lines = m.console.lines;
    // Twenty short-lived tasks, each reusing the id its predecessor freed.
    expect(lines.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `task ${i} is 2`));
    expect(lines[20]).toBe("exiting");
    expect(lines).not.toContain("never printed");
    // Equal priorities that yield alternate strictly.
    expect(lines.slice(21, 27)).toEqual(["1:0", "2:0", "1:1", "2:1", "1:2", "2:2"]);
    expect(lines.slice(27)).toEqual(["tasks 2", "main at 12 1"]);
    const events = m.trace.events();
    expect(ofKind(events, "task_delete").length).toBe(24); // and main, which returns at the end
    expect(ofKind(events, "task_create").length).toBe(25); // idle, main, 20 + 1 + 2
    // Everything the dead tasks held is back (their strings collected), their stacklets too.
    expect(m.memory().collections).toBe(1);
    expect(m.memory().heapUsed).toBeLessThanOrEqual(heapAfterBoot);
    expect(m.memory().stackletBytes).toBe(0);
    expect(m.tasks().map((t) => t.name)).toEqual(["idle"]);
  });
});
