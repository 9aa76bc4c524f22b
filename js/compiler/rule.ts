/**
 * The one rule that decides how each function of the firmware is treated,
 * by the source path the AssemblyScript compiler gives its internal name.
 *
 *  - hardware: the MCU model, the debug probe (trace and console writers)
 *    and the dispatch loop. They are the silicon and the debugger: they cost
 *    no cycles, have no check points and never call instrumented code.
 *  - atomic: the allocator and garbage collector (AssemblyScript's TLSF
 *    and our collector). Charged like any code, but without check points,
 *    so no context is ever suspended inside the heap, which is therefore
 *    never entered twice at once.
 *  - instrumented: everything else: kernel, application, standard library.
 */
export type FunctionClass = "hardware" | "atomic" | "instrumented";

/** The library prefix under which the firmware build mounts `assembly/`. */
export const PACKAGE_PREFIX = "~lib/hoprt/";

const HARDWARE = /^~lib\/hoprt\/(mcu\/|probe\/|machine\/)/;
const ATOMIC = /^(~lib\/rt\/|~lib\/util\/memory\/|~lib\/hoprt\/kernel\/memory\/|~stack_check$)/;

export function classify(functionName: string): FunctionClass {
  if (HARDWARE.test(functionName)) return "hardware";
  if (ATOMIC.test(functionName)) return "atomic";
  return "instrumented";
}

/**
 * The class of every function of a compiled module: `classify` by source
 * path, and then every function atomic code calls is atomic too (the
 * collector's `~visit` helpers, a panic raised by the allocator): a check
 * point reached from inside the heap could suspend a context there.
 * Hardware stays hardware. Indirect calls from atomic code reach only what
 * the runtime registers, which `classify` already makes atomic.
 */
export function classifyModule(
  functions: Array<{ name: string }>,
  calleesOf: (name: string) => Iterable<string>,
): Map<string, FunctionClass> {
  const classes = new Map<string, FunctionClass>();
  for (const f of functions) classes.set(f.name, classify(f.name));
  const work = functions.filter((f) => classes.get(f.name) === "atomic").map((f) => f.name);
  while (work.length > 0) {
    const name = work.pop()!;
    for (const callee of calleesOf(name)) {
      if (classes.get(callee) === "instrumented") {
        classes.set(callee, "atomic");
        work.push(callee);
      }
    }
  }
  return classes;
}

const PROBE = /^~lib\/hoprt\/probe\//;

/** The debug probe (trace and console writers): hardware that is not the CPU's, so a call to it costs nothing. */
export function isProbeFunction(functionName: string): boolean {
  return PROBE.test(functionName);
}
