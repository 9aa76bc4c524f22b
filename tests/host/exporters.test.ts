/** Exporters that viewers accept as they are. */
import { describe, it, expect, beforeAll } from "vitest";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/machine.js";

const APP = `
import { task, time, debug, Semaphore } from "hoprt";
const sem = new Semaphore(1, 0);
function giver(arg: u32): void { while (true) { time.sleepMs(3); sem.give(); } }
function taker(arg: u32): void { while (true) { sem.take(); debug.mark(1); } }
function spinner(arg: u32): void { let x: u32 = 0; while (true) { for (let i = 0; i < 5000; i++) x += i; task.yieldCurrent(); } }
export function main(): void {
  task.build().entry(giver).name("giver").priority(5).spawn();
  task.build().entry(taker).name("taker").priority(6).spawn();
  task.build().entry(spinner).name("spin-a").priority(10).timeslice(1).spawn();
  task.build().entry(spinner).name("spin-b").priority(10).timeslice(1).spawn();
}
`;

let wasm: Uint8Array;
beforeAll(async () => { wasm = await firmware("exporters", APP); });

describe("the Perfetto export", () => {
  it("has no two overlapping slices on one track (running, sleeping, blocked, handlers)", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("40ms");
    const trace = JSON.parse(m.trace.toPerfetto());
    const slices = trace.traceEvents.filter((e: any) => e.ph === "X");
    const byTrack = new Map<string, any[]>();
    for (const s of slices) {
      const key = `${s.pid}/${s.tid}`;
      byTrack.set(key, [...(byTrack.get(key) ?? []), s]);
    }
    const names = new Set(slices.map((s: any) => s.name));
    expect(names).toContain("running");
    expect(names).toContain("sleeping");
    expect([...names].some((n) => /^blocked on semaphore/.test(n as string))).toBe(true);
    let pairs = 0;
    for (const [track, list] of byTrack) {
      list.sort((a, b) => a.ts - b.ts);
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1];
        pairs++;
        if (prev.ts + prev.dur > list[i].ts + 1e-6) {
          throw new Error(`track ${track}: "${prev.name}" [${prev.ts}, ${prev.ts + prev.dur}] overlaps "${list[i].name}" at ${list[i].ts}`);
        }
      }
    }
    expect(pairs).toBeGreaterThan(50);
  });
});
