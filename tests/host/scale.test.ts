import { describe, it, expect } from "vitest";
import { machine, ofKind } from "./support.js";
import { build, BuildError } from "../../js/compiler/build.js";
import { main as cli } from "../../js/cli/main.js";

// 1000 tasks that each wait and do a small piece of work, on 1 MiB of SRAM.
const THOUSAND = `
import { task, time, debug, Semaphore } from "hoprt";
const TASKS: i32 = 1000;
const ROUNDS: i32 = 3;
let work: u32 = 0;
const done = new Semaphore(TASKS, 0);
function worker(arg: u32): void {
  for (let r = 0; r < ROUNDS; r++) {
    time.sleepMs(1 + arg % 5);           // wait
    work += arg;                         // a small piece of work
  }
  done.give();
}
export function main(): void {
  let spawned = 0;
  for (let i = 0; i < TASKS; i++) {
    if (task.build().entry(worker).arg(<u32>i).priority(5).staticStack(512).spawn() >= 0) spawned++;
  }
  debug.print("spawned " + spawned.toString() + " of limit " + task.maxTasks().toString() + ", live " + task.count().toString());
  for (let i = 0; i < spawned; i++) done.take();
  debug.print("work " + work.toString());
}
`;

// 1000 breathing tasks on segmented stacks: each waits (holding almost no stack) and works on stacklets freed after.
const BREATHING = `
import { task, time, debug, stack } from "hoprt";
const TASKS: i32 = 1000;
let total: u32 = 0;
let ended: i32 = 0;
let peakHeld: i32 = 0;
class Counter { n: u32 = 0; constructor(public id: u32) {} }
function crunch(depth: u32, x: u32): u32 { return depth == 0 ? x : crunch(depth - 1, x * 3 + depth) ^ depth; }
function init(arg: u32): Counter { return new Counter(arg); }
function wait(s: Counter): u32 { time.sleepMs(1 + s.id % 5); return s.n++; }
function work(s: Counter, item: u32): void {
  total += s.id + (crunch(8, item) & 0);
  const held = stack.stacklets();
  if (held > peakHeld) peakHeld = held;
  if (item == 2) { ended++; task.exit(); }
}
export function main(): void {
  let spawned = 0;
  for (let i = 0; i < TASKS; i++) {
    if (task.buildBreathing<Counter>().init(init).wait(wait).work(work).arg(<u32>i).priority(5).spawn() >= 0) spawned++;
  }
  debug.print("spawned " + spawned.toString() + ", live " + task.count().toString());
  while (ended < spawned) time.sleepMs(5);
  debug.print("work " + total.toString() + ", stacklets at most " + (peakHeld < 4 * TASKS ? "under 4 per task" : peakHeld.toString()));
}
`;

describe("scale", () => {
  it("1000 breathing tasks with segmented stacks run on 1 MiB", async () => {
    const m = await machine("scale-breathing", BREATHING, { sramBytes: 1024 * 1024, maxTasks: 1024 });
    m.runFor("300ms");
    expect(m.console.lines).toEqual(["spawned 1000, live 1002", `work ${3 * (999 * 1000) / 2}, stacklets at most under 4 per task`]);
    expect(m.panics()).toEqual([]);
    expect(ofKind(m.trace.events(), "error")).toEqual([]);
    expect(m.tasks().length).toBe(1); // idle: main ended too
    // What 1000 waiting tasks held at once: control blocks and a few small stacklets each, far under 1 MiB.
    expect(m.memory().heapPeak).toBeLessThan(1024 * 1024 * 0.9);
  });

  it("1000 tasks run on 1 MiB with a task limit of 1024", async () => {
    const m = await machine("scale-1000", THOUSAND, { sramBytes: 1024 * 1024, maxTasks: 1024 });
    m.runFor("200ms");
    // 1000 workers + main + idle.
    expect(m.console.lines).toEqual(["spawned 1000 of limit 1024, live 1002", `work ${3 * (999 * 1000) / 2}`]);
    expect(m.panics()).toEqual([]);
    expect(m.memory().sramBytes).toBe(1024 * 1024);
    expect(ofKind(m.trace.events(), "error")).toEqual([]);
    // Every worker ended and was reclaimed: the heap is back to a few tens of KiB of its 730 KiB peak.
    expect(m.tasks().length).toBe(1);
    expect(m.memory().heapUsed).toBeLessThan(64 * 1024);
    expect(m.memory().heapPeak).toBeGreaterThan(1000 * 512);
  });

  it("the build refuses a bad task limit or SRAM size by name", async () => {
    await expect(build({ app: "examples/blinky/app.ts", maxTasks: 1 })).rejects.toThrow(/task limit must be a whole number from 2 to 4096 \(got 1\)/);
    await expect(build({ app: "examples/blinky/app.ts", maxTasks: 5000 })).rejects.toThrow(BuildError);
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    (process.stderr as any).write = (s: string) => { errors.push(String(s)); return true; };
    try {
      expect(await cli(["build", "examples/blinky/app.ts", "--sram", "lots", "-o", "build/never.wasm"])).toBe(1);
    } finally {
      (process.stderr as any).write = write;
    }
    expect(errors.join("")).toMatch(/--sram: "lots" is not a size/);
  });
});
