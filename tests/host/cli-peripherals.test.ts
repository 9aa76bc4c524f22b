import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "bin/hoprt.js");

function hoprt(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", input: input ?? "" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("hoprt run with peripherals", () => {
  it("--uart 2 types stdin into USART2 and prints what it sends; console lines go to stderr", () => {
    const run = hoprt(["run", "examples/uart-echo/app.ts", "--uart", "2", "--for", "50ms"], "ping\npong\n");
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("ping\npong\n");
    expect(run.stderr).toBe("uart-echo: USART2 at 115200 baud\n");
  });

  it("--vcd writes the pins, IRQ lines and task as a VCD", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-vcd-"));
    const file = path.join(dir, "blinky.vcd");
    const run = hoprt(["run", "examples/blinky/app.ts", "--for", "600ms", "--vcd", file]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("step 1: green - - -\nstep 2: - orange - -\n");
    const vcd = fs.readFileSync(file, "utf8");
    expect(vcd).toMatch(/\$var wire 1 \S+ PD12 \$end/);
    expect(vcd).toMatch(/\$var wire 1 \S+ TIM2 \$end/);
    expect(vcd).toMatch(/\$var wire 8 \S+ task \$end/);
    expect(vcd).toContain("$enddefinitions $end");
  });

  it("refuses a USART the model does not have", () => {
    const run = hoprt(["run", "examples/uart-echo/app.ts", "--uart", "3"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('hoprt: --uart: "3" is not a USART of the model (1, 2 or 6)\n');
  });
});
