import { it } from "vitest";
import * as fs from "node:fs";
import { machine, ofKind } from "./support.js";
it("dbg", async () => {
  const src = fs.readFileSync(process.env.APP!, "utf8");
  const m = await machine("dbg", src);
  m.runFor(process.env.FOR ?? "200ms");
  console.log(m.console.lines.slice(0, 40).join("\n"));
  console.log(m.panics().map((p) => p.where + " " + p.reason + " " + p.detail + " " + (p.message ?? "") + " @" + p.cycle));
  const ev = m.trace.events();
  console.log("gc", ofKind(ev, "gc").length, "errors", ofKind(ev, "error").slice(0,5).map((e) => e.a + "/" + e.b));
});
