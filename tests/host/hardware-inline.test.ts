import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { classify, PACKAGE_PREFIX } from "../../js/compiler/rule.js";

// Hardware that AssemblyScript inlines (@inline in mcu/, probe/, machine.ts) must never be called
// from code the transform charges: inlined there, its instructions would cost the caller cycles
// (DESIGN §2: the MCU model and the probe cost nothing but the bus access). Once inlined, the
// build cannot see such a call; the sources can.
const ROOT = path.resolve("assembly");
/**
 * Inline on purpose, and allowed anywhere: reading the cycle counter is a register read (what
 * the bus access costs, DWT_CYCCNT), and refund() is how code the core runs inline (layout.ts
 * finishSave, @inline for the dispatch loop) takes back what it charged.
 */
const ALLOWED = new Set(["clock.now", "clock.left", "clock.refund"]);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);
}
const moduleName = (file: string) => PACKAGE_PREFIX + path.relative(ROOT, file).replace(/\\/g, "/").replace(/\.ts$/, "");
const files = sources(ROOT);
const hardwareFiles = files.filter((f) => classify(moduleName(f) + "/f") === "hardware");
const chargedFiles = files.filter((f) => classify(moduleName(f) + "/f") !== "hardware");

/** Per hardware module: the names it exports as @inline functions. */
const inlineExports = new Map(hardwareFiles.map((f) => {
  const text = fs.readFileSync(f, "utf8");
  return [path.resolve(f).replace(/\.ts$/, ""), [...text.matchAll(/@inline\s+export\s+function\s+(\w+)/g)].map((m) => m[1])];
}));

/** Calls in `file` of inline hardware exports: through `import * as x` and through named imports. */
function inlineHardwareCalls(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/import\s+(?:\*\s+as\s+(\w+)|\{([^}]*)\})\s+from\s+"([^"]+)"/g)) {
    const target = path.resolve(path.dirname(file), m[3]);
    const names = inlineExports.get(target);
    if (!names || names.length === 0) continue;
    if (m[1]) {
      for (const name of names) if (new RegExp(`\\b${m[1]}\\.${name}\\s*\\(`).test(text)) found.push(`${m[1]}.${name}`);
    } else {
      for (const part of m[2]!.split(",")) {
        const [imported, local] = part.trim().split(/\s+as\s+/);
        if (names.includes(imported) && new RegExp(`\\b${local ?? imported}\\s*\\(`).test(text.replace(m[0], ""))) found.push(imported);
      }
    }
  }
  return found;
}

describe("inlined hardware", () => {
  it("is found where it lives: the scan sees the mcu's and the probe's @inline exports", () => {
    const all = [...inlineExports.values()].flat();
    expect(all).toEqual(expect.arrayContaining(["raise", "service", "emitInline", "popDue"]));
    expect(chargedFiles.some((f) => f.endsWith(path.join("kernel", "sched.ts")))).toBe(true);
  });

  it("is never called from charged code (kernel, HAL, runtime, the app API)", () => {
    const offenders = chargedFiles.flatMap((f) => inlineHardwareCalls(f).filter((c) => !ALLOWED.has(c)).map((c) => `${path.relative(ROOT, f)}: ${c}`));
    expect(offenders).toEqual([]);
  });
});
