/**
 * Interrupt latency in the soft-lock build: under the latency workload
 * (bench/apps/latency.ts: semaphores, a mutex with inheritance, a channel
 * fed by a task and a handler, spawns, exits, 4 sleepers at a 10 kHz tick),
 * every probe interrupt enters within the exception entry cost plus the
 * check-point gap the build reports, plus the exception return when it
 * arrives as a handler ends. With allocating children (the collector, stack
 * extensions) the build's other figure, the longest uninterruptible stretch
 * of atomic code, joins it: entry + exit + the larger of the two.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { buildLatencyApp, measureLatency, type LatencyResult } from "../../bench/latency.js";
import { build, BuildError, type BuildResult } from "../../js/compiler/build.js";

const ENTRY_CYCLES = 12;
/** An interrupt that arrives while a handler returns also waits for the exception return. */
const EXIT_CYCLES = 10;
let soft: BuildResult;
let result: LatencyResult;

beforeAll(async () => {
  // 4 sleepers keep the test short (the bench measures 32 and 256).
  soft = await buildLatencyApp(4, "soft", false);
  result = measureLatency(soft.wasm, 600);
});

describe("interrupt latency, soft build", () => {
  it("the build reports a finite check-point gap", () => {
    expect(soft.report.bounds.checkpointGapCycles).not.toBeNull();
    expect(soft.report.bounds.checkpointGapCycles!).toBeGreaterThan(0);
  });

  // Without collections the only atomic code this workload runs is the heap's: a spawn allocates, a
  // task's end frees. A probe that lands there waits for the one allocation or free (the build's
  // heap figure), which is longer than the check-point gap since every call a compiler would not
  // inline is a call with its own check point (js/compiler/transform.ts pinInlining).
  it("every probe enters within entry + exit + the longer of the check-point gap and one heap allocation or free", () => {
    const { checkpointGapCycles: gap, heapStretchCycles: heap } = soft.report.bounds;
    expect(result.collections).toBe(0);
    expect(gap).not.toBeNull();
    expect(heap).toBeGreaterThan(0);
    const bound = ENTRY_CYCLES + EXIT_CYCLES + Math.max(gap!, heap!);
    expect(result.samples.filter((s) => s > bound)).toEqual([]);
  });

  it("every probe enters, none is lost or merged, and handlers pend operations on held soft-locks", () => {
    expect(result.panics).toBe(0);
    expect(result.merged).toBe(0);
    expect(result.samples.length).toBe(600);
    // Never faster than a tail-chained entry (6 cycles: it arrived as another handler ended).
    expect(Math.min(...result.samples)).toBeGreaterThanOrEqual(6);
    // The workload does hit held locks: the probe and the channel's handler pended operations.
    expect(result.pended).toBeGreaterThan(0);
  });
});

describe("interrupt latency, soft build, with allocating children", () => {
  it("the build bounds every atomic stretch, and every probe enters within entry + exit + the larger reported bound", async () => {
    const alloc = await buildLatencyApp(4, "soft", true);
    const { checkpointGapCycles: gap, atomicStretchCycles: atomic } = alloc.report.bounds;
    expect(gap).not.toBeNull();
    expect(atomic).not.toBeNull(); // no atomic loop the build cannot bound (collector, allocator, stacklets)
    const r = measureLatency(alloc.wasm, 300);
    expect(r.panics).toBe(0);
    expect(r.samples.length).toBe(300);
    const bound = ENTRY_CYCLES + EXIT_CYCLES + Math.max(gap!, atomic!);
    expect(r.samples.filter((s) => s > bound)).toEqual([]);
    // The build's atomic bound is the larger figure here (the allocator's longest path), so the
    // bound the probes are held to is entry + exit + that, not the gap alone. Whether a probe
    // lands at the start of such a stretch depends on the workload's timing: not asserted.
    expect(atomic!).toBeGreaterThan(gap!);
  });
});

describe("the masking baseline (--kernel-lock mask)", () => {
  it("is the same workload, but handlers wait instead of pending: nothing is ever pended", async () => {
    const mask = await buildLatencyApp(4, "mask", false);
    const r = measureLatency(mask.wasm, 200);
    expect(r.panics).toBe(0);
    expect(r.samples.length + r.merged).toBe(200);
    expect(r.pended).toBe(0);
  });

  it("an unknown kernel lock is a build error naming the option", async () => {
    await expect(build({ app: "bench/apps/latency.ts", kernelLock: "spin" as any })).rejects.toThrow(BuildError);
    await expect(build({ app: "bench/apps/latency.ts", kernelLock: "spin" as any })).rejects.toThrow(/--kernel-lock must be soft or mask \(got spin\)/);
  });
});
