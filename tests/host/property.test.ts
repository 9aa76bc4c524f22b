import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/machine.js";

const APP = fs.readFileSync(path.join(__dirname, "apps", "property.ts"), "utf8");
// IRQ lines of apps/property.ts
const GIVE = 10, SEND = 11, RECEIVE = 12, KICK_GIVE = 13, KICK_SEND = 14, AUDIT = 15, SPAWN = 16, NOTIFY = 17;

let wasm: Uint8Array;
beforeAll(async () => { wasm = await firmware("property", APP); });

const step = fc.record({
  gap: fc.integer({ min: 1, max: 4000 }), // cycles after the previous injection
  line: fc.constantFrom(GIVE, SEND, RECEIVE, KICK_GIVE, KICK_SEND, SPAWN, NOTIFY),
  burst: fc.integer({ min: 1, max: 3 }),   // the same line this many times back to back
});

describe("synchronisation properties", () => {
  it("no token, message, spawn or notification is lost or duplicated, FIFO holds, nobody waits beside an available resource, the kernel audits clean", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps) => {
        const m = Machine.loadSync(wasm, { collectTrace: false });
        m.runFor("1ms"); // boot: every task blocks
        let at = m.cycles;
        for (const s of steps) {
          at += BigInt(s.gap);
          for (let i = 0; i < s.burst; i++) m.irq.schedule(s.line, at + BigInt(i * 40));
        }
        m.runFor(Number(at - m.cycles) + 200_000);
        m.irq.raise(AUDIT);
        m.runFor("2ms");
        const audits = m.console.lines.filter((l) => l.startsWith("audit"));
        expect(audits.length).toBe(1);
        for (const a of audits) expect(a).toMatch(/^audit ok /);
        expect(m.panics()).toEqual([]);
      }),
      { numRuns: 60, seed: 0x5eed, endOnFailure: true },
    );
  });
});
