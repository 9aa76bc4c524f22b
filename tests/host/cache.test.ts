/**
 * The CLI's content-addressed build cache (js/compiler/cache.ts). One cold
 * build; every other question is a lookup (lookupBuild builds nothing), so
 * each way an entry must stop answering is checked without another build.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cachedBuild, lookupBuild, compilerParts, OUTPUT_ENV, type CacheOptions, type CompilerParts } from "../../js/compiler/cache.js";
import { nodeFiles, PACKAGE_ROOT, type BuildOptions, type BuildResult } from "../../js/compiler/build.js";

const HELPER_ONE = `export function greeting(): string { return "one"; }\n`;
// The ternary draws a compiler warning (AS201): a hit must give it as the build did.
const APP = [
  `import { debug } from "hoprt";`,
  `import { greeting } from "./helper";`,
  `function size(): usize { return 8; }`,
  `export function main(): void { const n = greeting().length > 3 ? 0 : size(); debug.print(greeting() + n.toString()); }`,
  ``,
].join("\n");

/** A copy of the compiler's parts (its code folders, its packages' package.json) that the test may edit. */
function copyParts(into: string): CompilerParts {
  const real = compilerParts();
  const codeDirs = real.codeDirs.map((dir, i) => {
    const copy = path.join(into, `code${i}`);
    fs.mkdirSync(copy, { recursive: true });
    for (const name of fs.readdirSync(dir)) if (/\.(js|ts)$/.test(name)) fs.copyFileSync(path.join(dir, name), path.join(copy, name));
    return copy;
  });
  const packages = real.packages.map((file, i) => {
    const copy = path.join(into, `package${i}.json`);
    fs.copyFileSync(file, copy);
    return copy;
  });
  return { codeDirs, packages };
}

describe("the CLI's build cache", () => {
  let dir: string;
  let app: string;
  let helper: string;
  let cache: CacheOptions;
  let cold: BuildResult & { cached: boolean };
  const lookup = (options: Partial<BuildOptions> = {}) => lookupBuild({ app, ...options }, cache);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-cache-test-"));
    app = path.join(dir, "app.ts");
    helper = path.join(dir, "helper.ts");
    fs.writeFileSync(helper, HELPER_ONE);
    fs.writeFileSync(app, APP);
    cache = { dir: path.join(dir, "cache"), compiler: copyParts(path.join(dir, "compiler")) };
    cold = await cachedBuild({ app }, cache);
  }, 180_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a second build of an unchanged app is a hit, with the same firmware and report", async () => {
    expect(cold.cached).toBe(false);
    const warm = await cachedBuild({ app }, cache);
    expect(warm.cached).toBe(true);
    expect(Buffer.from(warm.wasm).equals(Buffer.from(cold.wasm))).toBe(true);
    expect(warm.report.bounds).toEqual(cold.report.bounds);
    expect(cold.stderr).toContain("AS201");
    expect(warm.stderr).toBe(cold.stderr);
    expect(lookup()).not.toBeNull();
  });

  it("the compiler's default parts are its code folders and the AssemblyScript and Binaryen packages", () => {
    const parts = compilerParts();
    expect(parts.codeDirs.map((d) => path.relative(PACKAGE_ROOT, d).split(path.sep).slice(-2).join("/"))).toEqual(["js/compiler", "js/host"]);
    expect(parts.packages.map((p) => JSON.parse(fs.readFileSync(p, "utf8")).name)).toEqual(["assemblyscript", "binaryen"]);
  });

  it("an edit of the app, or of a file it imports, is a miss; the same content again is a hit (content, not time)", () => {
    fs.writeFileSync(helper, HELPER_ONE.replace("one", "two"));
    expect(lookup()).toBeNull();
    fs.writeFileSync(helper, HELPER_ONE);
    expect(lookup()).not.toBeNull();
    fs.writeFileSync(app, APP + "// a comment\n");
    expect(lookup()).toBeNull();
    fs.writeFileSync(app, APP);
    expect(lookup()).not.toBeNull();
  });

  it("a file asc looked for and did not find, appearing, is a miss (it can change what an import resolves to)", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir!, fs.readdirSync(cache.dir!)[0], "manifest.json"), "utf8"));
    const absent = (manifest.inputs as Array<[string, string]>).filter(([, hash]) => hash === "-").map(([file]) => file);
    const local = absent.find((file) => file.startsWith(dir + path.sep));
    expect(local, `the build looked for no absent file next to the app: ${absent.slice(0, 5).join(", ")}`).toBeDefined();
    fs.mkdirSync(path.dirname(local!), { recursive: true });
    fs.writeFileSync(local!, HELPER_ONE);
    expect(lookup()).toBeNull();
    fs.rmSync(local!);
    expect(lookup()).not.toBeNull();
  });

  it("an edit of any kernel source is a miss", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(cache.dir!, fs.readdirSync(cache.dir!)[0], "manifest.json"), "utf8"));
    const kernel = (manifest.inputs as Array<[string, string]>)
      .map(([file]) => file)
      .filter((file) => file.startsWith(path.join(PACKAGE_ROOT, "assembly") + path.sep) && fs.existsSync(file));
    // Everything the firmware is made of: the kernel, the MCU model, the ABI.
    for (const part of ["kernel/time.ts", "kernel/memory/runtime.ts", "mcu/core.ts", "machine.ts"]) {
      expect(kernel).toContain(path.join(PACKAGE_ROOT, "assembly", part));
    }
    // The kernel sources are shared with every other test: edits go through the build's file interface, not the disk.
    const edited = (target: string, change: (text: string) => string) => ({
      read: (file: string) => {
        const text = nodeFiles.read(file);
        return file === target && text !== null ? change(text) : text;
      },
    });
    for (const file of kernel) {
      expect(lookup({ files: edited(file, (t) => t + "\n// edited\n") }), file).toBeNull();
    }
    expect(lookup({ files: edited(kernel[0], (t) => t) })).not.toBeNull();
  });

  it("every build option is part of the key", () => {
    const others: Array<Partial<BuildOptions>> = [
      { sramBytes: 64 * 1024 }, { maxTasks: 16 }, { kernelLock: "mask" }, { stacks: "static" }, { stackletAddition: 32 },
      { tickHz: 100 }, { sourceLines: false }, { deferPass: false }, { loopVersioning: false },
    ];
    for (const options of others) expect(lookup(options), JSON.stringify(options)).toBeNull();
    // Another app path is another entry, even with the same text.
    const twin = path.join(dir, "twin.ts");
    fs.writeFileSync(twin, APP);
    expect(lookupBuild({ app: twin }, cache)).toBeNull();
  });

  it("the environment variables that change the firmware are part of the key; others are not", () => {
    for (const name of OUTPUT_ENV) {
      const before = process.env[name];
      process.env[name] = "1";
      try {
        expect(lookup(), name).toBeNull();
      } finally {
        if (before === undefined) delete process.env[name];
        else process.env[name] = before;
      }
    }
    const before = process.env.HOPRT_PROFILE;
    process.env.HOPRT_PROFILE = "1";
    try {
      expect(lookup()).not.toBeNull();
    } finally {
      if (before === undefined) delete process.env.HOPRT_PROFILE;
      else process.env.HOPRT_PROFILE = before;
    }
  });

  it("every environment variable the compiler reads is either part of the key or leaves the firmware alone", () => {
    // Output-neutral: timings on stderr (HOPRT_PROFILE), a text dump kept in memory (HOPRT_DUMP_WAT), where the cache is (HOPRT_CACHE_DIR).
    const neutral = ["HOPRT_PROFILE", "HOPRT_DUMP_WAT", "HOPRT_CACHE_DIR"];
    const dir = path.join(PACKAGE_ROOT, "js", "compiler");
    const read = new Set<string>();
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      for (const m of fs.readFileSync(path.join(dir, name), "utf8").matchAll(/env\??\.(HOPRT_[A-Z_]+)/g)) read.add(m[1]);
    }
    expect(read.size).toBeGreaterThan(0);
    for (const name of read) expect([...OUTPUT_ENV, ...neutral], `${name}: does it change the firmware? add it to OUTPUT_ENV (cache.ts) if so`).toContain(name);
  });

  it("another compiler (its code, or the AssemblyScript or Binaryen version) is a miss", () => {
    const parts = cache.compiler!;
    for (const codeDir of parts.codeDirs) {
      const file = path.join(codeDir, fs.readdirSync(codeDir).find((n) => /\.(js|ts)$/.test(n) && !n.endsWith(".d.ts"))!);
      const original = fs.readFileSync(file, "utf8");
      fs.writeFileSync(file, original + "\n// changed\n");
      expect(lookup(), file).toBeNull();
      fs.writeFileSync(file, original);
      expect(lookup()).not.toBeNull();
    }
    for (const pkg of parts.packages) {
      const original = fs.readFileSync(pkg, "utf8");
      const json = JSON.parse(original);
      fs.writeFileSync(pkg, JSON.stringify({ ...json, version: json.version + "-next" }));
      expect(lookup(), pkg).toBeNull();
      fs.writeFileSync(pkg, original);
      expect(lookup()).not.toBeNull();
    }
    // The same code in another place is another compiler too (it reads another package's kernel sources).
    const moved = path.join(dir, "moved");
    fs.cpSync(parts.codeDirs[0], moved, { recursive: true });
    expect(lookupBuild({ app }, { ...cache, compiler: { ...parts, codeDirs: [moved, ...parts.codeDirs.slice(1)] } })).toBeNull();
  });

  it("a damaged entry is never trusted (a lookup misses, so the CLI builds)", () => {
    const entries = fs.readdirSync(cache.dir!);
    for (const entry of entries) fs.writeFileSync(path.join(cache.dir!, entry, "manifest.json"), "{broken");
    expect(lookup()).toBeNull();
    // A manifest that parses but is not one.
    for (const entry of entries) fs.writeFileSync(path.join(cache.dir!, entry, "manifest.json"), JSON.stringify({ format: 2 }));
    expect(lookup()).toBeNull();
  });
});
