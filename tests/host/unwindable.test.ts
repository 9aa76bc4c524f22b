/**
 * Asyncify instruments only what a context's stack can hold
 * (js/compiler/unwindable.ts): the functions no table entry reaches (the boot
 * code, the host's exports, the dispatch loop's own calls) are left as they
 * are, which takes Asyncify a tenth less time. Left out wrongly, a function
 * on a context's stack at an unwind would go on running in the middle of it
 * and corrupt execution silently, so:
 *  - the list is a closure over the call graph, checked here on a module
 *    made by hand (indirect calls, a boot path into shared code);
 *  - in a real firmware no function it left out is reached from the table,
 *    by a walk of the final module written here, independent of the
 *    compiler's (and mcu/core.ts traps an unwind started with no context
 *    running, the other half of the argument);
 *  - an app that panics in every way (in allocations, out of memory inside
 *    the allocator, traps inside kernel calls) under a 10 kHz tick and 48
 *    injected interrupts gives byte-identical traces, console and cycles
 *    built with the list and without it.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import binaryen from "assemblyscript/binaryen";
import { build, type BuildResult } from "../../js/compiler/build.js";
import { outsideContexts, asyncifyList } from "../../js/compiler/unwindable.js";
import { callGraph } from "../../js/compiler/walk.js";
import { Machine } from "../../js/host/machine.js";

const b = binaryen as any;
const ROOT = path.resolve(__dirname, "../..");
const STORM = fs.readFileSync(path.join(ROOT, "tests", "host", "apps", "fault-storm.ts"), "utf8");

describe("the functions Asyncify leaves out (js/compiler/unwindable.ts)", () => {
  it("are those no table entry reaches over direct calls, whoever else calls them", () => {
    const m = new b.Module();
    try {
      const v = b.none;
      const call = (name: string) => m.call(name, [], v);
      m.addFunction("leaf", v, v, [], m.nop());
      m.addFunction("shared", v, v, [], call("leaf"));
      m.addFunction("entry", v, v, [], m.block(null, [call("shared"), m.call_indirect("t", m.i32.const(0), [], v, v)]));
      m.addFunction("viaTable", v, v, [], call("deep"));
      m.addFunction("deep", v, v, [], m.nop());
      m.addFunction("bootOnly", v, v, [], call("leaf"));
      m.addFunction("boot", v, v, [], m.block(null, [call("shared"), call("bootOnly")]));
      m.addFunction("dispatch", v, v, [], m.block(null, [m.call_indirect("t", m.i32.const(1), [], v, v), call("afterDeath")]));
      m.addFunction("afterDeath", v, v, [], call("deep"));
      m.addFunction("Map<u32,u32>#get", v, v, [], m.nop());
      m.addTable("t", 2, 2);
      m.addActiveElementSegment("t", "elems", ["entry", "viaTable"], m.i32.const(0));
      m.addFunctionExport("boot", "boot");
      m.addFunctionExport("dispatch", "dispatch");
      m.addFunctionExport("Map<u32,u32>#get", "get");
      expect(m.validate()).toBeTruthy();
      const graph = callGraph(m);
      expect(graph.table).toEqual(["entry", "viaTable"]);
      // shared is reached from a table entry as well as from boot: kept. A name Asyncify's list
      // cannot hold (a comma) stays out of the list, so Asyncify's own analysis decides for it.
      expect(outsideContexts(graph).sort()).toEqual(["afterDeath", "boot", "bootOnly", "dispatch"]);
      expect(asyncifyList(["a", "b/c#d@varargs"])).toBe("a,b/c#d@varargs");
    } finally {
      m.dispose();
    }
  });

  let built: BuildResult;
  let full: BuildResult;
  beforeAll(async () => {
    built = await build({ app: await appFile(), tickHz: 10_000 });
    full = await build({ app: await appFile(), tickHz: 10_000, unwindableOnly: false });
  }, 120_000);

  it("in a firmware: the boot code, the host's exports and what the dispatch loop calls between contexts; nothing a table entry reaches", () => {
    const left = new Set(built.report.notUnwound);
    for (const name of ["~start", "~lib/hoprt/kernel/boot/boot", "~lib/hoprt/machine/hoprt_fault", "~lib/hoprt/machine/contextDied", "~lib/hoprt/machine/dispatchStep"]) {
      expect(left.has(name), name).toBe(true);
    }
    expect(full.report.notUnwound).toEqual([]);
    // The final module, walked here: what its table reaches, and which functions Asyncify instrumented.
    const m = b.readBinary(built.wasm);
    try {
      const { reached, instrumented } = finalModule(m);
      expect(reached.size).toBeGreaterThan(100);
      const wronglyLeftOut = [...left].filter((name) => reached.has(name));
      expect(wronglyLeftOut).toEqual([]);
      // What the list left out is really left as it was, and the kernel's unwinding paths are instrumented.
      for (const name of ["~lib/hoprt/kernel/boot/boot", "~lib/hoprt/machine/hoprt_fault"]) expect(instrumented.has(name), name).toBe(false);
      for (const name of ["~lib/hoprt/kernel/unwind/unwindTask", "~lib/rt/tlsf/allocateBlock", "~lib/hoprt/mcu/core/stackGuardHit"]) {
        expect(instrumented.has(name), name).toBe(true);
      }
    } finally {
      m.dispose();
    }
    expect(built.wasm.length).toBeLessThan(full.wasm.length);
  });

  it("change no trace: an app that panics in every way, preempted at a 10 kHz tick and by 48 injected interrupts, runs the same built either way", () => {
    const run = (wasm: Uint8Array) => {
      const m = Machine.loadSync(wasm);
      for (let i = 0; i < 48; i++) m.irq.schedule([11, 12, 1, 2, 3, 10, 13, 4][i % 8], 300_000n + BigInt(i) * 243_711n);
      for (let i = 0; i < 97; i++) m.runFor(123_457);
      const trace = m.trace.events().map((e) => `${e.cycle} ${e.kind} ${e.context} ${e.a} ${e.b} ${e.c}`).join("\n");
      return { trace, cycles: m.cycles, console: m.console.lines.join("\n"), panics: m.panics().length };
    };
    const a = run(built.wasm);
    const c = run(full.wasm);
    expect(a.panics).toBeGreaterThan(20);
    expect(a.cycles).toBe(c.cycles);
    expect(a.console).toBe(c.console);
    expect(a.trace.length).toBeGreaterThan(100_000);
    expect(a.trace === c.trace).toBe(true);
  });
});

/** The fault-storm app in the test firmware cache's folder (built there by firmware() too). */
async function appFile(): Promise<string> {
  const dir = path.join(ROOT, "build", "test-firmware", "unwindable");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "fault-storm.ts");
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== STORM) fs.writeFileSync(file, STORM);
  return file;
}

/** Of a built firmware: the functions its table reaches over direct calls, and those that touch Asyncify's state. */
function finalModule(m: any): { reached: Set<string>; instrumented: Set<string> } {
  const reset = b.getFunctionInfo(m.getFunction("hoprt_asyncify_reset")).body;
  const state = b.GlobalSet.getName(reset);
  const calls = new Map<string, string[]>();
  const instrumented = new Set<string>();
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(m.getFunctionByIndex(i));
    const out: string[] = [];
    const stack = info.body ? [info.body] : [];
    while (stack.length > 0) {
      const e = stack.pop()!;
      const x = b.getExpressionInfo(e);
      if (x.id === b.ConstId) continue; // its `value` is a number, not a child
      if (x.id === b.CallId) out.push(x.target);
      if ((x.id === b.GlobalGetId || x.id === b.GlobalSetId) && x.name === state && info.name !== "hoprt_asyncify_reset") instrumented.add(info.name);
      for (const key of ["children", "operands"]) if (Array.isArray(x[key])) stack.push(...x[key].filter(Boolean));
      for (const key of ["condition", "ifTrue", "ifFalse", "body", "value", "ptr", "left", "right", "target", "delta"]) {
        if (typeof x[key] === "number" && x[key] && !(key === "target" && x.id === b.CallId)) stack.push(x[key]);
      }
    }
    calls.set(info.name, out);
  }
  const reached = new Set<string>();
  const work: string[] = [];
  for (let i = 0; i < m.getNumElementSegments(); i++) work.push(...b.getElementSegmentInfo(m.getElementSegmentByIndex(i)).data);
  while (work.length > 0) {
    const name = work.pop()!;
    if (reached.has(name)) continue;
    reached.add(name);
    work.push(...(calls.get(name) ?? []));
  }
  return { reached, instrumented };
}
