/**
 * The timing wheel: sleeps across its level boundaries are exact, sleeps up
 * to 2^32 - 1 ticks do not end early, and a length in ms that does not fit
 * in ticks is an error with a trace event, never a cut (apps/longsleep.ts,
 * 10 kHz tick). The 32-bit wrap, which crosses every level at once, is
 * hardrt-15.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, ofKind } from "./support.js";
import type { Machine } from "../../js/host/machine.js";

const APP = fs.readFileSync(path.join(__dirname, "apps", "longsleep.ts"), "utf8");
const ERR_TOO_LONG = -17;
let m: Machine;

beforeAll(async () => {
  m = await machine("longsleep", APP);
  m.runFor("600ms"); // 6000 ticks
  expect(m.panics()).toEqual([]);
});

describe("timing wheel", () => {
  it("sleeps of 63, 64, 65 and 4097 ticks (level 0, 1 and 2 of the wheel) last exactly that", () => {
    expect(m.console.lines.filter((l) => l.startsWith("slept"))).toEqual(["slept 63: 63", "slept 64: 64", "slept 65: 65", "slept 4097: 4097"]);
  });

  it("sleepTicks(0xFFFFFFFF) and sleepMs(400_000_000) (4e9 ticks) have not ended 6000 ticks later", () => {
    expect(ofKind(m.trace.events(), "user_mark").filter((e) => e.a === 3).length).toBe(2); // both went to sleep
    expect(m.console.lines.filter((l) => l.startsWith("forever"))).toEqual([]);
    const blocks = ofKind(m.trace.events(), "task_block").filter((e) => e.a === 1);
    // The wake tick in the trace (32 bits) is now + n: for 0xFFFFFFFF that is now - 1.
    expect(blocks.some((e) => (e.b >>> 0) === ((ticksAt(e.cycle) + 0xffffffff) >>> 0))).toBe(true);
    expect(blocks.some((e) => (e.b >>> 0) === ((ticksAt(e.cycle) + 4_000_000_000) >>> 0))).toBe(true);
  });

  it("a length in ms that does not fit in 32 bits of ticks is refused with ERR_TOO_LONG and a trace event, at once", () => {
    expect(m.console.lines).toContain(`too long ${ERR_TOO_LONG} F at 0`);
    const errors = ofKind(m.trace.events(), "error").filter((e) => (e.a | 0) === ERR_TOO_LONG);
    expect(errors.length).toBe(2);
    expect(errors.every((e) => e.b === 430_000_000)).toBe(true);
  });
});

/** The tick count at a cycle: the last tick event's count (0 before the first). */
function ticksAt(cycle: bigint): number {
  const ticks = ofKind(m.trace.events(), "tick").filter((e) => e.cycle <= cycle);
  return ticks.length === 0 ? 0 : ticks[ticks.length - 1].a;
}
