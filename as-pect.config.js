// as-pect 8.1.0 test runner configuration (`npx asp --config as-pect.config.js`).
// Compiler options live in as-pect.asconfig.json, which asp passes to asc
// (its --as-config option, default ./as-pect.asconfig.json, target "noCoverage").
export default {
  /** The AssemblyScript unit specs. */
  entries: ["tests/assembly/**/*.spec.ts"],
  /** Files added to every spec compilation (none). */
  include: ["tests/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
