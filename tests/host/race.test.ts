/**
 * The race sweep: an interrupt at every check point inside six kernel
 * operations (a semaphore give, a channel send, a mutex unlock ending an
 * inheritance, a sleep's timing-wheel insert, a spawn, a task exit), its
 * handler operating on the same object; the kernel's invariants and the
 * operation's accounting are checked after each (apps/race.ts).
 *
 * The interrupt is raised at a cycle of the operation's span and taken at
 * the next check point; from the cycle it entered, the sweep moves on to the
 * first cycle after that check point, so it visits every check point of the
 * span once, in a fresh machine each time.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/machine.js";

const APP = fs.readFileSync(path.join(__dirname, "apps", "race.ts"), "utf8");
const RACE_IRQ = 20;
const RACE_EXCEPTION = 16 + RACE_IRQ;
const SLICE = 20_000; // cycles between two host ticks (external tick source)
const SCENARIOS = ["semaphore give", "channel send", "mutex unlock with inheritance", "sleep (wheel insert)", "spawn", "task exit"];

let m: Machine;
let wasm: Uint8Array;
beforeAll(async () => {
  wasm = await firmware("race", APP);
  m = Machine.loadSync(wasm);
});

/** Run from reset until audit `k` is printed, with the race IRQ raised at `irqAt`. */
function runUntil(k: number, irqAt: bigint | null): { line: string; enter: bigint | null } {
  m.reset();
  if (irqAt !== null) m.irq.schedule(RACE_IRQ, irqAt);
  for (let i = 0; i < 100; i++) {
    m.runFor(SLICE);
    const line = m.console.lines.find((l) => l.startsWith(`audit ${k} `));
    if (line) {
      const enter = m.trace.events().find((e) => e.kind === "isr_enter" && e.a === RACE_EXCEPTION);
      // The cycle the check point took it: the entry (or tail-chain) cost before the enter event.
      return { line, enter: enter ? enter.cycle - BigInt(enter.b) : null };
    }
    m.tick();
  }
  throw new Error(`scenario ${k} never audited: ${m.console.lines.join(" | ")} panics ${JSON.stringify(m.panics())}`);
}

describe("race sweep: an interrupt at every check point of a kernel operation", () => {
  it("runs every scenario cleanly without interference", () => {
    for (let k = 1; k <= SCENARIOS.length; k++) expect(runUntil(k, null).line).toBe(`audit ${k} ok isr 0`);
    expect(m.console.lines).toContain("done");
  });

  for (let k = 1; k <= SCENARIOS.length; k++) {
    it(`${SCENARIOS[k - 1]}: invariants hold whichever check point the handler preempts`, () => {
      runUntil(k, null);
      const marks = m.trace.events().filter((e) => e.kind === "user_mark" && e.b === k);
      const start = marks.find((e) => e.a === 1)!.cycle;
      // A sleep's span ends where the driver switches out (the rest is idle time, not the insert).
      const end = k === 4
        ? m.trace.events().find((e) => e.kind === "task_switch_out" && e.cycle > start)!.cycle
        : marks.find((e) => e.a === 2)!.cycle;
      expect(end > start).toBe(true);
      // From the cycle after mark 1: a raise at mark 1's own cycle is taken by the check point that
      // charged mark 1's segment, before the scenario's setup (a segment is charged, then checked).
      let at = start + 1n;
      let points = 0;
      const failures: string[] = [];
      while (at <= end) {
        const { line, enter } = runUntil(k, at);
        expect(enter).not.toBeNull();
        if (line !== `audit ${k} ok isr 1`) failures.push(`${at}: ${line}`);
        expect(m.panics()).toEqual([]);
        points++;
        // The next check point: the first cycle after the one that took this interrupt.
        const taken = enter!;
        at = taken >= at ? taken + 1n : at + 1n;
      }
      expect(failures).toEqual([]);
      expect(points).toBeGreaterThanOrEqual(2); // the give is short since its hot path was inlined
    });
  }
});
