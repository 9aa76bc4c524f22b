/**
 * hoprt run as a CI tool: one test per option and exit code (js/cli/exit.ts).
 */
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "bin/hoprt.js");

function hoprt(args: string[], cwd: string, input = "") {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const APP = `
import { task, time, debug } from "hoprt";
function worker(arg: u32): void {
  for (let i = 0; i < 5; i++) { debug.print("step " + i.toString()); time.sleepMs(10); }
  debug.print("done");
}
export function main(): void { task.build().entry(worker).name("worker").spawn(); }
`;

const PANICS = `
import { task, time, debug } from "hoprt";
function bad(arg: u32): void { time.sleepMs(5); assert(false, "sensor offline"); }
function good(arg: u32): void { time.sleepMs(20); debug.print("still here"); }
export function main(): void {
  task.build().entry(bad).name("bad").spawn();
  task.build().entry(good).name("good").spawn();
  task.build().entry(good).priority(20).spawn(); // refused: ERR_BAD_PRIORITY
}
`;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-ci-"));
  fs.writeFileSync(path.join(dir, "app.ts"), APP);
  fs.writeFileSync(path.join(dir, "panics.ts"), PANICS);
  expect(hoprt(["build", "app.ts", "-o", "app.wasm"], dir).status).toBe(0);
  expect(hoprt(["build", "panics.ts", "-o", "panics.wasm"], dir).status).toBe(0);
  expect(hoprt(["build", path.join(ROOT, "examples/button/app.ts"), "-o", "button.wasm"], dir).status).toBe(0);
}, 300_000); // three builds

describe("hoprt run: CI conditions and exit codes", () => {
  it("--version prints the package version", () => {
    const r = hoprt(["--version"], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version + "\n");
  });

  it("--expect-text passes as soon as every text appeared (exit 0), and stops the run there", () => {
    const r = hoprt(["run", "app.wasm", "--for", "10s", "--expect-text", "step 1", "--expect-text", "step 2", "--stats"], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("step 0\nstep 1\nstep 2\n");
    // Stopped within the 10 ms slice after "step 2" (at 20 ms), not at 10 s.
    const ran = Number(/ran (\d+) cycles/.exec(r.stderr)![1]);
    expect(ran).toBeLessThan(168_000 * 31);
  });

  it("--expect-text not seen by the end of --for: exit 2, naming the text", () => {
    const r = hoprt(["run", "app.wasm", "--for", "15ms", "--expect-text", "step 1", "--expect-text", "done"], dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("step 0\nstep 1\n");
    expect(r.stderr).toBe('hoprt: expected text not seen in 15ms: "done"\n');
  });

  it("--fail-text: exit 3 as soon as it appears", () => {
    const r = hoprt(["run", "app.wasm", "--for", "1s", "--fail-text", "step 3"], dir);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("step 0\nstep 1\nstep 2\nstep 3\n");
    expect(r.stderr).toBe('hoprt: --fail-text "step 3" appeared: "step 3"\n');
  });

  it("a panic: exit 4 at once; --allow-panics runs on (exit 0) and --stats lists the panicked and ended tasks", () => {
    const r = hoprt(["run", "panics.wasm", "--for", "50ms"], dir);
    expect(r.status).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^hoprt: panic in task bad at cycle \d+: abort: sensor offline \(.*panics\.ts:\d+\)\nhoprt: a panic in task bad at cycle \d+: abort: sensor offline .*\(--allow-panics to go on\)\n$/);
    const allowed = hoprt(["run", "panics.wasm", "--for", "50ms", "--allow-panics", "--stats"], dir);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toBe("still here\n");
    expect(allowed.stderr).toMatch(/\bbad\s+.*\bpanicked\n/);
    expect(allowed.stderr).toMatch(/\bgood\s+.*\bexited\n/);
    expect(allowed.stderr).toMatch(/\bmain\s+.*\bexited\n/);
    expect(allowed.stderr).toMatch(/\bidle\s+15\b.*\balive\n/);
    expect(allowed.stderr).toMatch(/^panics: 1$/m);
    // Error codes by name, never as unsigned numbers.
    expect(allowed.stderr).toMatch(/^kernel calls refused: ERR_BAD_PRIORITY \(-1\) x1$/m);
  });

  it("output files are checked before the run: exit 1 at once", () => {
    const r = hoprt(["run", "app.wasm", "--for", "1s", "--trace", path.join(dir, "no", "such", "dir", "t.json")], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^hoprt: --trace: cannot write .*t\.json: ENOENT\n$/);
    const vcd = hoprt(["run", "app.wasm", "--vcd", dir], dir);
    expect(vcd.status).toBe(1);
    expect(vcd.stderr).toMatch(/--vcd: cannot write .*: EISDIR/);
  });

  it("build options: --sram, --tick-hz (refused at boot when SysTick cannot make it), and refused for a .wasm", () => {
    const small = hoprt(["run", "app.ts", "--for", "25ms", "--sram", "64K", "--tick-hz", "100", "--stats"], dir);
    expect(small.status).toBe(0);
    expect(small.stderr).toMatch(/\(SRAM 65536\)/);
    // 10 ms sleeps at a 100 Hz tick: one tick each, woken on the tick.
    expect(small.stdout).toBe("step 0\nstep 1\nstep 2\n");
    const bad = hoprt(["run", "app.ts", "--for", "5ms", "--tick-hz", "5"], dir);
    expect(bad.status).toBe(5);
    expect(bad.stderr).toMatch(/configure: tickHz 5 is out of range: SysTick at 168000000 Hz ticks at 11\.\.168000 Hz/);
    const built = hoprt(["run", "app.wasm", "--sram", "64K"], dir);
    expect(built.status).toBe(1);
    expect(built.stderr).toBe("hoprt: --sram: build options, for an app's .ts (app.wasm is already built)\n");
    expect(hoprt(["run", "app.ts", "--sram", "lots"], dir).stderr).toMatch(/--sram: "lots" is not a size/);
    expect(hoprt(["run", "app.ts", "--max-tasks", "1"], dir).stderr).toMatch(/--max-tasks: 1 is out of range \(2\.\.4096\)/);
  }, 300_000); // two builds

  it("--ctf writes a CTF folder (metadata + stream) with Zephyr's event names", () => {
    const out = path.join(dir, "ctf-out");
    const r = hoprt(["run", "app.wasm", "--for", "30ms", "--ctf", out], dir);
    expect(r.status).toBe(0);
    const metadata = fs.readFileSync(path.join(out, "metadata"), "utf8");
    expect(metadata.startsWith("/* CTF 1.8 */")).toBe(true);
    expect(metadata).toContain('name = "thread_switched_in"');
    const stream = fs.readFileSync(path.join(out, "stream"));
    expect(stream.readUInt32LE(0)).toBe(0xc1fc1fc1);
    expect(stream.length).toBeGreaterThan(200);
    expect(stream.includes(Buffer.from("worker\0"))).toBe(true);
  });

  it("--rt paces virtual time to the wall clock", () => {
    const t0 = Date.now();
    const r = hoprt(["run", "app.wasm", "--for", "300ms", "--rt", "2"], dir);
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(hoprt(["run", "app.wasm", "--rt", "fast"], dir).stderr).toMatch(/--rt: "fast" is not a speed factor/);
  });

  it("bad --for values are refused with exit 1", () => {
    expect(hoprt(["run", "app.wasm", "--for", "99999999999999999999999"], dir).stderr).toMatch(/more than the most one run may last/);
    expect(hoprt(["run", "app.wasm", "--for", "99999999999999999999999"], dir).status).toBe(1);
  });
});

describe("hoprt run --scenario", () => {
  it("presses a button, raises an IRQ, types UART bytes and checks console text and pin levels in time (exit 0)", () => {
    const file = path.join(dir, "button.yaml");
    fs.writeFileSync(file, [
      "name: the button toggles the blue LED",
      "steps:",
      "  - at: 10ms",
      "    press: PA0",
      "  - at: 11ms",
      "    release: PA0",
      "  - by: 12ms",
      '    expect-text: "press 1"',
      "  - at: 12ms",
      "    expect-pin: { pin: PD15, level: 1 }",
      "  - at: 20ms",
      "    irq: 6",
      "  - by: 21ms",
      '    expect-text: "press 2"',
      "  - at: 22ms",
      "    expect-pin: { pin: PD15, level: 0 }",
      "",
    ].join("\n"));
    const r = hoprt(["run", "button.wasm", "--for", "30ms", "--scenario", file], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^press the user button \(PA0\)\npress 1 at tick 10\npress 2 at tick 20\n$/);
  });

  it("a pin at the wrong level or text not there in time: exit 2 naming the step", () => {
    const file = path.join(dir, "late.yaml");
    fs.writeFileSync(file, "steps:\n  - at: 10ms\n    expect-pin: { pin: PD15, level: 1 }\n");
    const r = hoprt(["run", "button.wasm", "--for", "30ms", "--scenario", file], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hoprt: scenario step 1: PD15 was 0 at cycle \d+, expected 1\n$/);
    fs.writeFileSync(file, "steps:\n  - by: 5ms\n    expect-text: never\n");
    const t = hoprt(["run", "button.wasm", "--for", "30ms", "--scenario", file], dir);
    expect(t.status).toBe(2);
    expect(t.stderr).toBe('hoprt: scenario step 1: "never" did not appear by 5ms\n');
  });

  it("UART bytes at a time reach the firmware", () => {
    const file = path.join(dir, "uart.yaml");
    fs.writeFileSync(file, 'steps:\n  - at: 5ms\n    uart: { port: 2, text: "hi\\n" }\n');
    const r = hoprt(["run", path.join(ROOT, "examples/uart-echo/app.ts"), "--for", "20ms", "--uart", "2", "--scenario", file], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("hi\n");
  });

  it("a bad scenario is refused before the run with exit 1, naming the step and field", () => {
    const file = path.join(dir, "bad.yaml");
    const cases: Array<[string, RegExp]> = [
      ["steps:\n  - at: 5ms\n    press: PZ9\n", /bad\.yaml: step 1: gpio: "PZ9": port Z does not exist/],
      ["steps:\n  - at: 5ms\n    irq: 99\n", /step 1: irq must be an IRQ line 0\.\.81, got 99/],
      ["steps:\n  - at: soon\n    irq: 3\n", /run length "soon" is not a number with a unit/],
      ["steps:\n  - at: 5ms\n    press: PA0\n    irq: 3\n", /step 1: needs exactly one action/],
      ["steps:\n  - at: 5ms\n    jump: PA0\n", /step 1: unknown field jump/],
      ["steps:\n  - press: PA0\n", /step 1: press needs "at"/],
      ["nope: [", /not valid YAML/],
      ["steps:\n  - by: 5s\n    expect-text: later\n", /bad\.yaml: step 1 \(at 5000ms\) is after the end of the run \(--for 1s\)/],
    ];
    for (const [text, message] of cases) {
      fs.writeFileSync(file, text);
      const r = hoprt(["run", "app.wasm", "--scenario", file], dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
    }
    expect(hoprt(["run", "app.wasm", "--scenario", "missing.yaml"], dir).stderr).toBe("hoprt: --scenario: no such file: missing.yaml\n");
  });
});
