/**
 * The HardRT reference behaviour (../shared/reference/hardrt-scenarios.md),
 * one test per scenario. Most run in one firmware (apps/hardrt.ts) that
 * prints "NN:..." per scenario; tick-rate and tick-source scenarios use
 * apps/ticks.ts with different settings.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, ofKind, TICK_CYCLES } from "./support.js";
import type { Machine } from "../../js/host/machine.js";

const HARDRT = fs.readFileSync(path.join(__dirname, "apps", "hardrt.ts"), "utf8");
const TICKS = fs.readFileSync(path.join(__dirname, "apps", "ticks.ts"), "utf8");

let m: Machine;
const lines = (n: number) => m.console.lines.filter((l) => l.startsWith(String(n).padStart(2, "0") + ":")).map((l) => l.slice(3));
const line = (n: number) => {
  const all = lines(n);
  expect(all, `scenario ${n} printed`).toHaveLength(1);
  return all[0];
};

beforeAll(async () => {
  m = await machine("hardrt", HARDRT);
  m.runFor("700ms");
  expect(m.console.lines[m.console.lines.length - 1]).toBe("46:slept");
  expect(m.panics()).toEqual([]);
});

function ticksApp(hz: number, source: "SysTick" | "External", startTick = 0): string {
  return `const TICK_HZ: u32 = ${hz};\nconst START_TICK: u32 = ${startTick};\n` + TICKS.replace("cfg.tickSource = TICK_SOURCE;", `cfg.tickSource = TickSource.${source};`);
}

describe("HardRT: identity and limits", () => {
  it("hardrt-01 version, ABI and port", () => expect(line(1)).toBe("0.1.0 256 wasm 1 abi 1"));
  it("hardrt-08 limits are positive and consistent", () => {
    const [maxTasks, levels] = line(8).split(" ").map(Number);
    expect(levels).toBe(16);
    expect(maxTasks).toBeGreaterThanOrEqual(levels);
  });
  it("hardrt-09 spawning up to the task limit, then a clear error", () => expect(line(9)).toBe("spawned 30 then -3 total 32"));
  it("hardrt-10 a stack below the minimum is refused", () => expect(line(10)).toBe("-4"));
});

describe("HardRT: sleep, yield, time", () => {
  it("hardrt-02 five sleep(10) take exactly 50 ticks", () => expect(line(2)).toBe("wakes 5 elapsed 50"));
  it("hardrt-03 equal-priority yielders alternate strictly", () => expect(line(3)).toBe("AB".repeat(8)));
  it("hardrt-04 equal-priority sleepers both reach 30", () => expect(line(4)).toBe("30 30"));
  it("hardrt-14 sleepers of 1, 2, 3 ms wake in order", () => expect(line(14)).toBe("123"));
  it("hardrt-16 sleep(0) lasts one tick", () => expect(line(16)).toBe("1"));
  it("hardrt-46 the idle task runs while every task sleeps", () => {
    const idle = m.tasks().find((t) => t.name === "idle")!;
    expect(Number(idle.cycles)).toBeGreaterThan(0.5 * Number(m.cycles));
  });

  it("hardrt-07 at 200 Hz sleep(10 ms) is 2 ticks; 10 sleeps take 20 ticks", async () => {
    const t = await machine("ticks-200", ticksApp(200, "SysTick"));
    t.runFor("150ms");
    expect(t.console.lines[0]).toBe("hz 200 ms/123 ticks 615 ms/100 ticks 500 ticks/10ms 2");
    const slept = t.console.lines.slice(1);
    expect(slept).toHaveLength(10);
    const starts = slept.map((l) => Number(/from (\d+)/.exec(l)![1]));
    for (const l of slept) expect(l).toMatch(/^slept 2 ticks/);
    expect(starts[9] + 2 - starts[0]).toBe(20);
    // And the tick really is 5 ms: 840 000 cycles at 168 MHz.
    const raises = ofKind(t.trace.events(), "irq_raise").filter((e) => e.a === 15);
    expect(raises[2].cycle - raises[1].cycle).toBe(840_000n);
  });

  for (const [hz, ms123, ms100] of [[1000, 123, 100], [100, 1230, 1000], [500, 246, 200], [123, 1000, 813]] as const) {
    it(`hardrt-45 tick -> ms at ${hz} Hz`, async () => {
      const t = await machine(`ticks-${hz}`, ticksApp(hz, "SysTick"));
      t.runFor("1ms");
      expect(t.console.lines[0]).toBe(`hz ${hz} ms/123 ticks ${ms123} ms/100 ticks ${ms100} ticks/10ms ${Math.max(1, Math.ceil((10 * hz) / 1000))}`);
    });
  }

  it("hardrt-15 a sleep across the 32-bit tick wrap lasts exactly its length", async () => {
    const t = await machine("ticks-wrap", ticksApp(1000, "SysTick", 0xfffffffa));
    t.runFor("30ms");
    expect(t.console.lines.slice(1, 3)).toEqual([`slept 10 ticks from ${0xfffffffa}`, "slept 10 ticks from 4"]);
  });
});

describe("HardRT: scheduling policy", () => {
  it("hardrt-05 a P0 task that yields 2000 times never lets P1 run until it sleeps", () =>
    expect(line(5)).toBe("low ran during yields F after sleep T"));

  it("hardrt-06 timeslice 0 is never rotated; timeslice 3 rotates every 3 ticks of busy work", () => {
    const [zeroEnd, peerFirst] = /until tick (\d+), peer first ran at (\d+)/.exec(lines(6)[0])!.slice(1).map(Number);
    expect(peerFirst).toBeGreaterThanOrEqual(zeroEnd);
    const events = m.trace.events();
    const id = (name: string) => m.idsNamed(name);
    const zero = id("s6-zero")[0];
    const zeroCreated = events.find((e) => e.kind === "task_create" && m.nameAt(e.context, e.cycle) === "s6-zero")!;
    const zeroDeleted = events.find((e) => e.kind === "task_delete" && e.context === zero && e.cycle > zeroCreated.cycle)!;
    const during = (e: { context: number; cycle: bigint }) => e.context === zero && e.cycle > zeroCreated.cycle && e.cycle < zeroDeleted.cycle;
    const zeroRuns = ofKind(events, "task_switch_in").filter(during);
    const finished = ofKind(events, "sem_give").find(during)!; // its done.give() after 20 busy ticks
    const firstOut = ofKind(events, "task_switch_out").find(during)!;
    // Never rotated out while busy: the first switch-out comes only when main takes over after done.give().
    expect(firstOut.cycle > finished.cycle).toBe(true);
    expect(finished.cycle - zeroRuns[0].cycle >= 20n * TICK_CYCLES - TICK_CYCLES).toBe(true);
    expect(ofKind(events, "timeslice").filter(during)).toEqual([]);
    const sliced = new Set([...id("s6-three-a"), ...id("s6-three-b")]);
    const start = events.findIndex((e) => e.kind === "task_create" && e.context === id("s6-three-a")[0] && e.cycle > zeroRuns[0].cycle);
    // While both are busy: up to the first done.give(), after which main interleaves.
    const firstDone = ofKind(events.slice(start), "sem_give").find((e) => sliced.has(e.context))!;
    const ins = ofKind(events.slice(start), "task_switch_in").filter((e) => sliced.has(e.context) && e.cycle < firstDone.cycle);
    const rotations = ofKind(events.slice(start), "timeslice").filter((e) => sliced.has(e.context));
    expect(rotations.length).toBeGreaterThanOrEqual(6);
    expect(ins.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < ins.length; i++) expect(ins[i].context).not.toBe(ins[i - 1].context);
    // The first run starts between ticks; every later one lasts 3 ticks, give or take where in
    // its loop iteration the busy task notices the tick (one iteration: under 32 cycles).
    expect(ins[1].cycle - ins[0].cycle < 3n * TICK_CYCLES).toBe(true);
    for (let i = 2; i < ins.length; i++) {
      const drift = ins[i].cycle - ins[i - 1].cycle - 3n * TICK_CYCLES;
      expect(drift > -32n && drift < 32n, `run ${i} lasted 3 ticks ${drift >= 0n ? "+" : ""}${drift} cycles`).toBe(true);
    }
  });

  it("hardrt-11 a task spawned without attributes gets the default priority and timeslice", () => expect(line(11)).toBe("8 5"));
  it("hardrt-13 a new default timeslice applies to tasks spawned afterwards only", () => expect(line(13)).toBe("5 7"));

  it("hardrt-12 switching RR -> Priority at run time takes effect at the next decision", () => {
    expect(line(12)).toBe("both finished");
    const events = m.trace.events();
    const policy = ofKind(events, "policy");
    const toPriority = policy.find((e) => e.a === 0)!;
    const created = ofKind(events, "task_create").find((e) => m.nameAt(e.context, e.cycle) === "s12-a")!;
    const rotations = ofKind(events, "timeslice").filter((e) => e.cycle > created.cycle && /^s12-/.test(m.nameAt(e.context, e.cycle) ?? ""));
    expect(rotations.filter((e) => e.cycle < toPriority.cycle).length).toBeGreaterThanOrEqual(2);
    expect(rotations.filter((e) => e.cycle > toPriority.cycle)).toEqual([]);
  });

  it("hardrt-17 a task whose entry returns is deleted; the others keep running", () => expect(line(17)).toBe("deleted T"));
  it("hardrt-18 a task that deletes itself likewise", () => expect(line(18)).toBe("progress 3 tasks 0"));
});

describe("HardRT: semaphores", () => {
  it("hardrt-19 binary, initial 1: tryTake ok, tryTake fails, give ok, tryTake ok", () => expect(line(19)).toBe("TFTT"));
  it("hardrt-20 a P0 taker blocks until a P2 giver gives 10 ms later", () => expect(line(20)).toBe("waited 10"));
  it("hardrt-21 three equal-priority waiters are woken FIFO", () => expect(line(21)).toBe("123"));
  it("hardrt-22 binary, initial 0: two gives, exactly one tryTake succeeds", () => expect(line(22)).toBe("give TF take TF"));
  it("hardrt-23 giveFromIsr wakes a blocked taker and reports a switch is needed", () => expect(line(23)).toBe("switch T woke T"));
  it("hardrt-24 counting (0, max 3): five gives saturate at 3; exactly three tryTakes", () =>
    expect(line(24)).toBe("gives TTTFF count 3 takes TTTF"));
  it("hardrt-25 counting with initial above max is clamped", () => expect(line(25)).toBe("3"));
  it("hardrt-26 hand-off: the woken waiter gets the token, no leftover count", () => expect(line(26)).toBe("count 0 steal F"));
  it("hardrt-27 counting FIFO: three P0 waiters, three gives, woken 1, 2, 3", () => expect(line(27)).toBe("123"));
});

describe("HardRT: queues", () => {
  it("hardrt-28 capacity 4: round trip, fifth send fails, FIFO drain, empty receive fails", () =>
    expect(line(28)).toBe("rt T7 sends TTTTF drain 1234 empty F"));
  it("hardrt-29 a blocking receive waits for the sender's 123", () => expect(line(29)).toBe("got 123 after 5"));
  it("hardrt-30 a blocking send on a full queue waits for room", () => expect(line(30)).toBe("sender resumed after 3"));
  it("hardrt-31 three blocked receivers are served FIFO", () => expect(line(31)).toBe("1=10 2=20 3=30"));
  it("hardrt-32 ISR send/receive work and report whether a switch is needed", () =>
    expect(lines(32)).toEqual(["received 5", "send 1 recv 0 value 77 empty -1 switch code 1"]));
});

describe("HardRT: tick source", () => {
  it("hardrt-33 with SysTick, external ticks from an ISR or the host do nothing (and say so)", async () => {
    expect(line(33)).toBe("ignored T ticks moved 0");
    const t = await machine("ticks-1000", ticksApp(1000, "SysTick"));
    t.runFor(252_000); // 1.5 ms: half a tick period before and after, wherever boot ends
    const ticks = ofKind(t.trace.events(), "tick").length;
    expect(t.tick()).toBe(false);
    t.runFor(1000);
    expect(ofKind(t.trace.events(), "tick").length).toBe(ticks);
    expect(ofKind(t.trace.events(), "tick_ignored")).toHaveLength(1);
  });

  it("hardrt-34 with the external source the tick advances only by those calls: 25 calls, 25 ticks", async () => {
    const t = await machine("ticks-external", ticksApp(1000, "External"));
    t.runFor("50ms"); // no SysTick: no time passes for the kernel
    expect(ofKind(t.trace.events(), "tick")).toHaveLength(0);
    for (let i = 0; i < 25; i++) { expect(t.tick()).toBe(true); t.runFor(1000); }
    const ticks = ofKind(t.trace.events(), "tick");
    expect(ticks).toHaveLength(25);
    expect(ticks[24].a).toBe(25);
  });

  it("hardrt-35 external ticks from the host wake sleepers", async () => {
    const t = await machine("ticks-external", ticksApp(1000, "External"));
    t.runFor("1ms"); // main prints and spawns the sleeper; no tick passes
    for (let i = 0; i < 25; i++) { t.tick(); t.runFor("1ms"); }
    expect(t.console.lines.slice(1)).toEqual(["slept 10 ticks from 0", "slept 10 ticks from 10"]);
  });

  it("hardrt-36 external ticks from an application ISR (a timer line) drive time too", async () => {
    const t = await machine("ticks-external", ticksApp(1000, "External"));
    t.runFor("1ms");
    for (let i = 0; i < 10; i++) t.irq.schedule(28, t.cycles + BigInt(10_000 * (i + 1)));
    t.runFor(200_000);
    expect(ofKind(t.trace.events(), "tick")).toHaveLength(10);
    expect(t.console.lines.slice(1)).toEqual(["slept 10 ticks from 0"]);
  });
});

describe("HardRT: mutexes", () => {
  it("hardrt-37 lock / unlock / tryLock round trips", () => expect(line(37)).toBe("0 0 T 0"));
  it("hardrt-38 a recursive tryLock by the owner fails; unlock still succeeds", () => expect(line(38)).toBe("lock 0 trylock F unlock 0"));
  it("hardrt-39 a second locker blocks until the owner unlocks", () => expect(line(39)).toBe("acquired after 4"));
  it("hardrt-40 three waiters acquire FIFO", () => expect(line(40)).toBe("123"));
  it("hardrt-41 unlock by a non-owner fails with an error code", () => expect(line(41)).toBe("-11"));
  it("hardrt-42 hand-off: the waiter owns the mutex when its lock returns", () => expect(lines(42)).toEqual(Array(3).fill("owner is waiter T")));
  it("hardrt-43 re-initialising an unlocked mutex works", () => expect(line(43)).toBe("0 0"));
  it("hardrt-44 tryLock while another task holds it fails", () => expect(line(44)).toBe("F"));
});
