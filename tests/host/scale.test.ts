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

describe("scale", () => {
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
