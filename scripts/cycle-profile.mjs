#!/usr/bin/env node
/**
 * Where the modelled cycles of a path go, per function: a development tool
 * for kernel hot paths (ISR -> task, give -> take, a context switch).
 *
 *   node scripts/cycle-profile.mjs <app.ts> <soft|mask> <from> <to> [run] [warm-up]
 *     from, to: a trace kind, optionally with its `a` (irq_raise:21, user_mark:2)
 *     run:      virtual time profiled after the warm-up (default 2ms; warm-up 1ms)
 *
 *   node scripts/cycle-profile.mjs bench/apps/isrsem.ts soft irq_raise:21 user_mark:2
 *
 * Every window opens at a `from` event and closes at the next `to` event. The
 * firmware is built as usual (npx tsc -p . first), then rewritten with wabt
 * (wasm2wat / wat2wasm: Debian's wabt package): every store of the cycle
 * budget in an instrumented or atomic function also adds what it charged to
 * that function's counter while a window is open (the trace writer opens and
 * closes it, at the events' own cycles). Charges are the build's own, so the
 * sum per window is the window's length less the hardware's share (exception
 * entry, exit, tail-chaining), which is printed apart. Inlined functions count
 * in their caller. The rewritten firmware is for measuring only.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { build } = await import(path.join(root, "dist/js/compiler/build.js"));
const { classify } = await import(path.join(root, "dist/js/compiler/rule.js"));
const { Machine } = await import(path.join(root, "dist/js/host/machine.js"));
const { EVENT_KINDS } = await import(path.join(root, "dist/js/host/trace.js"));

const [app, lock, fromSpec, toSpec, run = "2ms", warm = "1ms"] = process.argv.slice(2);
if (!app || !["soft", "mask"].includes(lock) || !fromSpec || !toSpec) {
  process.stderr.write("usage: node scripts/cycle-profile.mjs <app.ts> <soft|mask> <from kind[:a]> <to kind[:a]> [run] [warm-up]\n");
  process.exit(2);
}
function spec(text) {
  const [name, a] = text.split(":");
  const kind = /^\d+$/.test(name) ? Number(name) : EVENT_KINDS.indexOf(name);
  if (kind <= 0) throw new Error(`cycle-profile: no trace kind ${name}`);
  return { kind, a: a === undefined ? null : Number(a) };
}
const from = spec(fromSpec), to = spec(toSpec);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-profile-"));
try {
  const built = await build({ app, kernelLock: lock });
  fs.writeFileSync(path.join(dir, "in.wasm"), built.wasm);
  execFileSync("wasm2wat", [path.join(dir, "in.wasm"), "-o", path.join(dir, "in.wat")]);
  const lines = fs.readFileSync(path.join(dir, "in.wat"), "utf8").split("\n");
  const BUDGET = "$~lib/hoprt/mcu/clock/budget";
  const out = [];
  const names = [];
  let counter = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const func = /^ {2}\(func \$(\S+)/.exec(line);
    if (func) {
      out.push(line);
      counter = -1;
      const locals = () => { while (lines[i + 1].startsWith("    (local")) out.push(lines[++i]); };
      if (func[1] === "~lib/hoprt/probe/trace/emitAt") {
        // emitAt(cycle, kind, context, a, ...): close a window at `to`, open one at `from`.
        locals();
        const is = (s) => `local.get 1 i32.const ${s.kind} i32.eq ` + (s.a === null ? "" : `local.get 3 i32.const ${s.a} i32.eq i32.and `);
        out.push(`    ${is(to)} global.get $__on i32.and if global.get $__total local.get 0 global.get $__t0 i64.sub i64.add global.set $__total global.get $__windows i32.const 1 i32.add global.set $__windows i32.const 0 global.set $__on end`);
        out.push(`    ${is(from)} global.get $__on i32.eqz i32.and if i32.const 1 global.set $__on local.get 0 global.set $__t0 end`);
      } else if (classify(func[1]) !== "hardware") {
        counter = names.length;
        names.push(func[1]);
        locals();
        out.push("    (local $__was i32)");
      }
      continue;
    }
    if (counter >= 0 && line.trim() === `global.set ${BUDGET}`) {
      const indent = line.slice(0, line.indexOf("g"));
      out.push(`${indent}local.set $__was global.get $__p${counter} global.get ${BUDGET} local.get $__was i32.sub global.get $__on i32.mul i64.extend_i32_s i64.add global.set $__p${counter} local.get $__was global.set ${BUDGET}`);
      continue;
    }
    out.push(line);
  }
  let last = out.length - 1;
  while (out[last].trim() === "") last--;
  out[last] = out[last].replace(/\)$/, "");
  out.push(`  (global $__on (mut i32) (i32.const 0)) (global $__t0 (mut i64) (i64.const 0)) (global $__total (mut i64) (i64.const 0)) (global $__windows (mut i32) (i32.const 0))`);
  out.push(`  (export "__on" (global $__on)) (export "__total" (global $__total)) (export "__windows" (global $__windows))`);
  for (let j = 0; j < names.length; j++) out.push(`  (global $__p${j} (mut i64) (i64.const 0)) (export "__p${j}" (global $__p${j}))`);
  out.push(")");
  fs.writeFileSync(path.join(dir, "out.wat"), out.join("\n"));
  execFileSync("wat2wasm", [path.join(dir, "out.wat"), "-o", path.join(dir, "out.wasm")]);

  const m = Machine.loadSync(fs.readFileSync(path.join(dir, "out.wasm")));
  const ex = m.exports;
  m.runFor(warm);
  ex.__on.value = 0; ex.__total.value = 0n; ex.__windows.value = 0;
  for (let j = 0; j < names.length; j++) ex[`__p${j}`].value = 0n;
  m.runFor(run);
  const windows = ex.__windows.value;
  if (windows === 0) throw new Error(`cycle-profile: no ${fromSpec} .. ${toSpec} window in ${run}`);
  const rows = [];
  let sum = 0;
  for (let j = 0; j < names.length; j++) {
    const v = Number(ex[`__p${j}`].value);
    if (v !== 0) { rows.push([names[j], v / windows]); sum += v; }
  }
  rows.sort((x, y) => y[1] - x[1]);
  const total = Number(ex.__total.value);
  console.log(`${windows} windows, ${(total / windows).toFixed(1)} cycles each: instrumented ${(sum / windows).toFixed(1)}, hardware ${((total - sum) / windows).toFixed(1)} (exception entry, exit, tail-chaining)`);
  for (const [name, v] of rows) console.log(`${v.toFixed(1).padStart(9)}  ${name}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
