/**
 * The C host (examples/embed-c): a firmware through wasm2c and the system C
 * compiler runs natively with the same console and the same final cycle as
 * the Node host. Needs Debian's wabt and gcc (.ci/run installs them): when
 * they are missing this test fails saying so, it never skips.
 */
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Machine } from "../../js/host/machine.js";

const ROOT = path.resolve(__dirname, "../..");
const EXAMPLE = path.join(ROOT, "examples/embed-c");

function have(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

describe("examples/embed-c: a HopRT firmware in a C program", () => {
  it("prints the same console and ends on the same cycle as the Node host", () => {
    const missing = ["wasm2c", process.env.CC ?? "cc"].filter((t) => !have(t));
    if (!fs.existsSync("/usr/share/wabt/wasm2c/wasm-rt-impl.c")) missing.push("/usr/share/wabt/wasm2c/wasm-rt-impl.c");
    if (missing.length) {
      throw new Error(`this test needs Debian's wabt and gcc (missing: ${missing.join(", ")}): apt-get install -y wabt gcc (.ci/run does it)`);
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-embed-c-"));
    const built = spawnSync("sh", [path.join(EXAMPLE, "build.sh"), path.join(EXAMPLE, "app.ts"), out], { encoding: "utf8" });
    expect(built.stderr + built.stdout).toMatch(/built .*hoprt-c/);
    expect(built.status).toBe(0);

    const cycles = 8_400_000; // 50 ms
    const native = spawnSync(path.join(out, "hoprt-c"), [String(cycles)], { encoding: "utf8" });
    expect(native.status).toBe(0);

    const m = Machine.loadSync(fs.readFileSync(path.join(out, "firmware.wasm")));
    m.runFor(cycles);
    // The trap names its function (name section) and line (hoprt.sourcemap).
    expect(m.panics().map((p) => [p.where, p.reason, p.message])).toEqual([["task faulty", "trap", "divide by zero in app/faulty at app.ts:16:29"]]);
    expect(m.console.lines[0]).toBe("héllo from HopRT ✓ " + "=".repeat(1500));
    expect(m.console.lines.length).toBe(9);
    expect(native.stdout).toBe(m.console.lines.join("\n") + "\n");
    expect(native.stderr).toBe(`cycles ${m.cycles}\n`);
  });
});
