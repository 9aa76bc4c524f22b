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

/** A reader that knows only what the metadata says (as babeltrace would). */
function readCtf(metadata: string, stream: Uint8Array) {
  const types = new Map<number, { name: string; fields: Array<[string, string]> }>();
  for (const m of metadata.matchAll(/event \{ name = "(\w+)"; id = (\d+); fields := struct \{ ([^}]*)\}; \};/g)) {
    const fields = [...m[3].matchAll(/(uint32_t|string) (\w+);/g)].map((f) => [f[2], f[1]] as [string, string]);
    types.set(Number(m[2]), { name: m[1], fields });
  }
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  expect(view.getUint32(0, true)).toBe(0xc1fc1fc1);
  const out: Array<{ name: string; cycle: bigint; fields: Record<string, number | string> }> = [];
  let p = 4;
  while (p < stream.length) {
    const type = types.get(view.getUint8(p));
    if (!type) throw new Error(`unknown event id ${view.getUint8(p)} at byte ${p}`);
    const cycle = view.getBigUint64(p + 1, true);
    p += 9;
    const fields: Record<string, number | string> = {};
    for (const [name, kind] of type.fields) {
      if (kind === "uint32_t") { fields[name] = view.getUint32(p, true); p += 4; }
      else { const end = stream.indexOf(0, p); fields[name] = new TextDecoder().decode(stream.subarray(p, end)); p = end + 1; }
    }
    out.push({ name: type.name, cycle, fields });
  }
  return out;
}

describe("the CTF export", () => {
  it("holds every event, in order, under Zephyr's names, with the clock at SYSCLK", () => {
    const m = Machine.loadSync(wasm);
    m.runFor("20ms");
    const { metadata, stream } = m.trace.toCtf();
    expect(metadata.startsWith("/* CTF 1.8 */\n")).toBe(true);
    expect(metadata).toContain("freq = 168000000;");
    const events = readCtf(metadata, stream);
    const source = m.trace.events();
    expect(events.length).toBe(source.length);
    expect(events.map((e) => e.cycle)).toEqual(source.map((e) => e.cycle));
    const names = new Set(events.map((e) => e.name));
    for (const n of ["thread_create", "thread_switched_in", "thread_switched_out", "thread_pending", "isr_enter", "isr_exit", "semaphore_give"]) {
      expect(names).toContain(n);
    }
    const switchedIn = events.filter((e) => e.name === "thread_switched_in").map((e) => e.fields.name);
    expect(new Set(switchedIn)).toEqual(new Set(["main", "giver", "taker", "spin-a", "spin-b"]));
    const marks = events.filter((e) => e.name === "hoprt_event" && e.fields.kind === "user_mark");
    expect(marks.length).toBe(source.filter((e) => e.kind === "user_mark").length);
    expect(marks.length).toBeGreaterThan(3);
  });
});
