/**
 * Launching Debian's Chromium with playwright-core on the playground served
 * locally. A missing browser or bundle fails loudly: a browser test never
 * skips silently.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CHROMIUM = process.env.HOPRT_CHROMIUM ?? "/usr/bin/chromium";

export interface Session {
  context: BrowserContext;
  url: string;
  errors: string[];
  close(): Promise<void>;
}

export async function start(): Promise<Session> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`browser tests need Chromium at ${CHROMIUM} (set HOPRT_CHROMIUM, or \`apt-get install -y chromium\`; .ci/run does it)`);
  }
  if (!fs.existsSync(path.join(ROOT, "web", "dist", "playground.js"))) {
    throw new Error("the playground is not built: run `npm run build:web` (npm test does)");
  }
  const { serve } = (await import(path.join(ROOT, "web", "serve.mjs"))) as { serve(port: number): Promise<{ server: { close(): void }; url: string }> };
  const { server, url } = await serve(0);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const errors: string[] = [];
  context.on("page", (page) => watch(page, errors));
  return {
    context, url, errors,
    async close() {
      await context.close();
      server.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

function watch(page: Page, errors: string[]): void {
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console error: ${m.text()}`); });
}

/** Open the page (optionally at a fragment) and wait for the compiler worker. */
export async function open(session: Session, fragment = ""): Promise<Page> {
  const page = await session.context.newPage();
  await page.goto(session.url + fragment);
  await page.waitForFunction(() => (window as any).playground?.compilerReady === true, null, { timeout: 60_000 });
  return page;
}

/** Choose an example, build it in the worker, wait until the machine has it. */
export async function buildExample(page: Page, name: string): Promise<void> {
  await page.selectOption("#example", name);
  const loads = await state<number>(page, "playground.loads");
  await page.click("#build");
  await page.waitForFunction((before) => (window as any).playground.loads > before || document.querySelector("#diagnostics li") !== null, loads, { timeout: 120_000 });
  const failed = await page.locator("#diagnostics li").count();
  if (failed > 0) throw new Error(`${name} did not build in the page: ${await page.locator("#diagnostics").innerText()}`);
}

/** Run (as fast as possible) until `predicate` holds in the page, then pause. */
export async function runUntil(page: Page, predicate: string, timeout = 30_000): Promise<void> {
  await page.click("#run");
  await page.waitForFunction(predicate, null, { timeout });
  await page.click("#pause");
}

export const state = <T>(page: Page, expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

export const SCREENSHOTS = path.join(ROOT, "build", "screenshots");
