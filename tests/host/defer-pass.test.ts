/**
 * The compiler's cleanup-handler pass (js/compiler/defer.ts) on hand-written
 * wasm: the kernel's deferMark / runDeferred and the app-facing defer are
 * imports that log their calls, so each test sees exactly where the pass
 * put the epilogue (on every way out, with the result intact) and that a
 * function without defer is left alone.
 */
import { describe, it, expect } from "vitest";
import binaryen from "assemblyscript/binaryen";
import { addDeferEpilogues, DEFER_NAMES, NO_INLINE_PREFIX } from "../../js/compiler/defer.js";

const b = binaryen as any;

function compile(funcs: string) {
  const module = b.parseText(`(module
    (import "k" "mark" (func $${DEFER_NAMES.mark} (result i32)))
    (import "k" "run" (func $${DEFER_NAMES.run} (param i32)))
    (import "k" "defer" (func $${DEFER_NAMES.defer} (param i32 i32)))
    ${funcs})`);
  module.setFeatures(b.Features.MVP | b.Features.SignExt | b.Features.MutableGlobals);
  const before = new Map<string, string>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module === "") before.set(info.name, b.emitText(info.body));
  }
  const report = addDeferEpilogues(module);
  expect(module.validate()).toBeTruthy();
  const after = new Map<string, string>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = b.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module === "") after.set(info.name, b.emitText(info.body));
  }
  const exports: string[] = [];
  for (let i = 0; i < module.getNumExports(); i++) exports.push(b.getExportInfo(module.getExportByIndex(i)).name);
  const bytes = module.emitBinary();
  module.dispose();
  const log: string[] = [];
  let top = 100;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    k: {
      mark: () => { log.push(`mark ${top}`); return top; },
      run: (mark: number) => { log.push(`run ${mark}`); top = mark; },
      defer: (fn: number, arg: number) => { top++; log.push(`defer ${arg}`); },
    },
  });
  return { report, before, after, exports, log, call: (name: string, ...args: number[]) => (instance.exports[name] as Function)(...args) };
}

const FUNCS = `
  (func $app/early (export "early") (param $x i32) (result i32)
    (call $${DEFER_NAMES.defer} (i32.const 0) (i32.const 1))
    (if (i32.gt_s (local.get $x) (i32.const 5)) (return (i32.add (local.get $x) (i32.const 1))))
    (call $${DEFER_NAMES.defer} (i32.const 0) (i32.const 2))
    (i32.mul (local.get $x) (i32.const 3)))
  (func $app/void (export "void") (param $x i32)
    (call $${DEFER_NAMES.defer} (i32.const 0) (i32.const 7))
    (if (local.get $x) (return))
    (drop (i32.const 0)))
  (func $app/plain (export "plain") (param $x i32) (result i32)
    (if (local.get $x) (return (i32.const 9)))
    (i32.const 4))
`;

describe("the defer pass (js/compiler/defer.ts)", () => {
  it("runs a function's handlers on every way out, after its result is computed, and keeps the result", () => {
    const c = compile(FUNCS);
    expect(c.call("early", 10)).toBe(11);
    expect(c.log).toEqual(["mark 100", "defer 1", "run 100"]);
    c.log.length = 0;
    expect(c.call("early", 2)).toBe(6);
    expect(c.log).toEqual(["mark 100", "defer 1", "defer 2", "run 100"]);
    c.log.length = 0;
    c.call("void", 1);
    c.call("void", 0);
    expect(c.log).toEqual(["mark 100", "defer 7", "run 100", "mark 100", "defer 7", "run 100"]);
  });

  it("touches only functions that call defer, and exports those so no optimizer inlines them", () => {
    const c = compile(FUNCS);
    expect(c.report.functions).toEqual(["app/early", "app/void"]);
    expect(c.after.get("app/plain")).toBe(c.before.get("app/plain"));
    expect(c.after.get("app/early")).not.toBe(c.before.get("app/early"));
    expect(c.exports.filter((e) => e.startsWith(NO_INLINE_PREFIX)).length).toBe(2);
    expect(c.call("plain", 1)).toBe(9);
    expect(c.log).toEqual([]);
  });

  it("does nothing to a module without unwind.defer", () => {
    const module = b.parseText(`(module (func $app/f (export "f") (result i32) (i32.const 1)))`);
    const text = module.emitText();
    expect(addDeferEpilogues(module).functions).toEqual([]);
    expect(module.emitText()).toBe(text);
    module.dispose();
  });
});
