/**
 * Interrupt latency in the soft-lock build: under the latency workload
 * (bench/apps/latency.ts: semaphores, a mutex with inheritance, a channel
 * fed by a task and a handler, spawns, exits, 16 sleepers at a 10 kHz tick),
 * every probe interrupt enters within the exception entry cost plus the
 * check-point gap the build reports (the workload does not allocate here:
 * the collector's atomic stretch is reported apart, and is not yet bounded).
 */
import { describe, it, expect, beforeAll } from "vitest";
import { buildLatencyApp, measureLatency, type LatencyResult } from "../../bench/latency.js";
import type { BuildResult } from "../../js/compiler/build.js";

const ENTRY_CYCLES = 12;
let soft: BuildResult;
let result: LatencyResult;

beforeAll(async () => {
  soft = await buildLatencyApp(16, "soft", false);
  result = measureLatency(soft.wasm, 600);
});

describe("interrupt latency, soft build", () => {
  it("the build reports a finite check-point gap", () => {
    expect(soft.report.bounds.checkpointGapCycles).not.toBeNull();
    expect(soft.report.bounds.checkpointGapCycles!).toBeGreaterThan(0);
  });

  it("every probe enters within entry + the reported check-point gap, while handlers pend operations on held soft-locks", () => {
    expect(result.panics).toBe(0);
    expect(result.merged).toBe(0);
    expect(result.samples.length).toBe(600);
    const bound = ENTRY_CYCLES + soft.report.bounds.checkpointGapCycles!;
    const over = result.samples.filter((s) => s > bound);
    expect(over).toEqual([]);
    expect(Math.min(...result.samples)).toBeGreaterThanOrEqual(ENTRY_CYCLES);
    // The workload does hit held locks: the probe and the channel's handler pended operations.
    expect(result.pended).toBeGreaterThan(0);
  });
});
