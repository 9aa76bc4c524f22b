import { describe, it, expect } from "vitest";
import { machine } from "./support.js";

const LIMIT = `
import { task, time, debug, stack } from "hoprt";
class Sensor { count: u32 = 0; id: u32 = 0; }
let inside: i32 = 0;
let most: i32 = 0;
let items: i32 = 0;
let inits: i32 = 0;
function deep(n: u32): u32 { return n == 0 ? 0 : deep(n - 1) + n; }
function init(arg: u32): Sensor { const s = new Sensor(); s.id = arg; inits++; return s; }
function wait(s: Sensor): u32 { time.sleepMs(1); return s.count++; }
function work(s: Sensor, item: u32): void {
  inside++;
  if (inside > most) most = inside;
  deep(40);                              // a deep phase: frames that are gone once work returns
  time.sleepMs(2);                       // blocked inside work: it keeps its slot
  inside--;
  items++;
}
function observer(arg: u32): void {
  time.sleepMs(30);
  // Task 2 is a breathing task waiting in wait(): it holds little of what it held in work().
  // (work and its deep(40) held over 300 bytes more; a task waiting in wait() no longer holds them)
  debug.print("waiting " + (stack.used(2) + 300 < stack.peak(2) ? "without work's frames" : "with them"));
  debug.print("items " + items.toString() + " most " + most.toString() + " inits " + inits.toString());
}
export function main(): void {
  task.setBreathingConcurrency(2);
  for (let i: u32 = 0; i < 6; i++) {
    task.buildBreathing<Sensor>().init(init).wait(wait).work(work).arg(i).priority(5).spawn();
  }
  task.build().entry(observer).priority(1).spawn();
}
`;

const PANIC = `
import { task, time, debug } from "hoprt";
class State { n: u32 = 0; }
let done: i32 = 0;
function init(arg: u32): State { return new State(); }
function wait(s: State): u32 { time.sleepMs(1); return s.n++; }
function work(s: State, item: u32): void {
  if (item == 1 && task.current() == 2) assert(false, "work fails");
  time.sleepMs(1);
  done++;
}
function observer(arg: u32): void {
  time.sleepMs(40);
  debug.print("done " + done.toString());
}
export function main(): void {
  task.setBreathingConcurrency(1);       // one slot: a slot lost to the panic would stop everyone
  for (let i: u32 = 0; i < 3; i++) task.buildBreathing<State>().init(init).wait(wait).work(work).arg(i).priority(5).spawn();
  task.build().entry(observer).priority(1).spawn();
}
`;

describe("breathing tasks", () => {
  it("at most the configured number are inside work at once; a waiting one holds little stack", async () => {
    const m = await machine("breathing-limit", LIMIT);
    m.runFor("31ms");
    expect(m.panics()).toEqual([]);
    const [waiting, counts] = m.console.lines;
    expect(waiting).toBe("waiting without work's frames");
    const [, items, most, inits] = /items (\d+) most (\d+) inits (\d+)/.exec(counts)!.map(Number);
    expect(most).toBe(2);
    expect(inits).toBe(6);
    expect(items).toBeGreaterThan(12);
  });

  it("a panic inside work gives the slot back", async () => {
    const m = await machine("breathing-panic", PANIC);
    m.runFor("41ms");
    expect(m.panics().map((p) => p.where)).toEqual(["task 2"]);
    const done = Number(/done (\d+)/.exec(m.console.lines[0])![1]);
    expect(done).toBeGreaterThan(20);
  });
});
