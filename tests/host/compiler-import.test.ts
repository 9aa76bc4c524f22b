/**
 * Issue 11's bad inputs that reach the compiler from a user's script or app:
 * an uncaught error in a script that imports the compiler reads as Node
 * prints it anywhere (not megabytes of Binaryen's minified source), and
 * configure() is found however the app exports it, its settings checked at
 * boot.
 */
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/machine.js";

const ROOT = path.resolve(__dirname, "../..");

describe("a script that imports the compiler", () => {
  it("shows its own uncaught error, as Node would without the compiler", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-uncaught-"));
    const script = path.join(dir, "script.mjs");
    const build = JSON.stringify(path.join(ROOT, "dist/js/compiler/build.js"));
    for (const body of [`setTimeout(() => { throw new Error("my own bug"); }, 1);`, `throw new Error("my own bug");`]) {
      fs.writeFileSync(script, `import { build } from ${build};\nvoid build;\n${body}\n`);
      const r = spawnSync(process.execPath, [script], { encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("Error: my own bug");
      expect(r.stderr.length).toBeLessThan(2000);
    }
  });
});

describe("configure()", () => {
  it("is found when exported as `export { configure }` (a comment naming it changes nothing); a tick rate SysTick cannot make is refused at boot", async () => {
    const wasm = await firmware("configure-export-list", [
      `import { debug, Config } from "hoprt";`,
      `// configure() is exported below, in an export list, not as "export function configure".`,
      `function configure(cfg: Config): void { cfg.tickHz = 200_000_000; }`,
      `export { configure };`,
      `export function main(): void { debug.print("main ran"); }`,
      ``,
    ].join("\n"));
    const m = Machine.loadSync(wasm);
    const refused = /the firmware failed while booting: configure: tickHz 200000000 is out of range: SysTick at 168000000 Hz ticks at 11\.\.168000 Hz/;
    expect(() => m.runFor("1ms")).toThrow(refused);
    expect(() => m.runFor("1ms")).toThrow(refused);
    expect(m.console.lines).not.toContain("main ran");
  });
});
