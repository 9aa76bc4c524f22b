/**
 * Panic recovery (DESIGN §4 reliability, §5 "Panics and cleanup"): cleanup
 * handlers through the compiler, unwinding of tasks and handlers, mutex
 * poisoning, restartable tasks, and every panic source. Two firmwares
 * (apps/unwind.ts, apps/panic-sources.ts), each run once and shared by the
 * cases below.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, firmware, ofKind } from "./support.js";
import type { Machine } from "../../js/host/machine.js";
import type { TraceEvent } from "../../js/host/trace.js";

const APPS = path.join(__dirname, "apps");
const read = (name: string) => fs.readFileSync(path.join(APPS, name), "utf8");

let m: Machine;
let lines: string[];
let events: TraceEvent[];

beforeAll(async () => {
  m = await machine("unwind", read("unwind.ts"));
  const result = m.runFor("50ms");
  expect(result.reason).toBe("cycles");
  lines = m.console.lines;
  events = m.trace.events();
}, 240_000);

describe("cleanup handlers (unwind.defer)", () => {
  it("run at the source function's own return, last registered first, on every way out", () => {
    const s1 = lines.slice(0, lines.indexOf("S1 after pending 0 noDefer 2") + 1);
    expect(s1).toEqual([
      "cleanup 11", "S1 early 11",            // the early return ran the one handler registered so far
      "cleanup 12", "cleanup 11",             // the inner frame's handlers at its return, LIFO
      "S1 inner returned 6",
      "cleanup 1", "S1 outer 106",            // the outer frame's handler at the outer return, value intact
      "S1 looped pending 3", "cleanup 22", "cleanup 21", "cleanup 20",
      "S1 after pending 0 noDefer 2",
    ]);
  });

  it("only functions that call defer get an epilogue, and none of them is inlined", async () => {
    // The same (cached) firmware; its name section names every function that survived optimization.
    const bytes = await firmware("unwind", read("unwind.ts"));
    const custom = WebAssembly.Module.customSections(new WebAssembly.Module(bytes), "name");
    expect(custom.length).toBe(1);
    const text = new TextDecoder().decode(custom[0]);
    const kept = (fn: string) => text.includes(`app/${fn}`);
    for (const fn of ["early", "looped", "outer", "deeper", "s2Worker", "s4Task", "s5Failing", "s5Task", "s6Isr", "s7Source", "s7Middle", "s7OuterDrop", "s7LimitSource"]) expect([fn, kept(fn)]).toEqual([fn, true]);
    // A small function without defer is inlined as usual (so the check above can fail).
    expect(kept("noDefer")).toBe(false);
  });
});

describe("a panicking task", () => {
  it("drops to priority 13: the ready tasks run first, then its handlers LIFO, then its mutex is released poisoned", () => {
    const s2 = lines.filter((l) => l.startsWith("S2") || /^cleanup 3\d$/.test(l));
    expect(s2).toEqual([
      "S2 bystander runs first",
      "cleanup 31", "cleanup 30",
      "S2 main lock POISONED isPoisoned yes",
      "S2 after clear 0 isPoisoned no",
    ]);
    const panic = events.find((e) => e.kind === "panic" && m.taskNames.get(e.context) !== undefined && e.a === 8)!;
    const after = events.filter((e) => e.cycle >= panic.cycle && e.context === panic.context);
    const order = after.map((e) => e.kind === "user_mark" ? `mark ${e.a}` : e.kind === "mutex_unlock" ? `unlock ${e.b}` : e.kind === "priority" ? `priority ${e.a}` : e.kind)
      .filter((k) => !["task_switch_in", "task_switch_out", "task_ready", "stack", "stacklet_alloc", "stacklet_free", "task_end", "task_cpu"].includes(k));
    // Each handler's start is a `cleanup` event (trace kind 42) naming its function.
    expect(order.slice(0, 9)).toEqual(["panic", "priority 13", "cleanup", "mark 31", "cleanup", "mark 30", "unlock 1", "unwind_done", "task_delete"]);
    const done = after.find((e) => e.kind === "unwind_done")!;
    const cleanups = after.filter((e) => e.kind === "cleanup" && e.cycle <= done.cycle);
    expect(cleanups.length).toBe(2);
    expect(cleanups[0].a).toBe(cleanups[1].a); // one handler function, registered with 31 and with 30
    // Perfetto: the unwinding is its own (async) slice beside the task's track, from the panic to unwind_done.
    const perfetto = JSON.parse(m.trace.toPerfetto()).traceEvents as Array<{ ph: string; cat?: string; id?: number; ts: number; name: string }>;
    const us = (cycle: bigint) => Number(cycle) / 168;
    // (Its id is reused by later tasks, which panic too.)
    const slice = perfetto.filter((o) => o.cat === "unwind" && o.id === panic.context && o.ts >= us(panic.cycle) && o.ts <= us(done.cycle));
    expect(slice.map((o) => [o.ph, o.ts])).toEqual([["b", us(panic.cycle)], ["e", us(done.cycle)]]);
    expect(slice[0].name).toBe(`unwinding ${m.taskNames.get(panic.context)}`);
    // m.panics() says what the kernel released for it: the one mutex it held, poisoned.
    const unlock = after.find((e) => e.kind === "mutex_unlock")!;
    const report = m.panics().find((p) => p.cycle === panic.cycle && p.context === panic.context)!;
    expect(report.released).toEqual({ mutexes: [unlock.a] });
  });

  it("keeps a priority inherited through a mutex while its handlers run", () => {
    expect(lines.filter((l) => l.startsWith("S3"))).toEqual(["S3 handler at priority 2", "S3 high got 1"]);
  });

  it("a panic inside a cleanup handler abandons that handler only; its own handlers run, then the rest (nested)", () => {
    const start = lines.indexOf("cleanup 53");
    expect(lines.slice(start, start + 4)).toEqual(["cleanup 53", "S5 handler fails", "cleanup 52", "cleanup 51"]);
    const s5 = m.panics().filter((p) => p.where === "task s5");
    expect(s5.map((p) => [p.message, p.nested])).toEqual([["S5 first", false], ["S5 inside a handler", true]]);
    expect(s5[0].unwound).toMatchObject({ handlers: 4, nestedPanics: 1 });
  });
});

describe("deferred unwinding: a stack-limit violation inside a cleanup handler (Hopter's deferred_*_drop)", () => {
  const s7 = (kind: number) => lines.filter((l) => l.startsWith(`S7.${kind} `));
  const panicsOf = (name: string) => m.panics().filter((p) => p.where === `task ${name}`);

  it("direct: the handler's own frames pass a 512-byte static stack; it finishes, then the task unwinds and restarts", () => {
    expect(s7(0)).toEqual([
      "S7.0 drop executed; reached past the 512-byte stack",
      "S7.0 task restarted after a deferred unwinding",   // the new instance runs at once (priority 5) ...
      "S7.0 older handler, while unwinding",             // ... while the old one unwinds at 13
    ]);
    const [p] = panicsOf("s7.0");
    expect([p.reason, p.deferred, p.nested, p.unwound?.handlers]).toEqual(["stack overflow", "cleanup handler", false, 1]);
    // The first violation: past the 384 bytes of frames a 512-byte static stack holds (128 are its save reserve).
    expect(p.detail).toBeGreaterThan(384);
    expect(p.restartedAs).toBeDefined();
  });

  it("indirect: a function the handler calls passes the stack; the handler goes on after it returns", () => {
    expect(s7(1)).toEqual([
      "S7.1 large function executed: 48 levels",
      "S7.1 drop executed; reached past the 512-byte stack",
      "S7.1 task restarted after a deferred unwinding",
      "S7.1 older handler, while unwinding",
    ]);
    expect(panicsOf("s7.1").map((p) => [p.reason, p.deferred])).toEqual([["stack overflow", "cleanup handler"]]);
  });

  it("nested: a handler registered inside a handler passes the stack; the panic waits for the outermost handler's return", () => {
    expect(s7(2)).toEqual([
      "S7.2 outer drop executed",
      "S7.2 inner drop executed; reached past the 512-byte stack",
      "S7.2 outer drop goes on after the inner one",
      "S7.2 task restarted after a deferred unwinding",
      "S7.2 older handler, while unwinding",
    ]);
    expect(panicsOf("s7.2").map((p) => [p.reason, p.deferred])).toEqual([["stack overflow", "cleanup handler"]]);
  });

  it("inside a handler run by the unwinder: the handler finishes, the violation is a nested panic and the rest still run", () => {
    expect(s7(3)).toEqual(["S7.3 handler finished while unwinding; reached past the 512-byte stack", "S7.3 older handler, while unwinding"]);
    expect(panicsOf("s7.3").map((p) => [p.reason, p.message ?? "", p.nested, p.deferred ?? "", p.unwound?.nestedPanics ?? -1])).toEqual([
      ["panic", "S7.3 first", false, "", 1],
      ["stack overflow", "", true, "cleanup handler", -1],
    ]);
  });

  it("a segmented task's .stackLimit() is waived the same way, and every stacklet grown for the handlers is freed", () => {
    expect(s7(4)).toEqual(["S7.4 drop executed; reached past the 1024-byte stack", "S7.4 older handler, while unwinding"]);
    const [p] = panicsOf("s7.4");
    expect([p.reason, p.deferred]).toEqual(["stack overflow", "cleanup handler"]);
    expect(p.detail).toBeGreaterThan(1024);
    expect(lines).toContain("S7 stacklets all freed");
    expect(lines.filter((l) => l.includes("should not print"))).toEqual([]);
  });
});

describe("restartable tasks", () => {
  it("restart concurrently: a new instance (new id, same arg) completes before the old one's handler runs", () => {
    expect(lines.filter((l) => l.startsWith("S4"))).toEqual([
      "S4 run 1 id 2 restarts 0 arg 44",
      "S4 run 2 id 3 restarts 1 arg 44",
      "S4 run 2 done",
      "S4 old instance's handler",
    ]);
    const restart = ofKind(events, "restart").find((e) => m.nameAt(e.context, e.cycle) === "s4")!;
    expect([restart.context, restart.a, restart.b]).toEqual([2, 3, 1]);
    const s4 = m.panics().find((p) => p.where === "task s4")!;
    expect(s4.restartedAs).toBe(3);
  });

  it("diverted stack overflow: a 2 KiB static stack, a recursion; the call that does not fit panics the task, which restarts", () => {
    expect(lines.filter((l) => l.startsWith("S9"))).toEqual(["S9 task restarted after a diverted unwinding (run 2)"]);
    const [p] = m.panics().filter((p) => p.where === "task s9");
    expect([p.reason, p.deferred, p.nested, p.restartedAs === undefined]).toEqual(["stack overflow", undefined, false, false]);
    // At the call that would pass the 1536 bytes of frames the stack holds (2048 less its 512-byte save reserve).
    expect(p.detail).toBeGreaterThan(1536);
    expect(p.detail).toBeLessThan(1536 + 64);
  });

  it("restart in place after unwinding when the task table is full (failed concurrent restart)", () => {
    expect(lines.filter((l) => l.startsWith("S8"))).toEqual(["S8 run 1 id 31 restarts 0", "S8 handler", "S8 run 2 id 31 restarts 1"]);
    const restart = ofKind(events, "restart").find((e) => e.context === 31)!;
    expect([restart.a, restart.b]).toEqual([31, 1]);
    // The refused spawn is in the trace (ERR_TASK_LIMIT), not silent.
    expect(ofKind(events, "error").some((e) => e.context === 31 && (e.a | 0) === -3)).toBe(true);
  });
});

describe("a panicking handler", () => {
  it("is unwound with its handlers; the interrupted task goes on; the handler stays attached and enabled", () => {
    expect(lines.filter((l) => l.startsWith("S6") || /^cleanup 6\d$/.test(l))).toEqual([
      "S6 task 0", "cleanup 61", "S6 task 1", "cleanup 62", "S6 task 2", "S6 isr ok", "cleanup 63", "S6 task 3", "S6 isr ok", "cleanup 64",
    ]);
    const isr = m.panics().filter((p) => p.where.startsWith("handler") && p.message?.startsWith("S6"));
    expect(isr.map((p) => [p.where, p.message, p.unwound?.handlers])).toEqual([
      ["handler IRQ28", "S6 in the ISR", 1], ["handler IRQ28", "S6 in the ISR", 1],
    ]);
  });

  it("a panic in a TIM2 handler (the timer's own update interrupt): cleanup output each time, the interrupted task goes on", () => {
    expect(lines.filter((l) => l.startsWith("S10"))).toEqual([
      "S10 cleanup 1", "S10 handler ok 2", "S10 cleanup 2", "S10 cleanup 3", "S10 handler ok 4", "S10 cleanup 4",
      "S10 task went on through 4 updates: yes",
    ]);
    const tim2 = m.panics().filter((p) => p.where === "handler IRQ28" && p.message?.startsWith("S10")); // TIM2's line
    expect(tim2.map((p) => [p.message, p.unwound?.handlers])).toEqual([["S10 in TIM2", 1], ["S10 in TIM2", 1]]);
    expect(m.panics().filter((p) => p.where === "task s10")).toEqual([]);
  });

  it("leaves the kernel consistent after all of it", () => {
    expect(lines.at(-1)).toBe("END audit 0");
    expect(ofKind(events, "unwind_done").length).toBe(m.panics().filter((p) => !p.nested).length);
  });
});

describe("every panic source takes the one panic path", () => {
  it("panic, abort (with and without a message), assert, throw, a trap, a stack overflow, a bus fault and out of memory", async () => {
    const s = await machine("panic-sources", read("panic-sources.ts"));
    const result = s.runFor("20ms");
    expect(result.reason).toBe("cycles");
    const out = s.console.lines;
    for (let k = 0; k < 9; k++) {
      expect(out).toContain(`cleanup ${k}`);
      expect(out).not.toContain(`not reached ${k}`);
    }
    expect(out.filter((l) => l.startsWith("alive"))).toHaveLength(12);
    expect(out.at(-1)).toBe("audit 0");
    const panics = s.panics().map((p) => [p.where, p.reason, p.message, p.unwound?.handlers]);
    expect(panics).toEqual([
      ["task source0", "panic", "explicit panic", 1],
      ["task source1", "abort", "abort with a message", 1],
      ["task source2", "abort", "", 1],
      ["task source3", "abort", "an assertion (app.ts:16)", 1],
      ["task source4", "abort", "a thrown error (app.ts:17)", 1],
      ["task source5", "trap", "unreachable in app/source at app.ts:18:18", 1],
      ["task source6", "stack overflow", undefined, 1],
      ["task source7", "bus fault", undefined, 1],
      ["task source8", "out of memory", undefined, 1],
    ]);
    expect(s.panics()[7].detail).toBe(0x5100_0000);
    // The trap reached the host once; every other source stayed inside the module.
    expect(result.faults).toHaveLength(1);
  }, 240_000);
});

describe("deferred panics inside the kernel", () => {
  it("a stack overflow swept through spawn, Semaphore.give, Channel.send and a sleep is raised only once the kernel lock is let go", async () => {
    const k = await machine("kernel-faults", read("kernel-faults.ts"));
    const result = k.runFor("1000ms");
    expect(result.reason).toBe("cycles");
    // 4 kernel calls x 96 depths (8-byte steps): every worker unwound, the kernel audited clean after each.
    expect(k.console.lines).toEqual(["sweep runs 384 unwound 384 bad 0 tasks 2"]);
    const ev = k.trace.events();
    const panics = ofKind(ev, "panic");
    expect(panics).toHaveLength(384);
    expect(panics.every((p) => p.a === 2)).toBe(true);
    // Some overflows were noticed inside the kernel (EV_PANIC c = 1: deferred to the lock's release) ...
    const deferredByCall = [0, 0, 0, 0];
    panics.forEach((p, i) => { if (p.c === 1) deferredByCall[Math.floor(i / 96)]++; });
    // ... in spawn (a task holds the lock from claiming the slot until the child is ready), Channel.send and the
    // sleep, whose locked stretches hold check points; give locks only straight-line code. How many of the 96
    // depths land in a locked stretch follows from the frame sizes (deterministic).
    // (Channel.send 4: its locked deliver() checks frame + 4 shadow bytes, 16 fewer than when the inlined
    // wakeFirst spilled its queue to the shadow stack: two 8-byte steps fewer land inside the lock.
    // The sleep 3, was 2: a call it makes inside the lock that Binaryen inlined by its one-caller rule is a
    // call now, as a compiler makes it (js/compiler/transform.ts pinInlining), with a frame of its own.)
    expect(deferredByCall).toEqual([4, 0, 4, 3]);
    // ... and no lock was ever taken from a dead holder.
    expect(ofKind(ev, "error")).toEqual([]);
  }, 240_000);
});

describe("examples/restart", () => {
  it("a restartable sampler panics with the log locked: LED off by its cleanup handler, the log poisoned, a new instance at once", async () => {
    const source = fs.readFileSync(path.resolve(__dirname, "../../examples/restart/app.ts"), "utf8");
    const e = await machine("example-restart", source);
    expect(e.runFor("40ms").reason).toBe("cycles");
    expect(e.console.lines.slice(0, 9)).toEqual([
      "sampler 2 starts (restart 0)", "sample 0", "sample 37", "sample 74", "sample 11",
      "sampler 1 starts (restart 1)",                        // the new instance runs before the old one unwinds
      "sampler 2: LED off (cleanup after its panic)",
      "sample 85",
      "logger: a sampler died holding the log; LED off",
    ]);
    const restarts = ofKind(e.trace.events(), "restart").map((r) => [r.context, r.a, r.b]);
    expect(restarts.slice(0, 3)).toEqual([[2, 1, 1], [1, 2, 2], [2, 1, 3]]);
  }, 240_000);
});
