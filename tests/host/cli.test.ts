import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const BIN = path.resolve(__dirname, "../../bin/hoprt.js");

function hoprt(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const APP = `
import { task, time, debug } from "hoprt";
function blink(arg: u32): void {
  for (let i = 0; i < 3; i++) {
    debug.print("blink " + arg.toString() + " #" + i.toString());
    time.sleepMs(100);
  }
}
export function main(): void {
  task.build().entry(blink).arg(1).name("blinker-1").priority(8).spawn();
  task.build().entry(blink).arg(2).name("blinker-2").priority(9).spawn();
}
`;

// An application in a folder outside the repository, with no node_modules.
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-cli-"));
  fs.writeFileSync(path.join(dir, "my-app.ts"), APP);
  fs.writeFileSync(path.join(dir, "broken.ts"), `export function main(): void { let x: i32 = "nope"; }\n`);
  fs.writeFileSync(path.join(dir, "notwasm.wasm"), "definitely not wasm");
  fs.writeFileSync(path.join(dir, "bootfail.ts"), `import { debug } from "hoprt";\nassert(false, "no boot");\nexport function main(): void { debug.print("x"); }\n`);
});

describe("hoprt build / run", () => {
  it("builds an app from any folder and runs it, printing exactly its console lines", () => {
    const built = hoprt(["build", "my-app.ts", "-o", "my-app.wasm"], dir);
    expect(built.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "my-app.wasm"))).toBe(true);
    const run = hoprt(["run", "my-app.wasm", "--for", "500ms", "--trace", "t.json"], dir);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      ["blink 1 #0", "blink 2 #0", "blink 1 #1", "blink 2 #1", "blink 1 #2", "blink 2 #2"].join("\n") + "\n",
    );
    expect(run.stderr).toBe("");
    const trace = JSON.parse(fs.readFileSync(path.join(dir, "t.json"), "utf8"));
    const tracks = trace.traceEvents.filter((e: any) => e.ph === "M" && e.name === "thread_name" && e.pid === 1).map((e: any) => e.args.name);
    expect(tracks).toEqual(expect.arrayContaining(["idle", "main", "blinker-1", "blinker-2"]));
    const runs = trace.traceEvents.filter((e: any) => e.ph === "X" && e.pid === 1);
    expect(runs.length).toBeGreaterThan(6);
    for (const r of runs) expect(r.dur).toBeGreaterThanOrEqual(0);
    // A stack counter track per task: what it holds each time it is switched out.
    const stack = trace.traceEvents.filter((e: any) => e.ph === "C" && e.name === "stack blinker-1");
    expect(stack.length).toBeGreaterThanOrEqual(3);
    for (const c of stack) expect(c.args.bytes).toBeGreaterThan(32); // at least its exception frame
  });

  it("runs a .ts directly and prints the summary to stderr with --stats", () => {
    const run = hoprt(["run", "my-app.ts", "--for", "50ms", "--stats"], dir);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("blink 1 #0\nblink 2 #0\n");
    // 50 ms after the boot code (static initialisation and kernel start, a few thousand cycles).
    const ran = /ran (\d+) cycles \((\d+\.\d+) ms at 168 MHz\)/.exec(run.stderr)!;
    const boot = Number(ran[1]) - 8_400_000;
    expect(boot > 0 && boot < 20_000).toBe(true);
    expect(ran[2]).toBe(((8_400_000 + boot) / 168_000).toFixed(3));
    expect(run.stderr).toMatch(/id\s+name\s+prio\s+cpu%\s+switches\s+stack now\/peak\/size\s+save peak\s+stacklets\s+state/);
    // main returned after spawning: an ended task, still in the summary, with the peaks its delete event carried.
    expect(run.stderr).toMatch(/^\s*1\s+main\s+\S+\s+\d+\.\d+\s+\d+\s+\d+\/[1-9]\d*\/\d+\s+\d+\s+\d+\/\d+\s+exited$/m);
    expect(run.stderr).toMatch(/^stacklets \d+ live \(\d+ bytes allocated, peak \d+\), \d+ of them pooled \(\d+ bytes\), \d+ allocated since boot$/m);
    expect(run.stderr).toMatch(/\bblinker-1\s+8\b/);
    expect(run.stderr).toMatch(/\bidle\s+15\b/);
  });

  it("reports bad input with a message and a non-zero status", () => {
    const missing = hoprt(["run", "nothere.wasm"], dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no such file: nothere\.wasm/);
    const notWasm = hoprt(["run", "notwasm.wasm"], dir);
    expect(notWasm.status).toBe(1);
    expect(notWasm.stderr).toMatch(/not a WebAssembly module/);
    const badTime = hoprt(["run", "my-app.wasm", "--for", "soon"], dir);
    expect(badTime.status).toBe(1);
    expect(badTime.stderr).toMatch(/run length "soon" is not a number with a unit/);
    const broken = hoprt(["build", "broken.ts"], dir);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/broken\.ts did not compile/);
    expect(broken.stderr).toMatch(/TS2322/);
    const badPool = hoprt(["run", "my-app.wasm", "--stacklet-pool", "2"], dir);
    expect(badPool.status).toBe(1);
    expect(badPool.stderr).toMatch(/--stacklet-pool: build options, for an app's \.ts/);
    const poolTooBig = hoprt(["build", "broken.ts", "--stacklet-pool", "17"], dir);
    expect(poolTooBig.status).toBe(1);
    expect(poolTooBig.stderr).toMatch(/--stacklet-pool: 17 is out of range \(0\.\.16\)/);
    const unknown = hoprt(["frobnicate"], dir);
    expect(unknown.status).toBe(1);
  });

  it("exits 5 (the machine stopped) when the firmware cannot boot", () => {
    const run = hoprt(["run", "bootfail.ts", "--for", "1ms"], dir);
    expect(run.status).toBe(5);
    expect(run.stderr).toMatch(/failed while booting: no boot/);
  });
});
