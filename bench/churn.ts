/**
 * The collector under load (bench gc, tests/host/gc.test.ts): build
 * bench/apps/churn.ts, raise its priority-0 probe (IRQ 7) every 600..1199
 * cycles (an xorshift sequence) while four tasks allocate and preempt each
 * other and a handler allocates, and measure each probe's entry: from the
 * cycle the line was raised to the cycle its handler starts, in modelled
 * cycles (the exception entry cost included).
 */
import * as path from "node:path";
import { build, PACKAGE_ROOT, type BuildResult } from "../js/compiler/build.js";
import { Machine } from "../js/host/machine.js";

export const CHURN_PROBE_IRQ = 7;
const PROBE_EXCEPTION = 16 + CHURN_PROBE_IRQ;
export const CHURN_APP = path.join(PACKAGE_ROOT, "bench", "apps", "churn.ts");

export function buildChurnApp(): Promise<BuildResult> {
  return build({ app: CHURN_APP });
}

export interface ChurnResult {
  /** Probe entry latencies, cycles. */
  samples: number[];
  worst: number;
  /** Raises that found the probe still pending. */
  merged: number;
  /** Collections that ended during the run, and their longest step (the gc event's pause). */
  collections: number;
  longestGcEvent: number;
  /** The runtime's longest uninterruptible stretch of the allocator or the collector. */
  maxPauseCycles: number;
  /** Churn loop iterations in the run (the checker's last report), and what it counted as corrupt. */
  iterations: number;
  bad: number;
  lines: string[];
  panics: number;
  panicReports: string[];
  heapUsed: number;
}

export function measureChurn(wasm: Uint8Array, cycles: number, seed = 0x9e3779b9): ChurnResult {
  const m = Machine.loadSync(wasm);
  m.runFor("1ms");
  let x = seed >>> 0;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const samples: number[] = [];
  let raise: bigint | null = null;
  let merged = 0, collections = 0, longestGcEvent = 0;
  m.trace.on("event", (e) => {
    if (e.kind === "irq_raise" && e.a === PROBE_EXCEPTION && e.b === 2) {
      if (raise === null) raise = e.cycle;
      else merged++;
    } else if (e.kind === "isr_enter" && e.a === PROBE_EXCEPTION && raise !== null) {
      samples.push(Number(e.cycle - raise));
      raise = null;
    } else if (e.kind === "gc") {
      collections++;
      longestGcEvent = Math.max(longestGcEvent, e.c);
    }
  });
  const end = m.cycles + BigInt(cycles);
  const BATCH = 32;
  while (m.cycles < end) {
    let at = m.cycles;
    for (let i = 0; i < BATCH; i++) {
      at += BigInt(600 + (next() % 600));
      m.irq.schedule(CHURN_PROBE_IRQ, at);
    }
    m.runFor(Number(at - m.cycles) + 1000);
  }
  const lines = m.console.lines;
  const last = lines.filter((l) => l.startsWith("ok ")).pop() ?? "ok -1 0";
  const [, bad, iterations] = last.split(" ").map(Number);
  return {
    samples, worst: Math.max(0, ...samples), merged, collections, longestGcEvent,
    maxPauseCycles: m.memory().gcMaxPauseCycles, iterations, bad, lines: [...lines],
    panics: m.panics().length, panicReports: m.panics().map((p) => `${p.where}: ${p.reason}`), heapUsed: m.memory().heapUsed,
  };
}
