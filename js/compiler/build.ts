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
import HopRTTransform, { reports, pipelineSettings, type PipelineReport } from "./transform.js";
import { embedSourceMap } from "./sourcemap.js";
import { EXCEPTION_ENTRY, EXCEPTION_EXIT, EXCEPTION_TAIL_CHAIN } from "./weights.js";

/** The transform's settings as a build leaves them (transform.ts pipelineSettings); each build option of the same name sets one for its build. */
const DEFAULT_SETTINGS = { ...pipelineSettings };
type Setting = keyof typeof pipelineSettings;

/**
 * The package root (where assembly/ lives), from this file's place in
 * dist/js/compiler. Outside a file system (the browser bundle) the package
 * is virtual, mounted at /hoprt by the files the build is given.
 */
export const PACKAGE_ROOT = import.meta.url.startsWith("file:")
  ? findPackageRoot(path.dirname(fileURLToPath(import.meta.url)))
  : "/hoprt";

function findPackageRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, "assembly", "machine.ts"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("hoprt: cannot find the package's assembly/ folder");
    dir = parent;
  }
  return dir;
}

/**
 * Binaryen's Emscripten glue (loaded with asc) adds an uncaughtException
 * listener that rethrows the error from inside its one-line minified
 * source, so Node prints megabytes of that line before any uncaught error of
 * a program that imports the compiler (and exits 7). The listener exists for
 * Emscripten's exit() unwinding, which Binaryen as a library never does:
 * drop it, and such errors read as Node prints them anywhere else.
 */
function dropEmscriptenRethrow(): void {
  if (typeof process === "undefined" || typeof process.listeners !== "function") return;
  for (const listener of process.listeners("uncaughtException")) {
    const text = String(listener);
    if (text.includes('"unwind"') && text.includes("throw")) process.removeListener("uncaughtException", listener);
  }
}
dropEmscriptenRethrow();

const VIRTUAL_DIR = "__hoprt_pkg__";
const ENTRY_NAME = "__hoprt_entry__.ts";

export const DEFAULT_SRAM_BYTES = 128 * 1024;
/** Probe buffers above SRAM (memmap.ts): trace ring, console ring, three UART wires, kill scratch. */
const PROBE_BYTES = 16 + 4096 * 24 + 16 + 16384 + 3 * (16 + 512 * 8) + 65536;
const MSP_BYTES = 16384;

/**
 * Everything a build reads goes through this: the application and the
 * package's assembly/ sources (under PACKAGE_ROOT), by absolute path. Node's
 * file system by default; the browser's compiler worker passes a virtual one.
 */
export interface BuildFiles {
  /** The text of `file`, or null when there is no such file. */
  read(file: string): string | null;
}

export const nodeFiles: BuildFiles = {
  read(file: string): string | null {
    try {
      return fs.readFileSync(file, "utf8");
    } catch {
      return null;
    }
  },
};

export const STACK_MODES = ["segmented", "static"] as const;
export type StackMode = (typeof STACK_MODES)[number];

export interface BuildOptions {
  /** Path of the application's .ts file (exports main()). */
  app: string;
  sramBytes?: number;
  /** Told of every file the build tried to read, with its contents (null: it does not exist); for the build cache. */
  onRead?: (file: string, contents: string | null) => void;
  /** Most tasks at once, idle and main included (default 32, at most 4096). */
  maxTasks?: number;
  /**
   * How the kernel excludes handlers from its structures: "soft" (default,
   * soft-locks: it never masks interrupts) or "mask" (BASEPRI critical
   * sections, the FreeRTOS Cortex-M4F baseline, for comparison).
   */
  kernelLock?: KernelLock;
  /** Tasks' stacks unless a task says: "segmented" (default: stacklets from the heap) or "static" (2 KiB each). */
  stacks?: StackMode;
  /** Bytes every stacklet gets beyond the frame that asked for it (default 64, 0..4096). */
  stackletAddition?: number;
  /**
   * Stacklets kept machine-wide for reuse once their function returns (default 1, 0..16;
   * assembly/kernel/stack/pool.ts): 0 gives every one back to the heap at once, as Hopter does.
   */
  stackletPool?: number;
  /** The default SysTick rate (Config.tickHz before configure() runs); 1000 when absent. */
  tickHz?: number;
  /** Where sources are read from (default: Node's file system). */
  files?: BuildFiles;
  /**
   * false: leave out the cleanup-handler pass (js/compiler/defer.ts), to measure that it costs an
   * app without unwind.defer nothing (tests/host/defer-cost.test.ts). Default true.
   */
  deferPass?: boolean;
  /**
   * false: no unchecked copies of counted loops (instrument.ts versionLoop): the same modelled
   * cycles, slower in the engine; for tests that compare the two. Default true.
   */
  loopVersioning?: boolean;
  /**
   * false: no inlining of call-free functions after Asyncify (transform.ts runPipeline): the same
   * modelled cycles and traces, slower in the engine; for tests that compare the two. Default true.
   */
  speedInlining?: boolean;
  /**
   * true: the costs are fixed after Binaryen's own -O3 (module.optimize()) instead of the pipeline's
   * pass list (transform.ts COST_OPTIMIZATION_PASSES), only to show that both give the same firmware.
   */
  referenceOptimize?: boolean;
  /**
   * false: Asyncify instruments every function its own analysis finds, those no context's stack
   * can hold included (js/compiler/unwindable.ts): the same traces, a slower build; for the test
   * that shows it. Default true.
   */
  unwindableOnly?: boolean;
  /**
   * false: Asyncify also instruments the atomic and hardware code that only a panic unwinds
   * (js/compiler/unwindable.ts panicsByTrap), so that a panic raised there unwinds instead of
   * trapping: the same traces, a slower build; for the test that shows it. Default true.
   */
  panicTraps?: boolean;
  /**
   * Binaryen's inlining size limits while the costs are fixed (default 20, its own); only to show that
   * they change no byte of the firmware (tests/host/inline-limits.test.ts).
   */
  costInlineSize?: number;
  /**
   * false: Binaryen inlines by its own limits alone and every call it leaves costs a call (the model before
   * transform.ts pinInlining): the control of that test, and Binaryen's own -O3 for tests/host/build-pipeline.test.ts.
   */
  inlineCharging?: boolean;
  /**
   * Keep source locations (default true): a `hoprt.sourcemap` custom section
   * maps code offsets to file:line:column, so a trap's report names its
   * source line. The code is byte for byte the same either way.
   */
  sourceLines?: boolean;
}

export const DEFAULT_MAX_TASKS = 32;
export const MAX_MAX_TASKS = 4096;
export const DEFAULT_STACKLET_POOL = 1;
export const MAX_STACKLET_POOL = 16;

export type KernelLock = "soft" | "mask";
export const KERNEL_LOCKS: readonly KernelLock[] = ["soft", "mask"];

export interface BuildResult {
  wasm: Uint8Array;
  report: PipelineReport;
  stderr: string;
}

import { BuildError } from "./errors.js";
export { BuildError };

function entrySource(appImport: string): string {
  return [
    `export * from "hoprt/machine";`,
    // configure(cfg: Config) is optional: the compiler says whether the app exports one (however it is written).
    `import * as __hoprt_app from "${appImport}";`,
    `import { runConfigure } from "hoprt/kernel/boot";`,
    `if (isDefined(__hoprt_app.configure)) runConfigure(__hoprt_app.configure);`,
    // Compiled only when referenced; the transform calls them from every function.
    `export { checkpoint as __hoprt_keep_checkpoint, stackGuardHit as __hoprt_keep_guard, stackReturn as __hoprt_keep_stackReturn, mainStackExhausted as __hoprt_keep_floor } from "hoprt/mcu/core";`,
    `import { main } from "${appImport}";`,
    `import { registerMain, boot } from "hoprt/kernel/boot";`,
    `registerMain(main);`,
    `boot();`,
    ``,
  ].join("\n");
}

/** HOPRT_PROFILE=1: asc's own phases (its --stats), beside the transform's (transform.ts). */
function writeAscStats(stats: Record<string, number>, cpuStart: number): void {
  const ms = (ns: number) => (ns / 1e6).toFixed(0);
  const lines = ["parse", "initialize", "compile", "transform", "validate", "optimize", "emit"].map((key) => `hoprt: asc ${key} ${ms(stats[key + "Time"] ?? 0)} ms\n`);
  const cpu = Number.isNaN(cpuStart) ? "" : ` (cpu ${((process.cpuUsage().user - cpuStart) / 1000).toFixed(0)} ms)`;
  process.stderr.write(lines.join("") + `hoprt: asc total ${ms(stats.total ?? 0)} ms${cpu}\n`);
}

/** The build in progress (and those queued behind it): see build. */
let buildsQueued: Promise<unknown> = Promise.resolve();

export function build(options: BuildOptions): Promise<BuildResult> {
  // One at a time: the transform's settings and reports belong to the build in progress, and two
  // builds started together in one process would otherwise mix them.
  const result = buildsQueued.then(() => buildAlone(options));
  buildsQueued = result.catch(() => undefined);
  return result;
}

async function buildAlone(options: BuildOptions): Promise<BuildResult> {
  const files = options.files ?? nodeFiles;
  const appPath = path.resolve(options.app);
  const appSource = files.read(appPath);
  if (appSource === null) throw new BuildError(`hoprt build: no such file: ${options.app}`);
  if (!appPath.endsWith(".ts")) throw new BuildError(`hoprt build: the application must be a .ts file: ${options.app}`);
  const sram = options.sramBytes ?? DEFAULT_SRAM_BYTES;
  if (!Number.isInteger(sram) || sram < 32 * 1024 || sram % 1024 !== 0) {
    throw new BuildError(`hoprt build: SRAM size must be a whole number of KiB, at least 32 KiB (got ${sram})`);
  }
  const kernelLock = options.kernelLock ?? "soft";
  if (!KERNEL_LOCKS.includes(kernelLock)) {
    throw new BuildError(`hoprt build: --kernel-lock must be ${KERNEL_LOCKS.join(" or ")} (got ${String(kernelLock)})`);
  }
  const stacks = options.stacks ?? "segmented";
  if (!STACK_MODES.includes(stacks)) throw new BuildError(`hoprt build: --stacks must be ${STACK_MODES.join(" or ")} (got ${String(stacks)})`);
  const addition = options.stackletAddition ?? 64;
  if (!Number.isInteger(addition) || addition < 0 || addition > 4096) {
    throw new BuildError(`hoprt build: the stacklet addition must be a whole number of bytes from 0 to 4096 (got ${addition})`);
  }
  const pool = options.stackletPool ?? DEFAULT_STACKLET_POOL;
  if (!Number.isInteger(pool) || pool < 0 || pool > MAX_STACKLET_POOL) {
    throw new BuildError(`hoprt build: the stacklet pool must be a whole number of stacklets from 0 to ${MAX_STACKLET_POOL} (got ${pool})`);
  }
  const maxTasks = options.maxTasks ?? DEFAULT_MAX_TASKS;
  if (!Number.isInteger(maxTasks) || maxTasks < 2 || maxTasks > MAX_MAX_TASKS) {
    throw new BuildError(`hoprt build: the task limit must be a whole number from 2 to ${MAX_MAX_TASKS} (got ${maxTasks})`);
  }
  const pages = Math.ceil((sram + PROBE_BYTES) / 65536);
  const baseDir = path.dirname(appPath);
  const appImport = "./" + path.basename(appPath, ".ts");
  const tickHz = options.tickHz;
  if (tickHz !== undefined && (!Number.isInteger(tickHz) || tickHz < 1 || tickHz > 0xFFFF_FFFF)) {
    throw new BuildError(`hoprt build: tickHz must be a whole number of Hz (got ${tickHz}); the kernel checks its range at boot`);
  }
  let wasm: Uint8Array | null = null;
  let stderr = "";
  const assemblyDir = path.join(PACKAGE_ROOT, "assembly");

  const readsSoFar = new Map<string, string | null>();
  const readFile = (name: string, dir: string): string | null => {
    const normalized = name.replace(/\\/g, "/");
    let file: string;
    if (normalized === ENTRY_NAME) return entrySource(appImport);
    const virtual = normalized.indexOf(VIRTUAL_DIR + "/hoprt/");
    if (virtual >= 0) file = path.join(assemblyDir, normalized.slice(virtual + VIRTUAL_DIR.length + 7));
    else if (normalized.startsWith("~lib/hoprt/")) file = path.join(assemblyDir, normalized.slice(11));
    else file = path.resolve(dir, name);
    // "hoprt" is always this package, through the virtual path: never an installed copy's root
    // index.ts/testing.ts (there for as-pect, docs/as-pect.md) that asc's node_modules search would
    // find first. Files deeper in an installed copy (an app among its examples) read as usual.
    if (/(^|\/)node_modules\/hoprt\/[^/]+\.ts$/.test(normalized)) return null;
    // asc asks again for a file at each import of it, and for the same missing node_modules
    // paths from every file that imports the package (some 1,900 asks for 130 files): one read each.
    const known = readsSoFar.get(file);
    if (known !== undefined) return known;
    const contents = files.read(file);
    readsSoFar.set(file, contents);
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
    "--use", `HOPRT_MAX_TASKS=${maxTasks}`,
    // One switch, resolved at compile time (kernel/lock.ts): the soft build carries no trace of the other.
    ...(kernelLock === "mask" ? ["--use", "HOPRT_KERNEL_LOCK_MASK=1"] : []),
    ...(stacks === "static" ? ["--use", "HOPRT_STATIC_STACKS=1"] : []),
    "--use", `HOPRT_STACKLET_ADDITION=${addition}`,
    "--use", `HOPRT_STACKLET_POOL=${pool}`,
    "--noColors",
    // The transform validates the module it leaves (transform.ts); a second validation found nothing new.
    "--noValidate",
  ];
  if (tickHz !== undefined) args.push("--use", `HOPRT_TICK_HZ=${tickHz}`);
  // A name section (the code is the same with or without it): traps and profilers name the function.
  args.push("--debug");
  for (const key of Object.keys(DEFAULT_SETTINGS) as Setting[]) {
    (pipelineSettings as Record<Setting, unknown>)[key] = options[key] ?? DEFAULT_SETTINGS[key];
  }
  // Source locations (the code is the same with or without them either): traps name the line.
  const sourceLines = options.sourceLines ?? true;
  if (typeof sourceLines !== "boolean") throw new BuildError(`hoprt build: sourceLines must be true or false (got ${String(sourceLines)})`);
  if (sourceLines) args.push("--sourceMap");
  let sourceMap: string | null = null;
  const profiling = Boolean(globalThis.process?.env?.HOPRT_PROFILE);
  if (profiling) args.push("--stats");
  const cpuStart = profiling && typeof process.cpuUsage === "function" ? process.cpuUsage().user : NaN;
  const result = await asc.main(args, {
    readFile,
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith(".wasm")) wasm = contents as Uint8Array;
      else if (name.endsWith(".wasm.map")) sourceMap = typeof contents === "string" ? contents : new TextDecoder().decode(contents);
    },
    listFiles: () => [],
    stderr: { write: (s: string | Uint8Array) => { stderr += typeof s === "string" ? s : new TextDecoder().decode(s); return true; } } as any,
    stdout: { write: () => true } as any,
    transforms: [HopRTTransform as any],
  } as any).finally(() => Object.assign(pipelineSettings, DEFAULT_SETTINGS));
  if (profiling && result.stats) writeAscStats(result.stats as unknown as Record<string, number>, cpuStart);
  if (result.error || !wasm) {
    throw new BuildError(`hoprt build: ${options.app} did not compile:\n${stderr || String(result.error)}`);
  }
  if (sourceLines) {
    if (sourceMap === null) throw new BuildError(`hoprt build: ${options.app}: the compiler made no source map`);
    const start = performance.now();
    wasm = embedSourceMap(wasm, sourceMap);
    if (process.env.HOPRT_PROFILE) process.stderr.write(`hoprt: source map section ${(performance.now() - start).toFixed(0)} ms\n`);
  }
  return { wasm, report: reports[reports.length - 1], stderr };
}
