/**
 * Trap reports name the source line (issue 11): the build keeps source
 * locations in a `hoprt.sourcemap` custom section (js/compiler/sourcemap.ts)
 * and the host maps the trap's code offsets (the runtime's stack trace) to
 * file:line:column. The code is byte for byte the same without them, so the
 * machine runs exactly the same; a malformed section means no locations,
 * never wrong ones.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { build } from "../../js/compiler/build.js";
import { Machine, locateTrap } from "../../js/host/machine.js";
import { codeSection } from "./support.js";
import { SourceMap, SOURCE_MAP_SECTION, decodeMappings, encodeMappings, readSourceMap, type Segment } from "../../js/host/sourcemap.js";

const ROOT = path.resolve(__dirname, "../..");

// Line numbers matter: the test names them.
const APP = `import { task, debug } from "hoprt";
import { explode } from "./parts/helpers";

let zero: u32 = 0;
function stops(arg: u32): void {
  debug.print("A");
  if (arg == 1) unreachable();
}
function divides(arg: u32): void {
  debug.print("B " + (arg / zero).toString());
}
function reads(arg: u32): void {
  debug.print("C " + load<u32>(0xFFFF_FFF0 + arg).toString());
}
function compares(arg: u32): void {
  const n = memory.compare(0, (<usize>memory.size() << 16) - 4, 64);
  debug.print("D " + n.toString());
}
function helped(arg: u32): void {
  explode(arg);
}
export function main(): void {
  task.build().entry(stops).arg(1).name("stops").spawn();
  task.build().entry(divides).arg(1).name("divides").spawn();
  task.build().entry(reads).arg(4).name("reads").spawn();
  task.build().entry(compares).name("compares").spawn();
  task.build().entry(helped).arg(2).name("helped").spawn();
}
`;

const HELPERS = `import { debug } from "hoprt";
export function explode(arg: u32): void {
  debug.print("E " + arg.toString());
  if (arg > 1) unreachable();
}
`;

/** `wasm` with its hoprt.sourcemap section (the last one) replaced by `payload`. */
function withSection(wasm: Uint8Array, payload: Uint8Array): Uint8Array {
  const tail = new TextEncoder().encode(SOURCE_MAP_SECTION);
  let i = 8, at = -1;
  while (i < wasm.length) {
    let size = 0, shift = 0, j = i + 1;
    for (;;) { const byte = wasm[j++]; size |= (byte & 0x7f) << shift; shift += 7; if (byte < 0x80) break; }
    if (wasm[i] === 0 && wasm[j] === tail.length && new TextDecoder().decode(wasm.subarray(j + 1, j + 1 + tail.length)) === SOURCE_MAP_SECTION) at = i;
    i = j + size;
  }
  expect(at).toBeGreaterThan(0);
  const content = [tail.length, ...tail, ...payload];
  const leb: number[] = [];
  let n = content.length;
  do { let byte = n & 0x7f; n >>>= 7; if (n) byte |= 0x80; leb.push(byte); } while (n);
  return Uint8Array.from([...wasm.subarray(0, at), 0, ...leb, ...content]);
}

let withLines: Uint8Array;
let without: Uint8Array;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-trap-source-"));
  fs.mkdirSync(path.join(dir, "parts"));
  fs.writeFileSync(path.join(dir, "app.ts"), APP);
  fs.writeFileSync(path.join(dir, "parts", "helpers.ts"), HELPERS);
  withLines = (await build({ app: path.join(dir, "app.ts") })).wasm;
  without = (await build({ app: path.join(dir, "app.ts"), sourceLines: false })).wasm;
  fs.writeFileSync(path.join(dir, "app.wasm"), withLines);
}, 240_000); // two builds

const site = (p: { where: string; reason: string; message?: string; source?: unknown }) => [p.where, p.reason, p.message, p.source];

describe("a trap's report names its source line", () => {
  it("the application's file, line and column, for each kind of trap and in each of its files", () => {
    const m = Machine.loadSync(withLines);
    const r = m.runFor("5ms");
    expect(r.reason).toBe("cycles");
    const at = (file: string, line: number, column: number) => ({ file, line, column });
    expect(m.panics().map(site)).toEqual([
      ["task stops", "trap", "unreachable in app/stops at app.ts:7:17", at("app.ts", 7, 17)],
      ["task divides", "trap", "divide by zero in app/divides at app.ts:10:23", at("app.ts", 10, 23)],
      ["task reads", "trap", "memory access out of bounds in app/reads at app.ts:13:22", at("app.ts", 13, 22)],
      // memory.compare is inlined by the compiler: the trapping code is the library's, in the app's function.
      ["task compares", "trap", "memory access out of bounds in app/compares at ~lib/util/memory.ts:285:13", at("~lib/util/memory.ts", 285, 13)],
      ["task helped", "trap", "unreachable in parts/helpers/explode at parts/helpers.ts:4:16", at("parts/helpers.ts", 4, 16)],
    ]);
    expect(r.faults).toEqual(m.panics().map((p) => p.message));
  });

  it("without locations the code is byte for byte the same and the machine runs exactly the same; reports name the function only", () => {
    expect(withLines.length).toBeGreaterThan(without.length);
    expect(Buffer.from(codeSection(withLines)).equals(Buffer.from(codeSection(without)))).toBe(true);
    expect(readSourceMap(new WebAssembly.Module(without))).toBeNull();
    const a = Machine.loadSync(withLines);
    const b = Machine.loadSync(without);
    a.runFor("5ms");
    b.runFor("5ms");
    expect(b.cycles).toBe(a.cycles);
    expect(b.console.lines).toEqual(a.console.lines);
    expect(b.trace.events()).toEqual(a.trace.events());
    expect(b.panics().map((p) => [p.where, p.cycle, p.message, p.source])).toEqual(a.panics().map((p) => [p.where, p.cycle, p.message!.replace(/ at [^ )]+/g, ""), undefined]));
  });

  it("a malformed hoprt.sourcemap section gives no locations, never wrong ones, and the machine runs on", () => {
    const bad = [
      "not json",
      JSON.stringify({ version: 3, sources: ["app.ts"], names: [], mappings: "A!" }),
      JSON.stringify({ version: 3, sources: ["app.ts"], names: [], mappings: "AAAA,ACAA" }), // source index 1 of 1
      JSON.stringify({ version: 3, sources: ["app.ts"], names: [], mappings: "CAAA,DAAA" }), // offsets going back
      JSON.stringify({ version: 3, sources: [7], names: [], mappings: "" }),
      JSON.stringify({ version: 2, sources: [], names: [], mappings: "" }),
    ];
    for (const text of bad) {
      const m = Machine.loadSync(withSection(withLines, new TextEncoder().encode(text)));
      m.runFor("5ms");
      const panics = m.panics();
      expect(panics).toHaveLength(5);
      for (const p of panics) {
        expect(p.source).toBeUndefined();
        expect(p.message).not.toMatch(/ at /);
      }
    }
  });

  it("hoprt run prints the line in the panic report; --no-source-lines builds without, and is refused for a .wasm", () => {
    const hoprt = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, "bin/hoprt.js"), ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, HOPRT_CACHE_DIR: path.join(dir, "cache") } });
    const r = hoprt("run", "app.wasm", "--for", "5ms");
    expect(r.status).toBe(4);
    expect(r.stderr).toContain("hoprt: panic in task stops at cycle");
    expect(r.stderr).toContain(": trap: unreachable in app/stops at app.ts:7:17 (--allow-panics to go on)\n");
    const plain = hoprt("run", "app.ts", "--for", "5ms", "--no-source-lines");
    expect(plain.status).toBe(4);
    expect(plain.stderr).toContain(": trap: unreachable in app/stops (--allow-panics to go on)\n");
    const refused = hoprt("run", "app.wasm", "--no-source-lines");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe("hoprt: --no-source-lines: build options, for an app's .ts (app.wasm is already built)\n");
  });
});

describe("the source map section", () => {
  it("round-trips its mappings and looks up the last segment at or before an offset, none across a no-source mark", () => {
    const segments: Segment[] = [[10, 0, 4, 2], [14, 1, 0, 0], [20, -1, 0, 0], [31, 0, 99, 7]];
    const text = encodeMappings(segments);
    expect(decodeMappings(text, 2)).toEqual(segments);
    const map = SourceMap.parse(new TextEncoder().encode(JSON.stringify({ version: 3, sources: ["a.ts", "b.ts"], names: [], mappings: text })))!;
    expect(map.lookup(9)).toBeUndefined();
    expect(map.lookup(10)).toEqual({ file: "a.ts", line: 5, column: 3 });
    expect(map.lookup(19)).toEqual({ file: "b.ts", line: 1, column: 1 });
    expect(map.lookup(20)).toBeUndefined();
    expect(map.lookup(30)).toBeUndefined();
    expect(map.lookup(1 << 30)).toEqual({ file: "a.ts", line: 100, column: 8 });
  });

  it("locateTrap reads V8's and SpiderMonkey's frames with offsets", () => {
    const map = SourceMap.parse(new TextEncoder().encode(JSON.stringify({
      version: 3, sources: ["~lib/util/memory.ts", "app.ts"], names: [], mappings: encodeMappings([[0x100, 0, 10, 4], [0x200, -1, 0, 0], [0x110d0, 1, 19, 2]]),
    })))!;
    const v8 = new Error("x");
    v8.stack = "RuntimeError: memory access out of bounds\n    at ~lib/util/memory/memcpy (wasm://wasm/0005de4a:wasm-function[12]:0x110)\n    at app/copy (wasm://wasm/0005de4a:wasm-function[195]:0x110de)\n    at ~lib/hoprt/machine/hoprt_run (wasm://wasm/0005de4a:wasm-function[86]:0x4c87)";
    expect(locateTrap(v8, map)).toEqual({
      text: "~lib/util/memory/memcpy at ~lib/util/memory.ts:11:5 (called from app/copy at app.ts:20:3)",
      source: { file: "app.ts", line: 20, column: 3 },
    });
    expect(locateTrap(v8)).toEqual({ text: "~lib/util/memory/memcpy (called from app/copy)", source: undefined });
    const firefox = new Error("x");
    firefox.stack = "app/faulty@wasm://wasm/0005de4a:wasm-function[195]:0x110de\n~lib/hoprt/kernel/task/taskMain@wasm://wasm/0005de4a:wasm-function[160]:0xbd69";
    expect(locateTrap(firefox, map)).toEqual({ text: "app/faulty at app.ts:20:3", source: { file: "app.ts", line: 20, column: 3 } });
  });
});
