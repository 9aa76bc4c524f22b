/**
 * The page ships the examples' firmware prebuilt (web/rollup.config.mjs):
 * Build of an example as shipped answers with it at once, and it is byte
 * for byte what the page's own compiler makes of the same source; an edit
 * is compiled. (The other browser tests build examples as shipped: this one
 * is where the in-page compiler builds a whole example.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { open, start, state, type Session } from "./support.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
let session: Session;
let page: Page;

beforeAll(async () => {
  session = await start();
  page = await open(session);
});

afterAll(async () => {
  await session?.close();
});

/** Press Build (compiling even a shipped example when `fresh`); the firmware's bytes and whether the worker compiled. */
async function build(fresh: boolean): Promise<{ bytes: number[]; compiled: boolean }> {
  const loads = await state<number>(page, "playground.loads");
  await page.evaluate((on) => { (window as any).playground.freshBuilds = on; }, fresh);
  await page.click("#build");
  await page.waitForFunction((before) => (window as any).playground.loads > before || document.querySelector("#diagnostics li") !== null, loads, { timeout: 120_000 });
  expect(await page.locator("#diagnostics li").count()).toBe(0);
  return page.evaluate(() => {
    const p = (window as any).playground;
    return { bytes: Array.from(p.lastFirmware as Uint8Array), compiled: p.timings.compiled as boolean };
  });
}

describe("the playground's prebuilt examples", () => {
  it("an example as shipped builds at once, with the bytes the page's compiler makes of it; an edit compiles", async () => {
    await page.selectOption("#example", "blinky");
    const shipped = await build(false);
    expect(shipped.compiled).toBe(false);
    expect(shipped.bytes.length).toBeGreaterThan(1000);
    const compiled = await build(true);
    expect(compiled.compiled).toBe(true);
    expect(compiled.bytes.length).toBe(shipped.bytes.length);
    expect(compiled.bytes.every((b, i) => b === shipped.bytes[i])).toBe(true);

    // One character changed: not the shipped example any more, so the worker compiles it.
    const text = fs.readFileSync(path.join(ROOT, "examples", "blinky", "app.ts"), "utf8");
    expect(text).toContain("const RELOAD: u32 = 2499;");
    await page.evaluate((s) => (window as any).playground.setSource(s), text.replace("const RELOAD: u32 = 2499;", "const RELOAD: u32 = 4999;"));
    const edited = await build(false);
    expect(edited.compiled).toBe(true);
    expect(edited.bytes.length === shipped.bytes.length && edited.bytes.every((b, i) => b === shipped.bytes[i])).toBe(false);
    expect(session.errors).toEqual([]);
  });
});
