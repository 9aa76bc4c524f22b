/**
 * The playground's pure parts, in Node: the timeline model (trace events ->
 * lanes, segments, arrows, markers), compile-message parsing, and share
 * links (a property test over random sources and inputs, and damaged links).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { TraceEvent } from "../../js/host/index.js";
import { HANDLER_CONTEXT_BASE } from "../../js/host/index.js";
import { TimelineModel } from "../../web/src/timeline-model.js";
import { parseDiagnostics } from "../../web/src/diagnostics.js";
import { decodeShare, encodeShare, type Shared } from "../../web/src/share.js";
import { STATE_BLOCKED, STATE_READY, STATE_RUNNING, STATE_SLEEPING } from "../../web/src/protocol.js";

const ev = (cycle: number, kind: string, context: number, a = 0, b = 0): TraceEvent => ({ cycle: BigInt(cycle), kind: kind as TraceEvent["kind"], context, a, b, c: 0 });
const PENDSV = 14, TIM2 = 44;

describe("the timeline model", () => {
  it("turns a task's life into segments, with switch and wake arrows", () => {
    const names = new Map([[1, "worker"], [2, "idle"]]);
    const model = new TimelineModel((id) => names.get(id));
    const events = [
      ev(10, "task_create", 2), ev(11, "task_ready", 2),
      ev(20, "task_create", 1), ev(21, "task_ready", 1),
      ev(30, "task_switch_in", 1),
      ev(40, "wait", 1), ev(45, "isr_enter", HANDLER_CONTEXT_BASE + PENDSV, PENDSV), ev(50, "task_switch_out", 1, 2), ev(52, "task_switch_in", 2), ev(55, "isr_exit", HANDLER_CONTEXT_BASE + PENDSV, PENDSV),
      ev(100, "isr_enter", HANDLER_CONTEXT_BASE + TIM2, TIM2), ev(105, "wake", HANDLER_CONTEXT_BASE + TIM2, 0, 1), ev(106, "task_ready", 1), ev(110, "isr_exit", HANDLER_CONTEXT_BASE + TIM2, TIM2),
      ev(120, "task_switch_out", 2, 1), ev(122, "task_switch_in", 1),
      ev(130, "task_block", 1, 1, 5), ev(140, "task_switch_out", 1, 2), ev(141, "task_switch_in", 2),
      ev(150, "panic", 1, 3, 0),
    ];
    for (const e of events) model.add(e);
    const out = model.take();
    expect(model.lanes.map((l) => [l.label, l.kind])).toEqual([["idle", "task"], ["worker", "task"], ["PendSV", "irq"], ["IRQ28", "irq"]]);
    const segments: number[][] = [];
    for (let i = 0; i < out.segments.length; i += 4) segments.push(Array.from(out.segments.subarray(i, i + 4)));
    expect(segments).toEqual([
      [1, STATE_READY, 20, 30],
      [1, STATE_RUNNING, 30, 50],
      [0, STATE_READY, 10, 52],
      [2, STATE_RUNNING, 45, 55],
      [1, STATE_BLOCKED, 50, 106],
      [3, STATE_RUNNING, 100, 110],
      [0, STATE_RUNNING, 52, 120],
      [1, STATE_READY, 106, 122],
      [1, STATE_RUNNING, 122, 140],
      [0, STATE_READY, 120, 141],
    ]);
    // Still open: idle running since 141, worker sleeping since 140.
    expect(Array.from(out.open)).toEqual([0, STATE_RUNNING, 141, 1, STATE_SLEEPING, 140]);
    const arrows: number[][] = [];
    for (let i = 0; i < out.arrows.length; i += 4) arrows.push(Array.from(out.arrows.subarray(i, i + 4)));
    expect(arrows).toEqual([[0, 52, 1, 0], [1, 105, 3, 1], [0, 122, 0, 1], [0, 141, 1, 0]]);
    expect(out.markers).toEqual([{ cycle: 150, lane: 1, kind: "panic", text: "panic: trap" }]);
    // take() hands over only what is new.
    expect(model.take().segments.length).toBe(0);
  });
});

describe("compile messages", () => {
  const stderr = [
    "ERROR TS2304: Cannot find name 'undefinedThing'.",
    "   :",
    " 4 │ debug.print(undefinedThing);",
    "   │             ~~~~~~~~~~~~~~",
    "   └─ in app.ts(4,15)",
    "",
    "WARNING AS201: Conversion from type 'f64' to 'u32' will require an explicit cast.",
    "   :",
    " 12 │ let x = y;",
    "   └─ in ~lib/hoprt/kernel/task.ts(12,3)",
    "",
    "FAILURE 1 compile error(s)",
  ].join("\n");
  it("places messages in the application at their line and column, others by file", () => {
    expect(parseDiagnostics(stderr, "app.ts")).toEqual([
      { severity: "error", code: "TS2304", message: "Cannot find name 'undefinedThing'.", line: 4, column: 15 },
      { severity: "warning", code: "AS201", message: "Conversion from type 'f64' to 'u32' will require an explicit cast. (in ~lib/hoprt/kernel/task.ts:12)", line: 0, column: 0 },
    ]);
  });
});

describe("share links", () => {
  const input = fc.oneof(
    fc.record({ cycle: fc.nat(), kind: fc.constant("pin" as const), pin: fc.constantFrom("PA0", "PD12"), level: fc.constantFrom(0 as const, 1 as const) }),
    fc.record({ cycle: fc.nat(), kind: fc.constant("uart" as const), uart: fc.constantFrom(1, 2, 6), text: fc.string({ unit: "binary" }) }),
  );
  it("round-trip any source and inputs through the fragment", async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: "binary", maxLength: 5000 }), fc.nat(), fc.array(input, { maxLength: 20 }), async (source, cycles, inputs) => {
      const shared: Shared = { v: 1, source, cycles, inputs };
      const fragment = await encodeShare(shared);
      expect(fragment).toMatch(/^run=[A-Za-z0-9_-]*$/);
      expect(await decodeShare("#" + fragment)).toEqual(shared);
    }), { numRuns: 60 });
  });
  it("compress: a 2 KB example fits a short link", async () => {
    const source = "import { task, time, debug } from \"hoprt\";\n".repeat(50);
    expect((await encodeShare({ v: 1, source, cycles: 0, inputs: [] })).length).toBeLessThan(200);
  });
  it("say clearly when a link is damaged or not a run", async () => {
    expect(await decodeShare("")).toBeNull();
    expect(await decodeShare("#other=1")).toBeNull();
    await expect(decodeShare("#run=AAAA")).rejects.toThrow(/share link is damaged/);
    const good = await encodeShare({ v: 1, source: "x", cycles: 5, inputs: [] });
    await expect(decodeShare("#" + good.slice(0, -6))).rejects.toThrow(/share link is damaged/);
    const notOurs = await encodeShare({ v: 2, source: "x" } as unknown as Shared);
    await expect(decodeShare("#" + notOurs)).rejects.toThrow(/not a HopRT playground run/);
  });
});
