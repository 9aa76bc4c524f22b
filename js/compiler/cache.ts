/**
 * A content-addressed cache of firmware builds for the CLI.
 *
 * An entry is keyed by what was asked (the application's path, the build
 * options) and the compiler itself (the code of js/compiler and the
 * AssemblyScript version); it records the content hash of every file the
 * build read (the application, what it imports, the kernel and library
 * sources). A lookup is a hit only when every one of those files still has
 * the same content, so an edit anywhere the firmware came from is a miss.
 *
 * Where: $HOPRT_CACHE_DIR, else node_modules/.cache/hoprt under the current
 * directory (the usual place for tool caches), else the system's temp dir.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
// Only types from build.js: the compiler (asc, Binaryen) loads on a miss, so a hit costs no compiler start-up.
import type { BuildOptions, BuildResult } from "./build.js";

const FORMAT = 1;

export function defaultCacheDir(): string {
  if (process.env.HOPRT_CACHE_DIR) return path.resolve(process.env.HOPRT_CACHE_DIR);
  const modules = path.join(process.cwd(), "node_modules");
  if (fs.existsSync(modules)) return path.join(modules, ".cache", "hoprt");
  return path.join(os.tmpdir(), "hoprt-cache");
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

let compilerHash: string | null = null;

/** The compiler's own code and the AssemblyScript version: a new compiler never reuses an old build. */
function compilerFingerprint(): string {
  if (compilerHash) return compilerHash;
  const hash = createHash("sha256").update(String(FORMAT));
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const name of fs.readdirSync(here).sort()) {
    if (name.endsWith(".js") || name.endsWith(".ts")) hash.update(name).update(fs.readFileSync(path.join(here, name)));
  }
  try {
    const ascPackage = fileURLToPath(new URL("../../../node_modules/assemblyscript/package.json", import.meta.url));
    hash.update(fs.readFileSync(ascPackage));
  } catch {
    hash.update("asc?");
  }
  compilerHash = hash.digest("hex");
  return compilerHash;
}

interface Manifest {
  format: number;
  inputs: Array<[string, string]>; // file path, content hash
  report: BuildResult["report"];
}

export interface CachedBuild extends BuildResult {
  /** True when the firmware came from the cache. */
  cached: boolean;
}

export interface CacheOptions {
  /** Where entries live (default: defaultCacheDir()). */
  dir?: string;
}

/** Every build option but the app's path and the read hook, in a stable order, so any option a build gains is part of the key. */
function optionKey(options: BuildOptions): Array<[string, unknown]> {
  const { app: _app, onRead: _onRead, files: _files, ...rest } = options;
  return Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

function entryDir(dir: string, options: BuildOptions): string {
  const key = sha256(JSON.stringify([compilerFingerprint(), path.resolve(options.app), optionKey(options)]));
  return path.join(dir, key.slice(0, 32));
}

/** A file the build looked for and did not find: it must still be absent (a new file can change how an import resolves). */
const MISSING = "-";

function unchanged(inputs: Array<[string, string]>): boolean {
  for (const [file, hash] of inputs) {
    let data: Buffer | null;
    try {
      data = fs.readFileSync(file);
    } catch {
      data = null;
    }
    if ((data === null ? MISSING : sha256(data)) !== hash) return false;
  }
  return true;
}

/** Build `options.app`, or return the cached firmware if nothing it was built from has changed. */
export async function cachedBuild(options: BuildOptions, cache: CacheOptions = {}): Promise<CachedBuild> {
  const dir = entryDir(cache.dir ?? defaultCacheDir(), options);
  const manifestFile = path.join(dir, "manifest.json");
  const wasmFile = path.join(dir, "firmware.wasm");
  try {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest;
    if (manifest.format === FORMAT && unchanged(manifest.inputs)) {
      const wasm = new Uint8Array(fs.readFileSync(wasmFile));
      return { wasm, report: manifest.report, stderr: "", cached: true };
    }
  } catch {
    // no entry, or a damaged one: build
  }
  const inputs = new Map<string, string>();
  const { build } = await import("./build.js");
  const result = await build({ ...options, onRead: (file, contents) => inputs.set(file, contents === null ? MISSING : sha256(contents)) });
  const manifest: Manifest = { format: FORMAT, inputs: [...inputs.entries()].sort(), report: result.report };
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Write the firmware first and the manifest last, each through a rename: a reader never sees half an entry.
    const tmp = `${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(path.join(dir, "firmware." + tmp), result.wasm);
    fs.renameSync(path.join(dir, "firmware." + tmp), wasmFile);
    fs.writeFileSync(path.join(dir, "manifest." + tmp), JSON.stringify(manifest));
    fs.renameSync(path.join(dir, "manifest." + tmp), manifestFile);
  } catch {
    // A cache that cannot be written only costs time.
  }
  return { ...result, cached: false };
}
