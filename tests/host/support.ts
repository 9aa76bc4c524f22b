/**
 * Test support: build small applications into firmware (cached by content,
 * so a suite builds each app once) and load them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { build, type BuildOptions } from "../../js/compiler/build.js";
import { Machine } from "../../js/host/machine.js";
import type { TraceEvent } from "../../js/host/trace.js";

const ROOT = path.resolve(__dirname, "../..");
const CACHE = path.join(ROOT, "build", "test-firmware");

let fingerprint: string | null = null;

/** A hash of everything that shapes a firmware: the package's AssemblyScript and the compiler. */
function toolchainFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(entry.name)) hash.update(p).update(fs.readFileSync(p));
    }
  };
  walk(path.join(ROOT, "assembly"));
  walk(path.join(ROOT, "js", "compiler"));
  fingerprint = hash.digest("hex").slice(0, 16);
  return fingerprint;
}

/** Build `source` (an application exporting main()) into firmware bytes. */
export async function firmware(name: string, source: string, options: Omit<BuildOptions, "app"> = {}): Promise<Uint8Array> {
  const key = createHash("sha256").update(toolchainFingerprint()).update(source).update(JSON.stringify(options)).digest("hex").slice(0, 16);
  const dir = path.join(CACHE, `${name}-${key}`);
  const wasmFile = path.join(dir, "app.wasm");
  if (fs.existsSync(wasmFile)) return new Uint8Array(fs.readFileSync(wasmFile));
  fs.mkdirSync(dir, { recursive: true });
  const appFile = path.join(dir, "app.ts");
  // Suites run in parallel and may build the same app at once: every file
  // appears whole (written aside, then renamed), never half-written.
  const writeWhole = (file: string, data: string | Uint8Array) => {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  };
  writeWhole(appFile, source);
  const result = await build({ app: appFile, ...options });
  writeWhole(wasmFile, result.wasm);
  return result.wasm;
}

/**
 * Build `source` as build/test-firmware/<name>.ts, uncached: for tests that read the build's
 * report (frame sizes, bounds) as well as the firmware.
 */
export async function buildApp(name: string, source: string, options: Omit<BuildOptions, "app"> = {}) {
  fs.mkdirSync("build/test-firmware", { recursive: true });
  const file = path.resolve(`build/test-firmware/${name}.ts`);
  fs.writeFileSync(file, source);
  return build({ app: file, ...options });
}

export async function machine(name: string, source: string, options: Omit<BuildOptions, "app"> = {}): Promise<Machine> {
  return Machine.loadSync(await firmware(name, source, options));
}

export function ofKind(events: TraceEvent[], ...kinds: string[]): TraceEvent[] {
  return events.filter((e) => kinds.includes(e.kind));
}

/** SysTick period at the default 168 MHz and 1 kHz tick. */
export const TICK_CYCLES = 168_000n;
export const SYSTICK_EXCEPTION = 15;
export const PENDSV_EXCEPTION = 14;

/** The payload of a module's code section (id 10). */
export function codeSection(wasm: Uint8Array): Uint8Array {
  let i = 8;
  while (i < wasm.length) {
    const id = wasm[i];
    let size = 0, shift = 0, j = i + 1;
    for (;;) { const byte = wasm[j++]; size |= (byte & 0x7f) << shift; shift += 7; if (byte < 0x80) break; }
    if (id === 10) return wasm.subarray(j, j + size);
    i = j + size;
  }
  throw new Error("no code section");
}

/**
 * A function body (AssemblyScript, of a parameter `i: u32`) with WIDE locals all
 * live at once: a frame larger than a small stacklet holds, for the stacklet
 * tests; wideValue(i) is what it returns.
 */
export const WIDE = 120;
export function wideBody(): string {
  const lines = ["  let v0: u32 = i * 3;"];
  for (let k = 1; k < WIDE; k++) lines.push(`  let v${k}: u32 = (v${k - 1} ^ ${k * 7 + 1}) * ${2 * k + 3};`);
  lines.push(`  return ${Array.from({ length: WIDE }, (_, k) => `v${k}`).join(" + ")};`);
  return lines.join("\n");
}
export function wideValue(i: number): number {
  let v = Math.imul(i, 3) >>> 0, sum = v;
  for (let k = 1; k < WIDE; k++) { v = Math.imul((v ^ (k * 7 + 1)) >>> 0, 2 * k + 3) >>> 0; sum = (sum + v) >>> 0; }
  return sum;
}
