/**
 * What the faster build relies on (js/compiler/transform.ts, engine.ts):
 *  - the pipeline's own pass list for the cost optimization gives the
 *    firmware Binaryen's -O3 gives, byte for byte (it only leaves out the
 *    Stack IR passes, whose work the instrumentation discards; both built
 *    without the inlining pins, which -O3 has not): a Binaryen whose -O3
 *    differs would change modelled cycles without this failing;
 *  - Asyncify instruments a function that suspends although it is reached
 *    only through the function table (an adversary's case: no direct call
 *    names it, and a pass that ignored indirect calls would still build);
 *  - the CLI's one-build V8 setting keeps Binaryen from being recompiled by
 *    V8's optimizing tier during the build, and is undone after it, so the
 *    firmware the CLI runs is still tiered up.
 */
import { describe, it, expect, beforeAll } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/machine.js";

const ROOT = path.resolve(__dirname, "../..");

const STEPS = 4;
const SPIN_TRIPS = 60000;

// Two tasks at one priority with 1-tick timeslices call sleeper (it blocks) and
// spinner (a loop preempted many times over) only through `steps`.
const INDIRECT_APP = `
import { task, time, debug } from "hoprt";

let lastSpinner: i32 = -1;
let resumedAfterOther: u32 = 0;

function sleeper(n: u32): u32 {
  const before = n * 3;
  time.sleepMs(2);
  return before + 1;
}
function spinner(n: u32): u32 {
  const me = task.current();
  let s: u32 = n;
  for (let i: u32 = 0; i < ${SPIN_TRIPS}; i++) {
    s = s * 1664525 + 1013904223;
    if (lastSpinner != me) {
      if (lastSpinner >= 0) resumedAfterOther++;
      lastSpinner = me;
    }
  }
  return s;
}
const steps: Array<(n: u32) => u32> = [sleeper, spinner];

function worker(arg: u32): void {
  let v: u32 = arg;
  for (let k: u32 = 0; k < ${STEPS}; k++) {
    v = steps[k & 1](v);
    debug.print("task " + arg.toString() + " step " + k.toString() + " " + v.toString());
  }
  debug.print("resumed " + resumedAfterOther.toString());
}

export function main(): void {
  task.build().entry(worker).arg(1).name("one").priority(8).timeslice(1).spawn();
  task.build().entry(worker).arg(2).name("two").priority(8).timeslice(1).spawn();
}
`;

/** What task `arg` prints, computed here: each step's value from the last, as the firmware's u32 arithmetic does. */
function expectedSteps(arg: number): string[] {
  const lines: string[] = [];
  let v = arg >>> 0;
  for (let k = 0; k < STEPS; k++) {
    if ((k & 1) === 0) v = (Math.imul(v, 3) + 1) >>> 0;
    else for (let i = 0; i < SPIN_TRIPS; i++) v = (Math.imul(v, 1664525) + 1013904223) >>> 0;
    lines.push(`task ${arg} step ${k} ${v}`);
  }
  return lines;
}

describe("the build pipeline", () => {
  let wasm: Uint8Array;
  beforeAll(async () => {
    wasm = await firmware("indirect-suspend", INDIRECT_APP);
  });

  it("gives the firmware Binaryen's own -O3 gives, byte for byte", async () => {
    // Both without the pins the pipeline puts around Binaryen's inlining pass (transform.ts pinInlining).
    const listed = await firmware("indirect-suspend", INDIRECT_APP, { inlineCharging: false });
    const reference = await firmware("indirect-suspend", INDIRECT_APP, { referenceOptimize: true, inlineCharging: false });
    expect(reference.length).toBe(listed.length);
    expect(Buffer.from(reference).equals(Buffer.from(listed))).toBe(true);
  });

  it("suspends and resumes a task inside functions reached only through the function table", async () => {
    const m = await Machine.load(wasm);
    m.runFor("40ms");
    const lines = m.console.lines;
    for (const arg of [1, 2]) expect(lines.filter((l) => l.startsWith(`task ${arg} `))).toEqual(expectedSteps(arg));
    // Each task was preempted inside spinner (the other one's spinner ran in between) and carried on where it was.
    const resumed = lines.filter((l) => l.startsWith("resumed ")).map((l) => Number(l.slice(8)));
    expect(resumed.length).toBe(2);
    expect(Math.min(...resumed)).toBeGreaterThan(2);
    // ... and blocked inside sleeper: the other task ran its first step before this one's returned.
    expect(lines.indexOf("task 2 step 0 7")).toBeLessThan(lines.indexOf(expectedSteps(1)[1]));
  });
});

describe("the CLI's V8 setting for one build (engine.ts)", () => {
  it("keeps WebAssembly on the baseline tier during the build and tiers it up again after", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-engine-"));
    try {
      // (func (export "f") (param $n i32) (result i32): a loop of $n multiply-add-xor-shift rounds.
      const loop = "0061736d0100000001060160017f017f03020100070501016600000a28012601017f03402001411f6c20006a210120012001410776732101200041016b22000d000b20010b";
      const engine = pathToFileURL(path.join(ROOT, "dist", "js", "compiler", "engine.js")).href;
      const script = path.join(dir, "tiers.mjs");
      fs.writeFileSync(script, `
        const { withOneBuildEngine } = await import(${JSON.stringify(engine)});
        const bytes = Buffer.from(${JSON.stringify(loop)}, "hex");
        // Whether V8 recompiles a hot function of a module compiled now with its optimizing tier.
        // Each call compiles different bytes (the multiplier): V8 shares the code of identical modules.
        const at = bytes.indexOf(Buffer.from("411f6c", "hex")) + 1; // i32.const 31; i32.mul
        let multiplier = 31;
        async function tiersUp() {
          bytes[at] = multiplier++;
          const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f;
          for (let calls = 1; calls <= 4000; calls++) {
            f(10000);
            if (calls % 100 === 0) {
              await new Promise((resolve) => setTimeout(resolve, 1));
              if (%IsTurboFanFunction(f)) return true;
            }
          }
          return false;
        }
        const before = await tiersUp();
        const during = await withOneBuildEngine(() => tiersUp());
        const after = await tiersUp();
        console.log(JSON.stringify({ before, during, after }));
      `);
      const run = spawnSync(process.execPath, ["--allow-natives-syntax", script], { encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ before: true, during: false, after: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
