/**
 * Modelled cycles do not depend on Binaryen's inlining choices
 * (js/compiler/transform.ts pinInlining): a function of at most 20 size
 * units is inlined as a compiler inlines it, and costs nothing beyond its
 * body either way; any other is called, and Binaryen may not inline it.
 *  - the same apps built with Binaryen's inlining limits at 20 (its default,
 *    the pipeline's), 40 and 65 give the same firmware, byte for byte;
 *  - the control: without the pins (inlineCharging false), those limits
 *    change the firmware and move an ISR -> task path by tens of cycles, so
 *    the limits do reach Binaryen in these builds.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { firmware } from "./support.js";
import { build } from "../../js/compiler/build.js";
import { Machine } from "../../js/host/machine.js";

const ROOT = path.resolve(__dirname, "../..");
const APP = fs.readFileSync(path.join(ROOT, "tests", "host", "apps", "inline-limits.ts"), "utf8");
const DEMO = fs.readFileSync(path.join(ROOT, "examples", "demo", "app.ts"), "utf8");
const LIMITS = [20, 40, 65];

/** Cycles from each debug.mark(1) (the runner pends the interrupt) to the waiter's debug.mark(2). */
function isrToTask(wasm: Uint8Array): number[] {
  const m = Machine.loadSync(wasm);
  m.runFor("20ms");
  const marks = m.trace.events().filter((e) => e.kind === "user_mark");
  const spans: number[] = [];
  for (let i = 0; i + 1 < marks.length; i++) if (marks[i].a === 1 && marks[i + 1].a === 2) spans.push(Number(marks[i + 1].cycle - marks[i].cycle));
  expect(spans.length).toBe(5);
  return spans;
}

describe("Binaryen's inlining limits (js/compiler/transform.ts pinInlining)", () => {
  let pinned: Uint8Array[];
  let free: Uint8Array[];
  beforeAll(async () => {
    // One after another: a build's pipeline settings hold for the build in progress.
    pinned = [];
    free = [];
    for (const size of LIMITS) pinned.push(await firmware("inline-limits", APP, { costInlineSize: size }));
    for (const size of LIMITS) free.push(await firmware("inline-limits", APP, { costInlineSize: size, inlineCharging: false }));
  }, 120_000);

  it("change nothing in the firmware: the same bytes at 20, 40 and 65, so the same cycles", () => {
    for (const wasm of pinned.slice(1)) expect(Buffer.from(wasm).equals(Buffer.from(pinned[0]))).toBe(true);
    const spans = isrToTask(pinned[0]);
    expect(new Set(spans).size).toBe(1);
  });

  it("the control: unpinned, the limits change the firmware and the ISR -> task path", () => {
    expect(Buffer.from(free[1]).equals(Buffer.from(free[0]))).toBe(false);
    const [at20, at40] = [isrToTask(free[0])[0], isrToTask(free[1])[0]];
    expect(Math.abs(at20 - at40)).toBeGreaterThan(20);
  });

  it("builds started together in one process each keep their own settings (js/compiler/build.ts runs them one at a time)", async () => {
    const dir = path.join(ROOT, "build", "test-firmware");
    fs.mkdirSync(dir, { recursive: true });
    const app = path.join(dir, "inline-limits-together.ts");
    fs.writeFileSync(app, APP);
    const options = [{ costInlineSize: 20, inlineCharging: false }, { costInlineSize: 65, inlineCharging: false }];
    const alone = [];
    for (const o of options) alone.push((await build({ app, ...o })).wasm);
    expect(Buffer.from(alone[0]).equals(Buffer.from(alone[1]))).toBe(false);
    const together = await Promise.all(options.map((o) => build({ app, ...o })));
    together.forEach((r, i) => expect(Buffer.from(r.wasm).equals(Buffer.from(alone[i]))).toBe(true));
  }, 120_000);

  it("change nothing in the demo's firmware either", async () => {
    const low = await firmware("inline-limits-demo", DEMO, { costInlineSize: 20 });
    const high = await firmware("inline-limits-demo", DEMO, { costInlineSize: 65 });
    expect(Buffer.from(high).equals(Buffer.from(low))).toBe(true);
  }, 120_000);
});
