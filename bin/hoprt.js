#!/usr/bin/env node
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";

// Per-signature JS<->wasm call wrappers instead of V8's generic one (before
// any wasm is compiled): the compiler (asc driving Binaryen, Binaryen's
// exception trampolines) crosses that boundary millions of times a build,
// and a cold `hoprt build` took about 4 % less CPU time with them.
setFlagsFromString("--no-wasm-generic-wrapper");

const cli = new URL("../dist/js/cli/main.js", import.meta.url);
if (!existsSync(cli)) {
  // An unbuilt checkout: dist/ is made by the package's `prepare` script.
  const root = fileURLToPath(new URL("..", import.meta.url));
  process.stderr.write(`hoprt: ${root} is not built (dist/js/cli/main.js is missing): run \`npm install\` in ${root}\n`);
  process.exit(1);
}
const { main } = await import(cli.href);
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
