/**
 * What cleanup handlers cost a program that uses none (issue 8's target:
 * nothing, measured). The benchmark's semaphore workload (bench/apps/sem.ts:
 * a giver and a taker, marks around each hand-off) is built with the
 * compiler's cleanup-handler pass (every build) and without it
 * (BuildOptions.deferPass false): the firmware is the same byte for byte and
 * every modelled cycle of the hand-off and of the loop is the same. The same
 * workload with one unwind.defer in the giver's loop shows that the
 * measurement does see a handler's cost when there is one.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/machine.js";
import { build, BuildError } from "../../js/compiler/build.js";

const SEM = fs.readFileSync(path.resolve(__dirname, "../../bench/apps/sem.ts"), "utf8");
const GIVER = "function giver(arg: u32): void { while (true) { debug.mark(1); sem.give(); } }";
/** The same loop with a cleanup handler registered (and run) on every pass. */
const WITH_DEFER = SEM
  .replace('import { task, debug, Semaphore } from "hoprt";', 'import { task, debug, Semaphore, unwind } from "hoprt";')
  .replace(GIVER, "function noop(arg: u32): void {}\nfunction give(): void { unwind.defer(noop, 0); sem.give(); }\n" +
    "function giver(arg: u32): void { while (true) { debug.mark(1); give(); } }");

/** The steady state after 2 ms: cycles from mark 1 (giver) to mark 2 (taker woke), and one loop period. */
function measure(wasm: Uint8Array): { handOff: number; period: number } {
  const m = Machine.loadSync(wasm);
  m.runFor("2ms");
  const marks = m.trace.events().filter((e) => e.kind === "user_mark");
  const ones = marks.filter((e) => e.a === 1);
  const lastTwo = marks.filter((e) => e.a === 2).at(-1)!;
  const start = [...ones].reverse().find((e) => e.cycle < lastTwo.cycle)!;
  return { handOff: Number(lastTwo.cycle - start.cycle), period: Number(ones.at(-1)!.cycle - ones.at(-2)!.cycle) };
}

let withPass: Uint8Array, withoutPass: Uint8Array, deferring: Uint8Array;
beforeAll(async () => {
  expect(SEM).toContain(GIVER); // the variant below really changes the loop
  [withPass, withoutPass, deferring] = await Promise.all([
    firmware("defer-cost", SEM),
    firmware("defer-cost", SEM, { deferPass: false }),
    firmware("defer-cost-deferring", WITH_DEFER),
  ]);
}, 240_000);

describe("cleanup handlers cost a program that uses none nothing", () => {
  it("the firmware is the same byte for byte with and without the pass, and so is every modelled cycle", () => {
    expect(Buffer.from(withPass).equals(Buffer.from(withoutPass))).toBe(true);
    const a = measure(withPass), b = measure(withoutPass);
    expect(a).toEqual(b);
    console.log(`defer-cost: sem hand-off ${a.handOff} cycles, loop ${a.period} cycles, with and without the cleanup-handler pass`);
  });

  it("a handler registered in the loop does cost (the measurement sees it); the function that calls defer is kept out of line", () => {
    const plain = measure(withPass), deferred = measure(deferring);
    console.log(`defer-cost: one unwind.defer per pass: loop ${deferred.period} cycles (+${deferred.period - plain.period})`);
    expect(deferred.period).toBeGreaterThan(plain.period);
    const names = new TextDecoder().decode(WebAssembly.Module.customSections(new WebAssembly.Module(deferring), "name")[0]);
    expect(names).toContain("app/give");   // kept out of line: its handlers run at its own return
  });

  it("an app that calls unwind.defer cannot be built without the pass (the switch is for measuring only)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-defer-"));
    const app = path.join(dir, "app.ts");
    fs.writeFileSync(app, WITH_DEFER);
    await expect(build({ app, deferPass: false })).rejects.toThrow(/calls unwind.defer, so it cannot be built without the cleanup-handler pass/);
  }, 120_000);
});
