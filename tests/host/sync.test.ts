import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, ofKind } from "./support.js";
import type { Machine } from "../../js/host/machine.js";

const APP = fs.readFileSync(path.join(__dirname, "apps", "sync.ts"), "utf8");
let m: Machine;
const tagged = (tag: string) => m.console.lines.filter((l) => l.startsWith(tag + ":")).map((l) => l.slice(tag.length + 1));

beforeAll(async () => {
  m = await machine("sync", APP);
  m.runFor("300ms");
  // The only panics: the blocking calls made on purpose in a handler / with the scheduler suspended (28).
  expect(m.panics().filter((p) => p.reason !== "kernel misuse")).toEqual([]);
  expect(m.panics()).toHaveLength(28);
});

describe("priority inversion", () => {
  it("with inheritance the high task gets the mutex before the medium task finishes", () => {
    expect(tagged("inherit")).toEqual(["low-unlocks high-locked medium-done"]);
    const events = m.trace.events();
    const boost = ofKind(events, "inherit").find((e) => m.nameAt(e.context, e.cycle) === "inv-low")!;
    expect(boost.b).toBe(2); // low runs at high's priority
    expect(boost.c).toBe(10);
  });

  it("without it the medium task runs first: the classic inversion", () => {
    expect(tagged("plain")).toEqual(["medium-done low-unlocks high-locked"]);
  });

  it("follows a chain of two mutexes: the last owner runs at the first waiter's priority", () => {
    expect(tagged("chain")).toEqual(["c ran at 1"]);
  });
});

describe("timeouts", () => {
  it("takeTimeout, receiveTimeout, sendTimeout and lockTimeout give up after exactly their ticks", () => {
    expect(tagged("timeout")).toEqual([
      "sem F after 5",
      "recv F after 3",
      "send F after 4 count 1",
      "lock F after 4 holder priority 3", // the inherited priority is dropped with the waiter
    ]);
    expect(ofKind(m.trace.events(), "timeout").length).toBe(5); // and the mailbox's waitTimeout(1) below
  });
});

describe("Mailbox and CondVar", () => {
  it("a mailbox counts notifications from tasks and ISRs for one waiter and refuses a second", () => {
    expect(tagged("mailbox")).toEqual(["rival -15", "got 3 pending 0 second waiter F"]);
  });

  it("condition variables wake one or all, each waiter holding the mutex again", () => {
    expect(tagged("condvar")).toEqual(["w1+ w2+ w3+"]);
  });
});

describe("blocking in a handler or with the scheduler suspended (DESIGN §5 Blocking)", () => {
  it("panics the handler at every blocking call, token available or not; it unwinds and the handler stays attached", () => {
    // 0..13: take, takeTimeout, lock, lockTimeout, send, sendTimeout, receive, receiveTimeout,
    // Mailbox wait/waitTimeout, CondVar wait/waitTimeout, sleepMs, sleepTicks: each unwound, none returned.
    expect(tagged("isr")).toEqual(["0 1 2 3 4 5 6 7 8 9 10 11 12 13 try TF"]);
    const isr = m.panics().filter((p) => p.context === 0xf000 + 16 + 8);
    expect(isr.map((p) => `${p.reason}/${p.detail}`)).toEqual(Array(14).fill("kernel misuse/1"));
  });

  it("panics a task that blocks while it has the scheduler suspended, at every blocking call; its suspension ends", () => {
    expect(tagged("suspended")).toEqual(["0 1 2 3 4 5 6 7 8 9 10 11 12 13 resumed"]);
    const suspended = m.panics().filter((p) => p.context < 0xf000 && p.reason === "kernel misuse");
    expect(suspended.map((p) => p.detail)).toEqual(Array(14).fill(2));
  });
});

describe("the Perfetto export", () => {
  it("shows blocked periods and a flow arrow from each giver to the task it woke", () => {
    const json = JSON.parse(m.trace.toPerfetto());
    const events: any[] = json.traceEvents;
    const blocked = events.filter((e) => e.ph === "X" && e.cat === "blocked");
    expect(blocked.some((e) => /^blocked on mutex 0x[0-9a-f]+$/.test(e.name))).toBe(true);
    expect(blocked.some((e) => e.name === "sleeping")).toBe(true);
    for (const b of blocked) expect(b.dur).toBeGreaterThanOrEqual(0);
    const starts = events.filter((e) => e.ph === "s" && e.name === "wake");
    const ends = events.filter((e) => e.ph === "f" && e.name === "wake");
    const wakes = ofKind(m.trace.events(), "wake");
    expect(starts.length).toBe(wakes.length);
    // Every arrow that started lands on the woken task (unless it had not run again by the end).
    const ended = new Set(ends.map((e) => e.id));
    expect(ended.size).toBeGreaterThan(0.9 * starts.length);
    for (const e of ends) expect(starts.find((s) => s.id === e.id)!.ts).toBeLessThanOrEqual(e.ts);
    // A handler's give starts its arrow on the interrupt track.
    expect(starts.some((e) => e.pid === 2)).toBe(true);
  });
});
