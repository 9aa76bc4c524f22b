/**
 * examples/as-pect as a user's project: its own as-pect specs import "hoprt",
 * "hoprt/testing" and the app's own module, run on the MCU model through the
 * `hoprt/as-pect` preset, and the same app builds with `hoprt build` and runs
 * as a firmware. The project gets a node_modules as `npm install` would give
 * it (hoprt linked to this repository, as-pect beside it), without network.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Machine } from "../../js/host/index.js";

const REPO = path.resolve(__dirname, "../..");
const EXAMPLE = path.join(REPO, "examples", "as-pect");

function asp(cwd: string) {
  const r = spawnSync(process.execPath, [path.join(cwd, "node_modules", "@as-pect", "cli", "bin", "asp.js"), "--no-logo"], {
    cwd, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" }, timeout: 240_000,
  });
  // as-pect colours its report whatever the environment says.
  const out = (r.stdout + r.stderr).replace(/\u001b\[[0-9;]*m/g, "");
  return { status: r.status, out };
}

let project: string;
beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-aspect-"));
  fs.cpSync(EXAMPLE, project, { recursive: true, filter: (f) => !f.includes("node_modules") });
  const modules = path.join(project, "node_modules");
  fs.mkdirSync(modules);
  for (const name of fs.readdirSync(path.join(REPO, "node_modules"))) {
    if (name === "hoprt" || name.startsWith(".")) continue;
    fs.symlinkSync(path.join(REPO, "node_modules", name), path.join(modules, name));
  }
  fs.symlinkSync(REPO, path.join(modules, "hoprt"));
});

describe("examples/as-pect: a user's own as-pect specs", () => {
  it("run their specs against the MCU model with the hoprt/as-pect preset", () => {
    const r = asp(project);
    expect(r.out).toContain("tests/counter.spec.ts Pass: 4 / 4");
    expect(r.out).toContain("[Result]: ✔ Pass!");
    expect(r.status).toBe(0);
  });

  it("fail when the model disagrees (a spec expecting an LED lit with its port's clock off)", () => {
    const wrong = path.join(project, "tests", "wrong.spec.ts");
    fs.writeFileSync(wrong, [
      `import { testing } from "hoprt/testing";`,
      `import { show, shown } from "../counter";`,
      `describe("wrong", () => {`,
      `  it("believes a gated port", () => { testing.resetMachine(); show(5); expect(shown()).toBe(5); });`,
      `});`,
    ].join("\n"));
    try {
      const r = asp(project);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain("tests/wrong.spec.ts Pass: 0 / 1");
      expect(r.out).toContain("believes a gated port");
      expect(r.out).toContain("tests/counter.spec.ts Pass: 4 / 4");
    } finally {
      fs.rmSync(wrong);
    }
  });

  it("fail a spec that blocks or sleeps with an error naming the call, not a trap dump or a hang", () => {
    const spec = path.join(project, "tests", "outside-machine.spec.ts");
    fs.copyFileSync(path.join(REPO, "tests", "host", "apps", "outside-machine.spec.ts"), spec);
    try {
      const r = asp(project);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain("tests/outside-machine.spec.ts Pass: 1 / 17");
      const why = (call: string, instead = "") =>
        `${call} would block or switch tasks, and a spec runs outside the machine (no task runs, no time passes, nothing switches). ` +
        `${instead}Test it in a firmware, with Machine from "hoprt/host" (docs/as-pect.md).`;
      const failed = [
        ["sleepMs", why("time.sleepMs")], ["sleepTicks", why("time.sleepTicks")], ["yield", why("task.yieldCurrent")], ["exit", why("task.exit")],
        ["take", why("Semaphore.take", "In a spec use tryTake(). ")], ["takeTimeout", why("Semaphore.takeTimeout", "In a spec use tryTake(). ")],
        ["lock", why("Mutex.lock", "In a spec use tryLock(). ")], ["lockTimeout", why("Mutex.lockTimeout", "In a spec use tryLock(). ")],
        ["send", why("Channel.send", "In a spec use trySend(). ")], ["sendTimeout", why("Channel.sendTimeout", "In a spec use trySend(). ")],
        ["receive", why("Channel.receive", "In a spec use tryReceive(). ")], ["receiveTimeout", why("Channel.receiveTimeout", "In a spec use tryReceive(). ")],
        ["wait", why("Mailbox.wait", "In a spec read pending(). ")], ["waitTimeout", why("Mailbox.waitTimeout", "In a spec read pending(). ")],
        ["condvar wait", why("CondVar.wait")], ["condvar waitTimeout", why("CondVar.waitTimeout")],
      ];
      const reported = r.out.split("\n").filter((l) => l.trim().startsWith("❌") && l.includes(" - ")).map((l) => l.trim());
      expect(reported).toEqual(failed.map(([name, message]) => `❌ ${name} - ${message}`));
      expect(r.out).not.toContain("RuntimeError");
      expect(r.out).toContain("tests/counter.spec.ts Pass: 4 / 4");
    } finally {
      fs.rmSync(spec);
    }
  });

  it("the app the specs test builds with `hoprt build` and counts presses as a firmware", async () => {
    const built = spawnSync(process.execPath, [path.join(REPO, "bin", "hoprt.js"), "build", "app.ts", "-o", "app.wasm"], { cwd: project, encoding: "utf8" });
    expect(built.stderr).toMatch(/^hoprt: wrote app.wasm \(\d+ bytes\)\n$/);
    expect(built.status).toBe(0);
    const m = await Machine.load(fs.readFileSync(path.join(project, "app.wasm")));
    const lines: string[] = [];
    m.console.on("line", (l: string) => lines.push(l));
    const button = m.gpio("PA0");
    for (let i = 1; i <= 3; i++) {
      button.setAt(BigInt(i) * 2_000_000n, 1);
      button.setAt(BigInt(i) * 2_000_000n + 500_000n, 0);
    }
    m.runFor("50ms");
    expect(lines).toEqual(["count 1", "count 2", "count 3"]);
    // 3 = 0b0011: green and orange lit.
    expect([m.gpio("PD12").get(), m.gpio("PD13").get(), m.gpio("PD14").get(), m.gpio("PD15").get()]).toEqual([1, 1, 0, 0]);
  });
});
