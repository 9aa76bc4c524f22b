/**
 * `hoprt run --uart 2` at a terminal: a pseudo-terminal (python3's pty
 * module; .ci/run's Debian has python3) stands in for the user's. The CLI
 * puts it in raw mode while it runs (no line buffering, no local echo), so a
 * key reaches USART2 as it is typed, without Enter, and only the firmware's
 * echo comes back; Ctrl-C ends the run with exit 130 and the terminal's
 * modes are restored.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { firmware } from "./support.js";

const BIN = path.resolve(__dirname, "../../bin/hoprt.js");
const SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/uart-echo/app.ts"), "utf8");

// Runs the CLI on the slave side of a pty and plays the user at the master side; prints a JSON report.
const DRIVER = String.raw`
import json, os, pty, select, sys, termios, time

node, bin, wasm = sys.argv[1:4]
master, slave = pty.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    os.close(master)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(node, [node, bin, "run", wasm, "--uart", "2", "--for", "60s"])

out = b""
def read_for(seconds, until=None):
    global out
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
            if until is not None and until in out:
                return

def lflag():
    return termios.tcgetattr(slave)[3]

before = lflag()
read_for(20, b"baud")                 # the firmware is up (its console line, on stderr: the same pty)
running = lflag()
start = len(out)
os.write(master, b"hi")               # no Enter
read_for(10, b"hi")
time.sleep(0.3)                       # a local echo would have shown by now
read_for(0.2)
typed = out[start:]
os.write(master, b"\x03")             # Ctrl-C
read_for(10)
_, status = os.waitpid(pid, 0)
after = lflag()
flags = lambda f: {"echo": bool(f & termios.ECHO), "icanon": bool(f & termios.ICANON)}
print(json.dumps({
    "before": flags(before), "running": flags(running), "after": flags(after),
    "typed": typed.decode("latin-1"), "exit": os.waitstatus_to_exitcode(status),
    "output": out.decode("latin-1"),
}))
`;

let wasm: string;
beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-tty-"));
  wasm = path.join(dir, "echo.wasm");
  fs.writeFileSync(wasm, await firmware("example-uart-echo", SOURCE));
  fs.writeFileSync(path.join(dir, "driver.py"), DRIVER);
});

describe("hoprt run --uart at a terminal", () => {
  it("sends keys raw as typed, echoes nothing locally, and restores the terminal on Ctrl-C (exit 130)", () => {
    const r = spawnSync("python3", [path.join(path.dirname(wasm), "driver.py"), process.execPath, BIN, wasm], { encoding: "utf8", timeout: 90_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report.before).toEqual({ echo: true, icanon: true });
    expect(report.running).toEqual({ echo: false, icanon: false });
    // Without Enter, "hi" reached USART2 and came back once: the firmware's echo, no local one.
    expect(report.typed).toBe("hi");
    expect(report.exit).toBe(130);
    expect(report.after).toEqual({ echo: true, icanon: true });
    expect(report.output).toContain("uart-echo: USART2 at 115200 baud");
  });
});
