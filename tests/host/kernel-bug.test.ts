/**
 * A kernel bug halts the machine (issue 8 item 8, DESIGN §4): a trap in
 * kernel code while the kernel lock is held may leave its structures
 * half-updated, so it is never recovered as the running task's panic.
 * apps/kernel-bug.ts corrupts a wait queue by a raw memory write and makes
 * the kernel trap under its lock; the same trap outside the kernel (the
 * control) is an ordinary, recovered panic.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, ofKind } from "./support.js";
import type { Machine, RunResult } from "../../js/host/machine.js";

let m: Machine;
let first: RunResult;

beforeAll(async () => {
  m = await machine("kernel-bug", fs.readFileSync(path.join(__dirname, "apps", "kernel-bug.ts"), "utf8"));
  first = m.runFor("20ms");
}, 240_000);

describe("a kernel bug", () => {
  it("halts the machine: runFor stops with reason \"kernel bug\" at the trap, long before the 20 ms", () => {
    expect(first.reason).toBe("kernel bug");
    expect(first.faults).toHaveLength(2);              // the control's trap (recovered) and the kernel's
    expect(first.faults[1]).toMatch(/out of bounds/);
    expect(first.cycles).toBeLessThan(168_000n * 3n); // it halted within the corrupter's first run (2 ms in)
  });

  it("is reported as a kernel bug of the context that held the lock, naming the trap; nothing is unwound or released", () => {
    const panics = m.panics();
    expect(panics.map((p) => [p.where, p.reason])).toEqual([["task ordinary", "trap"], ["task corrupter", "kernel bug"]]);
    const bug = panics[1];
    expect(bug.detail).toBe(3);                         // the fault it took inside the kernel: a trap
    expect(bug.message).toMatch(/^trap \(.*out of bounds.*\) inside the kernel, with the kernel lock held$/);
    expect(bug.unwound).toBeUndefined();
    expect(m.console.lines).toEqual(["ordinary trap unwound", "corrupting the wait queue"]);
    const events = m.trace.events();
    // The lock was not taken from the dead holder and handed on (the old recovery): no ERR_LOCK_ABANDONED.
    expect(ofKind(events, "error")).toEqual([]);
    expect(ofKind(events, "unwind_done").map((e) => m.nameAt(e.context, e.cycle))).toEqual(["ordinary"]);
    const panic = ofKind(events, "panic").at(-1)!;
    expect([panic.a, panic.b]).toEqual([9, 3]);
  });

  it("stays halted: every later run returns the same stop at once and runs nothing", () => {
    const cycles = m.cycles;
    const lines = m.console.lines.length;
    for (let i = 0; i < 3; i++) {
      const again = m.runFor("5ms");
      expect(again).toEqual({ reason: "kernel bug", cycles, faults: [] });
    }
    expect(m.console.lines.length).toBe(lines);
    expect(m.panics()).toHaveLength(2);
  });

  it("halts the masking build (--kernel-lock mask) the same way: it knows the lock's holder too", async () => {
    const masked = await machine("kernel-bug-mask", fs.readFileSync(path.join(__dirname, "apps", "kernel-bug.ts"), "utf8"), { kernelLock: "mask" });
    expect(masked.runFor("20ms").reason).toBe("kernel bug");
    expect(masked.panics().map((p) => [p.where, p.reason, p.detail])).toEqual([["task ordinary", "trap", 0], ["task corrupter", "kernel bug", 3]]);
    expect(masked.runFor("1ms").reason).toBe("kernel bug");
  }, 240_000);
});
