/**
 * Interrupt entry latency under load (bench irqLatency, tests/host/latency.test.ts):
 * build bench/apps/latency.ts with a number of sleeping tasks and a kernel
 * lock, raise its probe IRQ at pseudo-random cycles, and measure each entry:
 * from the cycle the line was raised to the cycle the handler starts (the
 * exception entry cost included), in modelled cycles.
 */
import * as path from "node:path";
import * as fs from "node:fs";
import * as os from "node:os";
import { build, PACKAGE_ROOT, type KernelLock, type BuildResult } from "../js/compiler/build.js";
import { Machine } from "../js/host/machine.js";

export const PROBE_IRQ = 7;
const PROBE_EXCEPTION = 16 + PROBE_IRQ;
const APP = path.join(PACKAGE_ROOT, "bench", "apps", "latency.ts");

/** Build the workload with `sleepers` sleeping tasks (plus 9 workers, idle and main); `allocate`: children allocate. */
export async function buildLatencyApp(sleepers: number, kernelLock: KernelLock, allocate = true): Promise<BuildResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-latency-"));
  const file = path.join(dir, "latency.ts");
  fs.writeFileSync(file, `const SLEEPERS: i32 = ${sleepers};\nconst ALLOCATE: bool = ${allocate};\n` + fs.readFileSync(APP, "utf8"));
  try {
    const maxTasks = Math.max(32, sleepers + 16);
    // Each sleeper holds about 1.3 KiB (control block, stack and save area); 128 KiB more for the rest
    // (at 128 KiB in all, the spawner's heapAlloc trapped after heapFits said yes: reported to issue 7).
    const sramBytes = Math.ceil((sleepers * 1400 + 128 * 1024) / 65536) * 64 * 1024;
    return await build({ app: file, kernelLock, maxTasks, sramBytes });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface LatencyResult {
  samples: number[];
  worst: number;
  p99: number;
  mean: number;
  /** Handler operations pended on a held soft-lock during the run (EV_PENDED). */
  pended: number;
  /** Raises that found the probe still pending (merged: the CPU was held longer than the gap). */
  merged: number;
  panics: number;
  /** Collections the run made (none: the only atomic code it ran was the heap's). */
  collections: number;
}

/**
 * Boot the firmware, then raise the probe `count` times, each 2000..5999
 * cycles after the previous one (an xorshift sequence from `seed`), far
 * apart enough that no raise merges with a pending one.
 */
export function measureLatency(wasm: Uint8Array, count: number, seed = 0x2545f491): LatencyResult {
  const m = Machine.loadSync(wasm);
  m.runFor("3ms"); // boot: every task started
  let x = seed >>> 0;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const samples: number[] = [];
  let pended = 0;
  let raise: bigint | null = null;
  let merged = 0;
  // Every event as it is read (the kept window is bounded; a long workload's first events would be gone).
  m.trace.on("event", (e) => {
    if (e.kind === "pended") pended++;
    else if (e.kind === "irq_raise" && e.a === PROBE_EXCEPTION && e.b === 2) {
      // A raise while the probe is still pending merges with it: the first one's wait is the sample.
      if (raise === null) raise = e.cycle;
      else merged++;
    }
    else if (e.kind === "isr_enter" && e.a === PROBE_EXCEPTION && raise !== null) {
      samples.push(Number(e.cycle - raise));
      raise = null;
    }
  });
  const BATCH = 16;
  for (let done = 0; done < count; done += BATCH) {
    let at = m.cycles;
    for (let i = 0; i < BATCH && done + i < count; i++) {
      at += BigInt(2000 + (next() % 4000));
      m.irq.schedule(PROBE_IRQ, at);
    }
    m.runFor(Number(at - m.cycles) + 2000);
  }
  // The last probe may still wait (a long masked stretch in the mask build): its wait is a sample too.
  for (let waited = 0; raise !== null && waited < 1_000; waited++) m.runFor(10_000);
  if (samples.length + merged !== count) throw new Error(`latency: ${count} probes raised, ${samples.length} entered, ${merged} merged`);
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samples,
    worst: sorted[sorted.length - 1],
    p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))],
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    pended,
    merged,
    panics: m.panics().length,
    collections: m.memory().collections,
  };
}
