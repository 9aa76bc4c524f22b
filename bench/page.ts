/**
 * The playground's in-page build (bench group `pageBuild`): Debian's
 * Chromium (headless, through playwright-core) opens the page served
 * locally, as tests/browser does, and builds blinky in the compiler worker
 * as a user would (choose the example, press Build), then compiles it in
 * the worker (the page's freshBuilds switch), then an edited blinky.
 *
 *   compilerLoadMs    page opened -> the compiler worker has loaded asc, Binaryen and the sources
 *   blinkyMs          Build of the example as shipped (Build pressed -> firmware, as the
 *                     worker times it): the page ships the examples' firmware prebuilt
 *   blinkyCompileMs   blinky compiled in the page: the worker's first compile (a cold compiler)
 *   blinkyEditedMs    an edited blinky: the worker's second compile (a warm compiler)
 *   demoRunMs         examples/demo (prebuilt) run at full speed: Run pressed -> the page
 *                     shows 2 s of virtual time (as the page counts it, at an animation frame)
 *   demoLongestTaskMs the longest main-thread task meanwhile (Performance API long tasks,
 *                     50 ms or more; 0: none)
 *
 * The group runs `npm run build:web` first, so the page measured is built
 * from this checkout. Needs Chromium ($HOPRT_CHROMIUM, default
 * /usr/bin/chromium): without it the group fails, saying so.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { chromium } from "playwright-core";

/** One fresh browser profile and page per run: each measures a cold worker. */
export async function pageBuild(root: string, repeats: number): Promise<Record<string, number>> {
  const executablePath = process.env.HOPRT_CHROMIUM ?? "/usr/bin/chromium";
  if (!fs.existsSync(executablePath)) throw new Error(`bench pageBuild: no Chromium at ${executablePath} (set HOPRT_CHROMIUM)`);
  const web = spawnSync("npm", ["run", "build:web"], { cwd: root, encoding: "utf8" });
  if (web.status !== 0) throw new Error(`bench pageBuild: npm run build:web failed:\n${web.stdout}\n${web.stderr}`);
  const { serve } = (await import(path.join(root, "web", "serve.mjs"))) as { serve(port: number): Promise<{ server: { close(): void }; url: string }> };
  const { server, url } = await serve(0);
  const load: number[] = [];
  const first: number[] = [];
  const compile: number[] = [];
  const edited: number[] = [];
  const demo: number[] = [];
  const longest: number[] = [];
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-bench-chromium-"));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath, headless: true,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      });
      try {
        const page = await context.newPage();
        await page.goto(url);
        await page.waitForFunction(() => (window as any).playground?.compilerReady === true, null, { timeout: 120_000 });
        load.push(await page.evaluate(() => (window as any).playground.timings.compilerLoadMs as number));
        const build = async (fresh: boolean, compiled: boolean): Promise<number> => {
          const loads = await page.evaluate(() => (window as any).playground.loads as number);
          await page.evaluate((on) => { (window as any).playground.freshBuilds = on; }, fresh);
          await page.click("#build");
          await page.waitForFunction((before) => (window as any).playground.loads > before || document.querySelector("#diagnostics li") !== null, loads, { timeout: 300_000 });
          if ((await page.locator("#diagnostics li").count()) > 0) throw new Error(`bench pageBuild: the build failed in the page: ${await page.locator("#diagnostics").innerText()}`);
          const timings = await page.evaluate(() => (window as any).playground.timings as { buildMs: number; compiled: boolean });
          if (timings.compiled !== compiled) throw new Error(`bench pageBuild: the worker ${timings.compiled ? "compiled" : "did not compile"} (expected the other)`);
          return timings.buildMs;
        };
        await page.selectOption("#example", "blinky");
        first.push(await build(false, false));
        compile.push(await build(true, true));
        const source = fs.readFileSync(path.join(root, "examples", "blinky", "app.ts"), "utf8");
        await page.evaluate((s) => (window as any).playground.setSource(s), source.replace("const RELOAD: u32 = 2499;", "const RELOAD: u32 = 4999;"));
        edited.push(await build(false, true));
        await page.selectOption("#example", "demo");
        await build(false, false);
        const run = await page.evaluate(async () => {
          const w = window as any;
          const tasks: number[] = [];
          new PerformanceObserver((list) => { for (const e of list.getEntries()) tasks.push(e.duration); }).observe({ type: "longtask" });
          const target = w.playground.cycles + 2 * 168_000_000;
          const start = performance.now();
          (document.querySelector("#run") as HTMLButtonElement).click();
          const ms = await new Promise<number>((resolve) => {
            const frame = () => (w.playground.cycles >= target ? resolve(performance.now() - start) : requestAnimationFrame(frame));
            requestAnimationFrame(frame);
          });
          (document.querySelector("#pause") as HTMLButtonElement).click();
          return { ms, longest: Math.max(0, ...tasks) };
        });
        demo.push(run.ms);
        longest.push(run.longest);
      } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
      }
    }
  } finally {
    server.close();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return {
    compilerLoadMs: median(load),
    blinkyMs: median(first), blinkyBestMs: Math.min(...first),
    blinkyCompileMs: median(compile), blinkyCompileBestMs: Math.min(...compile),
    blinkyEditedMs: median(edited), blinkyEditedBestMs: Math.min(...edited),
    demoRunMs: median(demo), demoRunBestMs: Math.min(...demo), demoLongestTaskMs: Math.max(...longest),
  };
}
