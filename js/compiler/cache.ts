/**
 * A content-addressed cache of firmware builds for the CLI.
 *
 * An entry is keyed by what was asked (the application's path, the build
 * options, the environment variables that change the output) and the
 * compiler itself (where it is, and the content of its code and of the
 * AssemblyScript and Binaryen packages); it records the content hash of
 * every file the build read or looked for (the application, what it
 * imports, the kernel and library sources, the places asc searched and
 * found nothing). A lookup is a hit only when every one of those files
 * still has the same content (or is still absent), so an edit anywhere the
 * firmware came from is a miss.
 *
 * Where: $HOPRT_CACHE_DIR, else node_modules/.cache/hoprt under the current
 * directory (the usual place for tool caches), else the system's temp dir.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
// Only types from build.js: the compiler (asc, Binaryen) loads on a miss, so a hit costs no compiler start-up.
import type { BuildOptions, BuildResult } from "./build.js";
import { withOneBuildEngine } from "./engine.js";

const FORMAT = 2;

export function defaultCacheDir(): string {
  if (process.env.HOPRT_CACHE_DIR) return path.resolve(process.env.HOPRT_CACHE_DIR);
  const modules = path.join(process.cwd(), "node_modules");
  if (fs.existsSync(modules)) return path.join(modules, ".cache", "hoprt");
  return path.join(os.tmpdir(), "hoprt-cache");
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * Environment variables the build reads that change the firmware it makes
 * (transform.ts): part of the key, so a build made with one never answers
 * for a build without it.
 */
export const OUTPUT_ENV = ["HOPRT_SPEED_OPT", "HOPRT_DEBUG_NAMES"] as const;

/**
 * What the compiler is made of: the code of js/compiler and js/host (the
 * build writes the host's metadata and source-map formats), and the
 * installed AssemblyScript and Binaryen (their package.json: name and
 * version). Any difference is another compiler, whose builds are never
 * reused. Read at every lookup (some forty small files: a few ms), so a
 * long-lived process sees a compiler that changed under it.
 */
export interface CompilerParts {
  /** Folders whose .js/.ts files are the compiler's code. */
  codeDirs: string[];
  /** package.json files of the compiler's dependencies. */
  packages: string[];
}

export function compilerParts(): CompilerParts {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const packages: string[] = [];
  try {
    const require = createRequire(import.meta.url);
    const asc = require.resolve("assemblyscript/package.json");
    packages.push(asc, createRequire(asc).resolve("binaryen/package.json"));
  } catch {
    // not resolvable: the fingerprint says so ("?"), and a build would fail anyway
  }
  return { codeDirs: [here, path.join(here, "..", "host")], packages };
}

export function compilerFingerprint(parts: CompilerParts = compilerParts()): string {
  const hash = createHash("sha256").update(String(FORMAT));
  for (const dir of parts.codeDirs) {
    hash.update("\0dir\0");
    for (const name of fs.readdirSync(dir).sort()) {
      // Code only: declaration files and source maps follow from it.
      if ((name.endsWith(".js") || name.endsWith(".ts")) && !name.endsWith(".d.ts")) hash.update(name).update("\0").update(fs.readFileSync(path.join(dir, name)));
    }
  }
  if (parts.packages.length === 0) hash.update("packages?");
  for (const file of parts.packages) hash.update("\0pkg\0").update(fs.readFileSync(file));
  return hash.digest("hex");
}

interface Manifest {
  format: number;
  inputs: Array<[string, string]>; // file path, content hash
  report: BuildResult["report"];
  /** The compiler's messages (warnings): a hit gives what the build gave. */
  stderr: string;
}

export interface CachedBuild extends BuildResult {
  /** True when the firmware came from the cache. */
  cached: boolean;
}

export interface CacheOptions {
  /** Where entries live (default: defaultCacheDir()). */
  dir?: string;
  /** What counts as the compiler (default: compilerParts()); tests point it at a copy. */
  compiler?: CompilerParts;
}

/** Every build option but the app's path and the read hooks, in a stable order, so any option a build gains is part of the key. */
function optionKey(options: BuildOptions): Array<[string, unknown]> {
  const { app: _app, onRead: _onRead, files: _files, ...rest } = options;
  return Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

function entryDir(options: BuildOptions, cache: CacheOptions): string {
  const env = OUTPUT_ENV.map((name) => [name, process.env[name] ?? null]);
  const parts = cache.compiler ?? compilerParts();
  // Where the compiler is, too: two copies with the same code read different kernel sources.
  const key = sha256(JSON.stringify([compilerFingerprint(parts), parts.codeDirs, path.resolve(options.app), optionKey(options), env]));
  return path.join(cache.dir ?? defaultCacheDir(), key.slice(0, 32));
}

/** A file the build looked for and did not find: it must still be absent (a new file can change how an import resolves). */
const MISSING = "-";

/** The hash of a file as the build would read it now: through `files` when the build was given them, else from disk. */
function currentHash(file: string, files: BuildOptions["files"]): string {
  if (files) {
    const text = files.read(file);
    return text === null ? MISSING : sha256(text);
  }
  // Most inputs are places asc looked for a module and found nothing: a stat, not a failed read, says so.
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat || !stat.isFile()) return MISSING;
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return MISSING;
  }
}

function unchanged(inputs: Array<[string, string]>, files: BuildOptions["files"]): boolean {
  for (const [file, hash] of inputs) if (currentHash(file, files) !== hash) return false;
  return true;
}

/**
 * The cached firmware for `options`, if there is an entry and nothing it was
 * built from has changed; null otherwise (nothing is built).
 */
export function lookupBuild(options: BuildOptions, cache: CacheOptions = {}): CachedBuild | null {
  return lookupIn(entryDir(options, cache), options);
}

function lookupIn(dir: string, options: BuildOptions): CachedBuild | null {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    if (manifest.format !== FORMAT || !Array.isArray(manifest.inputs) || !unchanged(manifest.inputs, options.files)) return null;
    const wasm = new Uint8Array(fs.readFileSync(path.join(dir, "firmware.wasm")));
    return { wasm, report: manifest.report, stderr: typeof manifest.stderr === "string" ? manifest.stderr : "", cached: true };
  } catch {
    return null; // no entry, or a damaged one
  }
}

/** Build `options.app`, or return the cached firmware if nothing it was built from has changed. */
export async function cachedBuild(options: BuildOptions, cache: CacheOptions = {}): Promise<CachedBuild> {
  const dir = entryDir(options, cache);
  const hit = lookupIn(dir, options);
  if (hit) return hit;
  const inputs = new Map<string, string>();
  // The CLI builds once per process: V8 runs Binaryen for that (engine.ts).
  const result = await withOneBuildEngine(async () => (await import("./build.js")).build({
    ...options,
    onRead: (file, contents) => {
      inputs.set(file, contents === null ? MISSING : sha256(contents));
      options.onRead?.(file, contents);
    },
  }));
  const manifest: Manifest = { format: FORMAT, inputs: [...inputs.entries()].sort(), report: result.report, stderr: result.stderr };
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Write the firmware first and the manifest last, each through a rename: a reader never sees half an entry.
    const tmp = `${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(path.join(dir, "firmware." + tmp), result.wasm);
    fs.renameSync(path.join(dir, "firmware." + tmp), path.join(dir, "firmware.wasm"));
    fs.writeFileSync(path.join(dir, "manifest." + tmp), JSON.stringify(manifest));
    fs.renameSync(path.join(dir, "manifest." + tmp), path.join(dir, "manifest.json"));
  } catch {
    // A cache that cannot be written only costs time.
  }
  return { ...result, cached: false };
}
