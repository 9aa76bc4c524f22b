/**
 * The playground in a real Chromium: the compiler and the machine run in
 * the page's workers; the test drives the page as a user would (buttons,
 * the editor, the board, the UART terminal, a share link) and checks what
 * the page shows against what the firmware defines.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { SCREENSHOTS, buildExample, open, runUntil, start, state, type Session } from "./support.js";

let session: Session;
let page: Page;
/** TIM2 at 84 MHz / 8400 / 2500: an update every 250 ms, 42 000 000 core cycles (examples/blinky). */
const TIM2_PERIOD = 42_000_000;

beforeAll(async () => {
  session = await start();
  page = await open(session);
});

afterAll(async () => {
  await session?.close();
});

async function shot(name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, name + ".png") });
}

describe("the playground", () => {
  it("loads with the compiler ready and no console errors", async () => {
    expect(await page.locator("#example option").allTextContents()).toEqual([
      "Blinky (TIM2 drives the LEDs)", "Button (EXTI0 on PA0)", "UART echo (USART2)", "Demo (four tasks)", "Priority inversion (mutex inheritance)",
      "Breathing tasks (four sensors, two work slots)",
    ]);
    expect(await page.locator("#run").isDisabled()).toBe(true);
    expect(session.errors).toEqual([]);
  });

  it("builds blinky in the worker; the LEDs count in binary, one step per TIM2 update", async () => {
    await buildExample(page, "blinky");
    const buildMs = await state<number>(page, "playground.timings.buildMs");
    console.log(`blinky built in the page's worker in ${(buildMs / 1000).toFixed(1)} s`);
    // Step 1 ms: 168 000 cycles of virtual time (a run ends at the first check point past its end).
    const before = await state<number>(page, "playground.cycles");
    await page.click("#step");
    await page.waitForFunction((c) => (window as any).playground.cycles > c, before);
    const stepped = (await state<number>(page, "playground.cycles")) - before;
    expect(stepped).toBeGreaterThanOrEqual(168_000);
    expect(stepped).toBeLessThan(168_000 + 100);

    // 60 LED changes are 32 TIM2 updates (16 updates change the four LEDs 30 times): the lane and
    // download tests below need 30 of them, and must not count on the run going on past the
    // predicate before the pause lands (on a loaded machine it does not).
    await runUntil(page, "playground.ledLog.length >= 60");
    const log = await state<Array<{ cycle: number; led: string; level: number }>>(page, "playground.ledLog");
    // One ODR write per step: group the changes by cycle.
    const steps = new Map<number, Map<string, number>>();
    for (const c of log) {
      if (!steps.has(c.cycle)) steps.set(c.cycle, new Map());
      steps.get(c.cycle)!.set(c.led, c.level);
    }
    const cycles = [...steps.keys()];
    const leds = new Map([["PD12", 0], ["PD13", 0], ["PD14", 0], ["PD15", 0]]);
    cycles.forEach((cycle, k) => {
      expect(cycle - cycles[0]).toBe(k * TIM2_PERIOD);
      for (const [led, level] of steps.get(cycle)!) leds.set(led, level);
      const count = (k + 1) & 0xF;
      expect([...leds.values()]).toEqual([count & 1, (count >> 1) & 1, (count >> 2) & 1, (count >> 3) & 1]);
    });
    const lines = await state<string[]>(page, "playground.consoleLines");
    expect(lines.slice(0, 4)).toEqual(["step 1: green - - -", "step 2: - orange - -", "step 3: green orange - -", "step 4: - - red -"]);
    // The board shows the LEDs' levels now.
    const shown = await page.locator(".led").evaluateAll((els) => els.map((e) => (e.classList.contains("on") ? 1 : 0)));
    const now = await page.evaluate(() => ["PD12", "PD13", "PD14", "PD15"].map((led) => {
      const changes = (window as any).playground.ledLog.filter((c: any) => c.led === led);
      return changes.length ? changes[changes.length - 1].level : 0;
    }));
    expect(shown).toEqual(now);
    await shot("blinky");
  });

  it("draws a lane per task and per handler; the reporter runs right after each TIM2 handler that wakes it", async () => {
    const t = await page.evaluate(() => {
      const tl = (window as any).playground.timeline;
      const lane = (label: string) => tl.lanes.findIndex((l: any) => l.label === label);
      const runs = (i: number) => {
        const d = tl.data[i], out: number[][] = [];
        for (let k = 0; k < d.n; k++) if (d.states[k] === 2) out.push([d.starts[k], d.ends[k]]);
        return out;
      };
      const arrows: number[][] = [];
      for (let k = 0; k < tl.arrowCount; k++) arrows.push(Array.from(tl.arrows.subarray(k * 4, k * 4 + 4)));
      const tim2 = lane("IRQ28"), reporter = lane("reporter");
      return { labels: tl.lanes.map((l: any) => l.label), tim2: runs(tim2), reporter: runs(reporter), arrows, tim2Lane: tim2, reporterLane: reporter };
    });
    expect(t.labels).toEqual(expect.arrayContaining(["idle", "main", "reporter", "SysTick", "PendSV", "IRQ28"]));
    expect(new Set(t.labels).size).toBe(t.labels.length);
    expect(t.tim2.length).toBeGreaterThanOrEqual(30);
    for (const [k, [start, end]] of t.tim2.entries()) {
      if (k > 0) expect(start - t.tim2[k - 1][0]).toBe(TIM2_PERIOD);
      // The handler's give wakes the reporter: an arrow from the IRQ28 lane to the reporter's, inside the handler ...
      const wake = t.arrows.find(([kind, cycle, from, to]) => kind === 1 && from === t.tim2Lane && to === t.reporterLane && cycle >= start && cycle <= end);
      expect(wake, `wake arrow in TIM2 run ${k}`).toBeDefined();
      // ... and the reporter is switched in after the handler, before anything else happens.
      const run = t.reporter.find(([s]) => s >= end);
      expect(run).toBeDefined();
      expect(run![0] - end).toBeLessThan(1_000);
    }
  });

  it("downloads the run as Perfetto JSON and as VCD", async () => {
    const fetch = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
      return { name: download.suggestedFilename(), text: fs.readFileSync((await download.path())!, "utf8") };
    };
    const perfetto = await fetch("#perfetto");
    expect(perfetto.name).toBe("hoprt-trace.json");
    const trace = JSON.parse(perfetto.text) as { traceEvents: Array<{ ph: string; name: string; args?: { name?: string } }> };
    const threads = trace.traceEvents.filter((e) => e.name === "thread_name").map((e) => e.args?.name);
    expect(threads).toEqual(expect.arrayContaining(["reporter", "IRQ28"]));
    expect(trace.traceEvents.filter((e) => e.ph === "X" && e.name === "IRQ28").length).toBeGreaterThanOrEqual(30);
    const vcd = await fetch("#vcd");
    expect(vcd.name).toBe("hoprt.vcd");
    expect(vcd.text).toMatch(/\$var wire 1 \S+ PD12 \$end/);
  });

  it("keeps the page responsive while the machine runs at full speed", async () => {
    await page.evaluate(() => {
      const w = window as any;
      w.longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) w.longTasks.push(e.duration); }).observe({ type: "longtask" });
    });
    const before = await state<{ raf: number; cycles: number }>(page, "({ raf: playground.rafCount, cycles: playground.cycles })");
    await page.click("#run");
    await page.waitForTimeout(2_000);
    await page.click("#pause");
    const after = await state<{ raf: number; cycles: number; longTasks: number[]; rate: any }>(page,
      "({ raf: playground.rafCount, cycles: playground.cycles, longTasks, rate: playground.rate })");
    console.log(`2 s at full speed: ${after.raf - before.raf} animation frames, ${((after.cycles - before.cycles) / 168e6).toFixed(1)} virtual s, long tasks ${JSON.stringify(after.longTasks)}`);
    expect(after.cycles - before.cycles).toBeGreaterThan(168_000_000);
    // rAF kept firing (about 120 in 2 s): the machine's work is off the page's thread.
    expect(after.raf - before.raf).toBeGreaterThan(40);
    // The Performance API's long tasks (50 ms or more), logged above: none
    // (issue 12's target). The page's own work per animation frame stays well
    // under it: text views at most ten times a second and never in the frame
    // that draws the timeline, no layout asked for from script.
    expect(after.longTasks).toEqual([]);
  });

  it("shows a compile error at its line", async () => {
    const source = [
      'import { debug } from "hoprt";',
      "",
      "export function main(): void {",
      '  debug.print("before");',
      "  debug.print(notDeclared);",
      "}",
      "",
    ].join("\n");
    await page.evaluate((s) => (window as any).playground.setSource(s), source);
    await page.click("#build");
    await page.waitForSelector("#diagnostics li", { timeout: 60_000 });
    const items = await page.locator("#diagnostics li").allTextContents();
    expect(items[0]).toMatch(/^line 5:15 error TS2304: Cannot find name 'notDeclared'/);
    const marked = await page.locator(".cm-line").evaluateAll((lines) => lines.flatMap((l, i) => (l.classList.contains("cm-error-line") ? [i + 1] : [])));
    expect(marked).toEqual([5]);
    await expect(page.locator("#state").getAttribute("class")).resolves.toBe("error");
  });

  it("presses the user button with the mouse: the button example's task reports each press", async () => {
    await buildExample(page, "button");
    await runUntil(page, "playground.consoleLines.includes('press the user button (PA0)')");
    await page.click("#run");
    for (const n of [1, 2]) {
      await page.hover("#button");
      await page.mouse.down();
      await page.waitForFunction((k) => (window as any).playground.consoleLines.some((l: string) => l.startsWith(`press ${k} at tick`)), n);
      await page.mouse.up();
      // PD15 toggles on each press.
      await page.waitForFunction((on) => document.querySelector("#led-PD15")!.classList.contains("on") === on, n === 1);
    }
    await page.click("#pause");
    const presses = (await state<string[]>(page, "playground.consoleLines")).filter((l) => /^press \d/.test(l));
    expect(presses.map((l) => l.split(" at")[0])).toEqual(["press 1", "press 2"]);
  });

  it("shows the stacklets each task holds, now / peak: a breathing sensor's peak is its deep work, beyond what it holds waiting", async () => {
    await buildExample(page, "breathing");
    await runUntil(page, "playground.consoleLines.includes('sensor 3: reading 0 = 130, done at 16 ms')");
    // The panel shows the latest frame once the machine pauses (while it runs, four times a second).
    const selector = '#tasks tr[data-task="sensor0"] td.stacklets';
    await page.waitForFunction((sel) => /^\d+ \/ ([4-9]|\d\d+)$/.test(document.querySelector(sel)?.textContent ?? ""), selector, { timeout: 10_000 });
    const cell = page.locator(selector);
    await expect(cell.getAttribute("title")).resolves.toMatch(/stacklets .*now \/ peak/);
    const [now, peak] = /^(\d+) \/ (\d+)$/.exec((await cell.textContent())!)!.slice(1).map(Number);
    // Its work() recursion (48 frames) took several stacklets at once; the peak stays.
    expect(peak).toBeGreaterThan(3);
    expect(now).toBeLessThanOrEqual(peak);
    const main = await page.locator('#tasks tr[data-task="monitor"] td.stacklets, #tasks tr[data-task="idle"] td.stacklets').first().textContent();
    expect(main).toMatch(/^\d+ \/ \d+$/);
    await shot("breathing");
  });

  let shared = "";
  let echoed = { uart: "", lines: [] as string[], cycles: 0 };
  it("echoes what is typed into the UART terminal", async () => {
    await buildExample(page, "uart-echo");
    await runUntil(page, "playground.consoleLines.some((l) => l.startsWith('uart-echo'))");
    await page.click("#run");
    await page.fill("#uart-in", "hello HopRT");
    await page.press("#uart-in", "Enter");
    await page.waitForFunction(() => (window as any).playground.uart === "hello HopRT\n");
    await page.fill("#uart-in", "again");
    await page.press("#uart-in", "Enter");
    await page.waitForFunction(() => (window as any).playground.uart === "hello HopRT\nagain\n");
    await page.click("#pause");
    expect(await page.locator("#uart-out").textContent()).toBe("hello HopRT\nagain\n");
    await page.waitForFunction(() => !(window as any).playground.running);
    await page.click("#share");
    await page.waitForFunction(() => location.hash.startsWith("#run="));
    shared = await page.evaluate(() => location.href);
    echoed = await state(page, "({ uart: playground.uart, lines: playground.consoleLines.slice(), cycles: playground.cycles })");
    await shot("uart-echo");
  });

  it("reproduces a run from its share link: same source, same inputs at the same cycles, same output", async () => {
    expect(shared).toMatch(/#run=[A-Za-z0-9_-]+$/);
    const other = await session.context.newPage();
    await other.goto(shared);
    await other.waitForFunction(() => (window as any).playground?.loads >= 1 && !(window as any).playground.running && (window as any).playground.cycles > 0, null, { timeout: 120_000 });
    const replay = await other.evaluate(() => ({ uart: (window as any).playground.uart, lines: (window as any).playground.consoleLines.slice(), cycles: (window as any).playground.cycles, source: (window as any).playground.source }));
    expect(replay.source).toBe(await state<string>(page, "playground.source"));
    // It runs to where the shared run was paused (and stops at the first check point from there).
    expect(replay.cycles).toBeGreaterThanOrEqual(echoed.cycles);
    expect(replay.cycles).toBeLessThan(echoed.cycles + 100);
    expect(replay.uart).toBe(echoed.uart);
    expect(replay.lines).toEqual(echoed.lines);
    await other.close();
    // A damaged link says so, and leaves the page usable.
    const damaged = await open(session, "#run=AAAA");
    await damaged.waitForFunction(() => /share link is damaged/.test(document.querySelector("#state")!.textContent!));
    await damaged.close();
    expect(session.errors).toEqual([]);
  });
});
