import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cachedBuild } from "../../js/compiler/cache.js";

describe("the CLI's build cache", () => {
  it("a second build of an unchanged app is a hit; editing any file it was built from is a miss", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-cache-test-"));
    const cacheDir = path.join(dir, "cache");
    const app = path.join(dir, "app.ts");
    fs.writeFileSync(path.join(dir, "helper.ts"), `export function greeting(): string { return "one"; }\n`);
    fs.writeFileSync(app, `import { debug } from "hoprt";\nimport { greeting } from "./helper";\nexport function main(): void { debug.print(greeting()); }\n`);

    const cold = await cachedBuild({ app }, { dir: cacheDir });
    expect(cold.cached).toBe(false);
    const warm = await cachedBuild({ app }, { dir: cacheDir });
    expect(warm.cached).toBe(true);
    expect(Buffer.from(warm.wasm).equals(Buffer.from(cold.wasm))).toBe(true);
    expect(warm.report.bounds).toEqual(cold.report.bounds);

    // An imported file changes: rebuilt, and the new firmware differs.
    fs.writeFileSync(path.join(dir, "helper.ts"), `export function greeting(): string { return "two"; }\n`);
    const edited = await cachedBuild({ app }, { dir: cacheDir });
    expect(edited.cached).toBe(false);
    expect(Buffer.from(edited.wasm).equals(Buffer.from(cold.wasm))).toBe(false);
    expect((await cachedBuild({ app }, { dir: cacheDir })).cached).toBe(true);

    // Another SRAM size is another firmware.
    expect((await cachedBuild({ app, sramBytes: 64 * 1024 }, { dir: cacheDir })).cached).toBe(false);

    // A damaged entry is rebuilt, never trusted.
    for (const entry of fs.readdirSync(cacheDir)) fs.writeFileSync(path.join(cacheDir, entry, "manifest.json"), "{broken");
    expect((await cachedBuild({ app }, { dir: cacheDir })).cached).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
