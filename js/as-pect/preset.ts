/**
 * The as-pect preset for an application's own AssemblyScript unit tests
 * (docs/as-pect.md). In the project's as-pect.config.js:
 *
 *   export { default } from "hoprt/as-pect";
 *
 * or `import preset from "hoprt/as-pect"` and spread it with other entries;
 * its as-pect.asconfig.json extends "hoprt/as-pect/asconfig.json" (memory
 * laid out as in a firmware: the SRAM below 128 KiB, the debug probe's
 * rings above it).
 *
 * A spec imports "hoprt" (and "hoprt/testing") as an app does. Without a
 * firmware build there is no dispatch loop: the asconfig defines
 * HOPRT_OUTSIDE_MACHINE, so every kernel call that may block, sleep or
 * switch tasks fails the spec naming itself (assembly/kernel/context.ts
 * outsideMachine). Code that would suspend a context some other way reaches
 * Asyncify's runtime, which only `hoprt build` provides; here those imports
 * throw an Error that says where to test it instead.
 */

/** The functions Binaryen's Asyncify runtime gives a firmware, which a spec does not have. */
export const ASYNCIFY_IMPORTS = ["start_unwind", "stop_unwind", "start_rewind", "stop_rewind"] as const;

/** The message of the Error a spec gets when its code needs the machine. */
export function needsMachineMessage(importName: string): string {
  return `hoprt: this code needs the machine (asyncify.${importName}: suspending a context, as a blocking call, ` +
    `a sleep or a task switch does); as-pect runs HAL and kernel code without a dispatch loop. ` +
    `Test it in a firmware: hoprt build, then Machine from "hoprt/host" (docs/as-pect.md).`;
}

/** The `asyncify` import object of a spec: every function throws needsMachineMessage. */
export function asyncifyImports(): Record<string, () => never> {
  const imports: Record<string, () => never> = {};
  for (const name of ASYNCIFY_IMPORTS) {
    imports[name] = () => {
      throw new Error(needsMachineMessage(name));
    };
  }
  return imports;
}

type Imports = Record<string, Record<string, unknown>>;

export interface AspectConfig {
  entries: string[];
  include: string[];
  disclude: RegExp[];
  instantiate(
    memory: WebAssembly.Memory,
    createImports: (imports: Imports) => Imports,
    instantiate: (binary: Uint8Array, imports: Imports) => Promise<unknown>,
    binary: Uint8Array,
  ): Promise<unknown>;
  outputBinary: boolean;
}

const preset: AspectConfig = {
  /** as-pect's own default place, and tests/. */
  entries: ["assembly/__tests__/**/*.spec.ts", "tests/**/*.spec.ts"],
  include: ["assembly/__tests__/**/*.include.ts", "tests/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory }, asyncify: asyncifyImports() }));
  },
  outputBinary: false,
};

export default preset;
