// The browser build (`npm run build:web`), from the TypeScript output in dist/:
//   web/dist/host.js             the host (Machine, trace, exporters) as one ES module
//   web/dist/compiler-worker.js  asc + Binaryen + the HopRT transform + assembly/ as a virtual file system
//   web/dist/machine-worker.js   runs a firmware off the page's thread
//   web/dist/playground.js       the page: editor, controls, live views
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createHash } from "node:crypto";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import commonjs from "@rollup/plugin-commonjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(ROOT, "dist", "web", "src");
const OUT = path.join(ROOT, "web", "dist");

function walk(dir, base = dir, out = {}) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, base, out);
    else if (entry.name.endsWith(".ts")) out[path.relative(base, full).split(path.sep).join("/")] = fs.readFileSync(full, "utf8");
  }
  return out;
}

/** The examples the page offers, in this order: folder, title. */
const EXAMPLES = [
  ["blinky", "Blinky (TIM2 drives the LEDs)"],
  ["button", "Button (EXTI0 on PA0)"],
  ["uart-echo", "UART echo (USART2)"],
  ["demo", "Demo (four tasks)"],
  ["priority-inversion", "Priority inversion (mutex inheritance)"],
  ["breathing", "Breathing tasks (four sensors, two work slots)"],
];

/**
 * The examples' firmware, built here (through the CLI's build cache: a
 * rebuild of the page costs nothing when nothing changed) and shipped as
 * web/dist/prebuilt/*.wasm: the worker answers a Build of an example's
 * unedited source with it at once (the same bytes it would compile: the same
 * compiler, sources and options), and compiles anything else.
 */
async function prebuildExamples(context) {
  const cache = path.join(ROOT, "dist", "js", "compiler", "cache.js");
  if (!fs.existsSync(cache)) throw new Error(`the playground's prebuilt examples need the compiler: ${cache} is missing (run \`npx tsc -p .\`)`);
  const { cachedBuild, OUTPUT_ENV } = await import(pathToFileURL(cache).href);
  // The page's compiler sees no environment: neither do these builds.
  for (const name of OUTPUT_ENV) delete process.env[name];
  const list = [];
  for (const [name] of EXAMPLES) {
    const app = path.join(ROOT, "examples", name, "app.ts");
    const source = fs.readFileSync(app, "utf8");
    const result = await cachedBuild({ app });
    const fileName = `prebuilt/${name}-${createHash("sha256").update(result.wasm).digest("hex").slice(0, 16)}.wasm`;
    context.emitFile({ type: "asset", fileName, source: result.wasm });
    list.push({ source, file: fileName, stderr: result.stderr });
  }
  // Names are content-hashed: the files of earlier builds would pile up beside these.
  const dir = path.join(OUT, "prebuilt");
  const current = new Set(list.map((entry) => path.basename(entry.file)));
  if (fs.existsSync(dir)) for (const file of fs.readdirSync(dir)) if (!current.has(file)) fs.rmSync(path.join(dir, file));
  return `export const prebuilt = ${JSON.stringify(list)};`;
}

/** virtual:* modules, node:* shims for the compiler, and no Node built-ins reached at run time. */
function hoprtWeb() {
  const shims = { "node:path": "path.js", "node:fs": "fs.js", "node:url": "url.js" };
  return {
    name: "hoprt-web",
    resolveId(id) {
      if (id.startsWith("virtual:hoprt-")) return "\0" + id;
      if (id in shims) return path.join(DIST, "shims", shims[id]);
      // Reached only under Node (asc and Binaryen test for it before importing).
      if (["fs", "module", "path", "url"].includes(id)) return { id, external: true };
      return null;
    },
    load(id) {
      if (id === "\0virtual:hoprt-assembly") {
        const dir = path.join(ROOT, "assembly");
        this.addWatchFile(dir);
        return `export const files = ${JSON.stringify(walk(dir))};`;
      }
      if (id === "\0virtual:hoprt-prebuilt") return prebuildExamples(this);
      if (id === "\0virtual:hoprt-examples") {
        const list = EXAMPLES.map(([name, title]) => ({
          name, title, source: fs.readFileSync(path.join(ROOT, "examples", name, "app.ts"), "utf8"),
        }));
        return `export const examples = ${JSON.stringify(list)};`;
      }
      return null;
    },
  };
}

// asc and the compiler read process.env; a page has no process (asc and
// Binaryen tell Node from a browser by process's type, which stays "[object Object]").
const processShim = "if (typeof globalThis.process === 'undefined') globalThis.process = { env: {} };";

const plugins = () => [hoprtWeb(), nodeResolve({ browser: true, preferBuiltins: false }), commonjs()];
const quiet = (warning, warn) => {
  if (warning.code === "CIRCULAR_DEPENDENCY" || warning.code === "THIS_IS_UNDEFINED" || warning.code === "EVAL") return;
  warn(warning);
};

export default [
  { input: path.join(DIST, "host-entry.js"), output: { file: path.join(OUT, "host.js"), format: "es" }, plugins: plugins(), onwarn: quiet },
  { input: path.join(DIST, "compiler-worker.js"), output: { file: path.join(OUT, "compiler-worker.js"), format: "es", banner: processShim }, plugins: plugins(), onwarn: quiet },
  { input: path.join(DIST, "machine-worker.js"), output: { file: path.join(OUT, "machine-worker.js"), format: "es" }, plugins: plugins(), onwarn: quiet },
  { input: path.join(DIST, "main.js"), output: { file: path.join(OUT, "playground.js"), format: "es" }, plugins: plugins(), onwarn: quiet },
];
