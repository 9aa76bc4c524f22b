/**
 * How V8 runs the compiler in a process that builds once (the CLI).
 *
 * Binaryen runs as a large WebAssembly module (binaryen.js). V8 compiles it
 * first with its baseline compiler (Liftoff) and then, while a build runs,
 * recompiles every function that gets hot with its optimizing compiler
 * (TurboFan). For one build that recompilation costs more than it gains: a
 * cold `hoprt build` of the blink app spent some 2.5 s of CPU time in it
 * (about as much as all of Binaryen's own work), competing with the build
 * for the machine's cores, while Binaryen's passes ran at most 1.4 times
 * faster once recompiled. So the CLI runs its build with Liftoff only, and
 * puts V8's tiering back when the build ends: the firmware the CLI then runs
 * (and any WebAssembly the process compiles or runs later, Binaryen in a
 * second build included) is tiered up as usual.
 *
 * The code Binaryen produces is the same either way: only how fast V8 runs
 * Binaryen changes. When the process was started with V8 flags of its own
 * for WebAssembly tiers, they are left alone.
 */
import { setFlagsFromString } from "node:v8";

/** V8's defaults that --liftoff-only turns off (by implication) and that clearing it does not turn back on. */
const TIERING_DEFAULTS = ["--no-liftoff-only", "--wasm-tier-up", "--wasm-dynamic-tiering"];

function tiersGivenByUser(): boolean {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  return /liftoff|tier|turbofan/.test(given);
}

/** Run `build` (which may load the compiler) with V8 compiling WebAssembly for one build. */
export async function withOneBuildEngine<T>(build: () => Promise<T>): Promise<T> {
  if (tiersGivenByUser()) return build();
  setFlagsFromString("--liftoff-only");
  try {
    return await build();
  } finally {
    for (const flag of TIERING_DEFAULTS) setFlagsFromString(flag);
  }
}
