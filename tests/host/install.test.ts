/**
 * Installing HopRT as a user does, into projects outside the repository:
 * `npm install <folder>` of an unbuilt checkout (a fresh clone: no dist/, no
 * node_modules) and the tarball `npm pack` makes. Each project then builds
 * and runs its own app with `npx hoprt`, and a Node script drives the
 * firmware through `import { Machine } from "hoprt/host"` (types included).
 *
 * No network: the checkout's own dependencies come from its lock file and the
 * npm cache (`npm ci --offline`, what CI's `npm ci` filled); the tarball's
 * project gets a lock file made from the repository's, for exactly the
 * packed package.json's dependencies, so a runtime dependency missing from
 * `dependencies` fails here as it would for a user.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "../..");
const VERSION = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version as string;
const TSC = path.join(REPO, "node_modules", "typescript", "bin", "tsc");

/** A user's shell: none of the npm_* variables `npm test` puts in ours (the cache location excepted). */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) || /^npm_config_cache$/i.test(k)) env[k] = v;
  }
  // Nor node_modules/.bin on PATH: the repository's holds an old npm (a dependency of as-pect's).
  env.PATH = (process.env.PATH ?? "").split(path.delimiter).filter((p) => !p.includes(`node_modules${path.sep}.bin`)).join(path.delimiter);
  return env;
}

function run(command: string, args: string[], cwd: string, timeout = 240_000): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env: userEnv(), encoding: "utf8", timeout });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

// A user's app: its own task, the HAL (an LED) and the console.
const APP = `
import { task, time, debug, gpio, board } from "hoprt";
function blink(arg: u32): void {
  for (let i: u32 = 0; i < 3; i++) {
    gpio.toggle(board.LED_GREEN);
    debug.print("blink " + arg.toString() + " #" + i.toString() + " at " + time.nowMs().toString() + " ms");
    time.sleepMs(100);
  }
}
export function main(): void {
  board.initLeds();
  task.build().entry(blink).arg(5).name("blinker").spawn();
}
`;
const LINES = ["blink 5 #0 at 0 ms", "blink 5 #1 at 100 ms", "blink 5 #2 at 200 ms"];

// A Node script of the user's that drives the firmware through the host API.
const HOST = `
import { readFileSync } from "node:fs";
import { Machine } from "hoprt/host";
const m = await Machine.load(readFileSync("app.wasm"));
const lines = [];
m.console.on("line", (l) => lines.push(l));
const led = m.gpio("PD12");
m.runFor("150ms");
const ledAt150 = led.get();
m.runFor("100ms");
console.log(JSON.stringify({ lines, ledAt150, led: led.get(), tasks: m.tasks().map((t) => t.name) }));
`;

// The same API from TypeScript, type-checked against the installed declarations only.
const TYPED = `
import { Machine, type TraceEvent } from "hoprt/host";
export async function count(bytes: Uint8Array): Promise<number> {
  const m: Machine = await Machine.load(bytes);
  m.runFor("1ms");
  const events: TraceEvent[] = m.trace.events();
  return events.length;
}
// @ts-expect-error: runFor takes cycles or a duration, not an object
export const wrong = (m: Machine) => m.runFor({});
`;

function project(dir: string, dependency: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: path.basename(dir), version: "1.0.0", type: "module", private: true, dependencies: { hoprt: dependency } }, null, 2));
  fs.writeFileSync(path.join(dir, "app.ts"), APP);
  fs.writeFileSync(path.join(dir, "host.mjs"), HOST);
}

/** `npx hoprt run app.ts` in `dir`: exactly the app's lines, an expectation met. */
function runsTheApp(dir: string): void {
  const r = run("npx", ["--offline", "hoprt", "run", "app.ts", "--for", "350ms", "--expect-text", LINES[2]], dir);
  expect(r.stderr).not.toMatch(/error/i);
  expect(ok(r, "npx hoprt run app.ts")).toBe(LINES.join("\n") + "\n");
}

let work: string;
let checkout: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-install-"));
  checkout = path.join(work, "hoprt");
  // A fresh clone: the files git tracks (and new ones it does not ignore), no dist/, no node_modules.
  const files = ok(run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO), "git ls-files").split("\0").filter(Boolean);
  expect(files).toContain("package.json");
  for (const f of files) {
    const from = path.join(REPO, f);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(checkout, f)), { recursive: true });
    fs.copyFileSync(from, path.join(checkout, f));
  }
  expect(fs.existsSync(path.join(checkout, "dist"))).toBe(false);
  expect(fs.existsSync(path.join(checkout, "node_modules"))).toBe(false);
}, 60_000);

describe("install", () => {
  it("an unbuilt checkout's bin says what to do instead of crashing", () => {
    const r = run(process.execPath, [path.join(checkout, "bin", "hoprt.js"), "--version"], work);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("is not built (dist/js/cli/main.js is missing): run `npm install` in");
  });

  it("`npm install <folder>` of an unbuilt checkout builds it, and the user's app builds and runs", () => {
    const app = path.join(work, "folder-app");
    project(app, `file:${checkout}`);
    ok(run("npm", ["install", "--offline", "--no-audit", "--no-fund"], app, 300_000), "npm install <folder>");
    // npm links a folder; prepare installed the checkout's own dependencies and built dist/.
    expect(fs.lstatSync(path.join(app, "node_modules", "hoprt")).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(checkout, "dist", "js", "cli", "main.js"))).toBe(true);
    expect(ok(run("npx", ["--offline", "hoprt", "--version"], app), "hoprt --version").trim()).toBe(VERSION);
    runsTheApp(app);
  }, 400_000);

  it("the `npm pack` tarball installs with its runtime dependencies only, and hoprt, hoprt/host and its types work", () => {
    // The checkout is installed now (the test above): pack it as a user would, prepare included.
    fs.rmSync(path.join(checkout, "dist"), { recursive: true, force: true });
    const packed = ok(run("npm", ["pack", "--json", "--pack-destination", work], checkout), "npm pack");
    const info = JSON.parse(packed.slice(packed.indexOf("[")))[0];
    const tarball = path.join(work, info.filename);
    const listed: string[] = info.files.map((f: { path: string }) => f.path);
    for (const f of ["bin/hoprt.js", "dist/js/cli/main.js", "dist/js/host/index.js", "dist/js/host/index.d.ts", "dist/js/compiler/transform.js", "assembly/index.ts", "index.ts", "testing.ts", "dist/js/as-pect/preset.js", "js/as-pect/asconfig.json", "docs/abi.md", "README.md"]) {
      expect(listed).toContain(f);
    }
    for (const f of listed) expect(f).not.toMatch(/^(tests|scripts|bench|web|node_modules|dist\/bench|\.ci)\//);

    // The project's lock file: the packed package.json's dependencies, closed over the repository's lock.
    const app = path.join(work, "tarball-app");
    const dependency = `file:../${info.filename}`;
    project(app, dependency);
    const manifest = JSON.parse(ok(run("tar", ["-xzOf", tarball, "package/package.json"], work), "tar"));
    const repoLock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")).packages;
    const integrity = "sha512-" + crypto.createHash("sha512").update(fs.readFileSync(tarball)).digest("base64");
    const packages: Record<string, unknown> = {
      "": { name: "tarball-app", version: "1.0.0", dependencies: { hoprt: dependency } },
      "node_modules/hoprt": { version: manifest.version, resolved: dependency, integrity, dependencies: manifest.dependencies, bin: manifest.bin },
    };
    const todo = Object.keys(manifest.dependencies ?? {});
    while (todo.length > 0) {
      const name = todo.pop()!;
      const key = `node_modules/${name}`;
      if (packages[key]) continue;
      expect(repoLock[key], `${name} in the repository's lock`).toBeDefined();
      packages[key] = repoLock[key];
      todo.push(...Object.keys(repoLock[key].dependencies ?? {}));
    }
    fs.writeFileSync(path.join(app, "package-lock.json"), JSON.stringify({ name: "tarball-app", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2));
    ok(run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], app), "npm ci (the tarball)");
    const installed = fs.readdirSync(path.join(app, "node_modules")).filter((n) => !n.startsWith("."));
    expect(installed).toContain("assemblyscript");
    for (const dev of ["typescript", "vitest", "@as-pect", "fast-check", "rollup", "playwright-core", "@types"]) expect(installed).not.toContain(dev);

    // The user's own app: `hoprt build`, their script through hoprt/host, `npx hoprt run app.ts` (from the build cache).
    ok(run("npx", ["--offline", "hoprt", "build", "app.ts", "-o", "app.wasm"], app), "hoprt build");
    const out = JSON.parse(ok(run(process.execPath, ["host.mjs"], app), "node host.mjs"));
    // main ended after spawning; the LED toggled at 0, 100 and 200 ms.
    expect(out).toEqual({ lines: LINES, ledAt150: 0, led: 1, tasks: ["idle", "blinker"] });
    runsTheApp(app);

    // The declarations: a TypeScript user with no @types (the WebAssembly namespace from lib DOM, as in a
    // browser project; Node projects have it from @types/node) gets hoprt/host's types through the exports map.
    fs.writeFileSync(path.join(app, "typed.ts"), TYPED);
    fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, types: [], lib: ["ES2022", "DOM"] }, files: ["typed.ts"] }));
    const typed = run(process.execPath, [TSC, "-p", "."], app);
    expect(typed.stdout + typed.stderr).toBe("");
    expect(typed.status).toBe(0);
  }, 400_000);
});
