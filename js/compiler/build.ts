/**
 * Builds a firmware: the application's source plus the hoprt package,
 * compiled by asc with the HopRT transform into one WebAssembly module with
 * no imports.
 *
 * The application imports "hoprt"; asc resolves it to this package's
 * `assembly/` folder through a virtual library path, so an application in any
 * folder builds without a node_modules of its own. A generated entry file
 * re-exports the ABI (machine.ts), registers the application's main() and
 * boots the kernel.
 */
import * as path from "node:path";
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import * as asc from "assemblyscript/asc";
import HopRTTransform, { reports, type PipelineReport } from "./transform.js";
import { EXCEPTION_ENTRY, EXCEPTION_EXIT, EXCEPTION_TAIL_CHAIN } from "./weights.js";

/** The package root (where assembly/ lives), from this file's place in dist/js/compiler. */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, "assembly", "machine.ts"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("hoprt: cannot find the package's assembly/ folder");
    dir = parent;
  }
  return dir;
}

const VIRTUAL_DIR = "__hoprt_pkg__";
const ENTRY_NAME = "__hoprt_entry__.ts";

export const DEFAULT_SRAM_BYTES = 128 * 1024;
/** Probe buffers above SRAM (memmap.ts): trace ring, console ring, three UART wires, kill scratch. */
const PROBE_BYTES = 16 + 4096 * 24 + 16 + 16384 + 3 * (16 + 512 * 8) + 8192;
const MSP_BYTES = 16384;

export interface BuildOptions {
  /** Path of the application's .ts file (exports main()). */
  app: string;
  sramBytes?: number;
  /** Told of every file the build tried to read, with its contents (null: it does not exist); for the build cache. */
  onRead?: (file: string, contents: string | null) => void;
}

export interface BuildResult {
  wasm: Uint8Array;
  report: PipelineReport;
  stderr: string;
}

import { BuildError } from "./errors.js";
export { BuildError };

function entrySource(appImport: string, hasConfigure: boolean): string {
  return [
    `export * from "hoprt/machine";`,
    ...(hasConfigure
      ? [`import { configure } from "${appImport}";`, `import { runConfigure } from "hoprt/kernel/boot";`, `runConfigure(configure);`]
      : []),
    // Compiled only when referenced; the transform calls them from every function.
    `export { checkpoint as __hoprt_keep_checkpoint, stackGuardHit as __hoprt_keep_guard } from "hoprt/mcu/core";`,
    `import { main } from "${appImport}";`,
    `import { registerMain, boot } from "hoprt/kernel/boot";`,
    `registerMain(main);`,
    `boot();`,
    ``,
  ].join("\n");
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const appPath = path.resolve(options.app);
  if (!fs.existsSync(appPath)) throw new BuildError(`hoprt build: no such file: ${options.app}`);
  if (!appPath.endsWith(".ts")) throw new BuildError(`hoprt build: the application must be a .ts file: ${options.app}`);
  const sram = options.sramBytes ?? DEFAULT_SRAM_BYTES;
  if (!Number.isInteger(sram) || sram < 32 * 1024 || sram % 1024 !== 0) {
    throw new BuildError(`hoprt build: SRAM size must be a whole number of KiB, at least 32 KiB (got ${sram})`);
  }
  const pages = Math.ceil((sram + PROBE_BYTES) / 65536);
  const baseDir = path.dirname(appPath);
  const appImport = "./" + path.basename(appPath, ".ts");
  // configure(cfg: Config) is optional: the kernel runs it before main.
  const hasConfigure = /export\s+function\s+configure\s*\(/.test(fs.readFileSync(appPath, "utf8"));
  let wasm: Uint8Array | null = null;
  let stderr = "";
  const assemblyDir = path.join(PACKAGE_ROOT, "assembly");

  const readFile = (name: string, dir: string): string | null => {
    const normalized = name.replace(/\\/g, "/");
    let file: string;
    if (normalized === ENTRY_NAME) return entrySource(appImport, hasConfigure);
    const virtual = normalized.indexOf(VIRTUAL_DIR + "/hoprt/");
    if (virtual >= 0) file = path.join(assemblyDir, normalized.slice(virtual + VIRTUAL_DIR.length + 7));
    else if (normalized.startsWith("~lib/hoprt/")) file = path.join(assemblyDir, normalized.slice(11));
    else file = path.resolve(dir, name);
    let contents: string | null;
    try {
      contents = fs.readFileSync(file, "utf8");
    } catch {
      contents = null;
    }
    options.onRead?.(file, contents);
    return contents;
  };

  reports.length = 0;
  const args = [
    ENTRY_NAME,
    "--outFile", "firmware.wasm",
    "--baseDir", baseDir,
    "--path", VIRTUAL_DIR,
    "--runtime", "~lib/hoprt/kernel/memory/runtime",
    "--stackSize", String(MSP_BYTES),
    "--lowMemoryLimit", String(sram),
    "--initialMemory", String(pages),
    "--maximumMemory", String(pages),
    "--exportStart", "hoprt_start",
    "--disable", "bulk-memory",
    "--use", "abort=~lib/hoprt/kernel/fault/onAbort",
    "--use", "trace=~lib/hoprt/kernel/fault/onTrace",
    "--use", "seed=~lib/hoprt/kernel/fault/seed",
    "--use", `HOPRT_SRAM_BYTES=${sram}`,
    "--use", `HOPRT_EXCEPTION_ENTRY=${EXCEPTION_ENTRY}`,
    "--use", `HOPRT_EXCEPTION_EXIT=${EXCEPTION_EXIT}`,
    "--use", `HOPRT_EXCEPTION_TAIL_CHAIN=${EXCEPTION_TAIL_CHAIN}`,
    "--noColors",
  ];
  if (process.env.HOPRT_DEBUG_NAMES) args.push("--debug"); // a name section, for profilers
  const result = await asc.main(args, {
    readFile,
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith(".wasm")) wasm = contents as Uint8Array;
    },
    listFiles: () => [],
    stderr: { write: (s: string | Uint8Array) => { stderr += typeof s === "string" ? s : Buffer.from(s).toString(); return true; } } as any,
    stdout: { write: () => true } as any,
    transforms: [HopRTTransform as any],
  } as any);
  if (result.error || !wasm) {
    throw new BuildError(`hoprt build: ${options.app} did not compile:\n${stderr || String(result.error)}`);
  }
  return { wasm, report: reports[reports.length - 1], stderr };
}
