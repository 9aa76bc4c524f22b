import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine, ofKind } from "./support.js";

const SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/priority-inversion/app.ts"), "utf8");

describe("examples/priority-inversion (a playground example)", () => {
  it("with inheritance the high task waits only for the low task's critical section", async () => {
    const m = await machine("example-priority-inversion", SOURCE);
    m.runFor("20ms");
    expect(m.panics()).toEqual([]);
    expect(m.console.lines).toEqual([
      "low: has the mutex at 0 ms",
      "high: wants the mutex at 1 ms",
      "low: unlocks at 3 ms",
      "high: got it after 2 ms (inheritance on)",
      "medium: starts computing at 3 ms",
      "medium: done at 9 ms",
    ]);
    // The low task ran at the high task's priority (2) while it held the mutex.
    const [low] = m.idsNamed("low");
    expect(ofKind(m.trace.events(), "inherit").map((e) => [e.context, e.b])).toEqual([[low, 2]]);
  });

  it("without it (INHERIT = false) the medium task runs first: the inversion", async () => {
    const m = await machine("example-priority-inversion-off", SOURCE.replace("const INHERIT = true;", "const INHERIT = false;"));
    m.runFor("20ms");
    expect(m.console.lines).toEqual([
      "low: has the mutex at 0 ms",
      "high: wants the mutex at 1 ms",
      "medium: starts computing at 2 ms",
      "medium: done at 8 ms",
      "low: unlocks at 9 ms",
      "high: got it after 8 ms (inheritance off: inverted)",
    ]);
    expect(ofKind(m.trace.events(), "inherit")).toEqual([]);
  });
});
