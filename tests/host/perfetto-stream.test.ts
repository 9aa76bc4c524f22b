/**
 * The Perfetto export streamed (trace.streamPerfetto, `hoprt run --trace`):
 * the same text as toPerfetto over the kept events, however the run is
 * sliced, while the host keeps no events at all.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/index.js";

const APP = `
import { task, time, debug, Semaphore } from "hoprt";
const ready = new Semaphore(4, 0);
function producer(arg: u32): void {
  for (let i: u32 = 0; i < 20; i++) { time.sleepMs(3); ready.give(); }
}
function consumer(arg: u32): void {
  while (true) { ready.take(); debug.print("got " + time.nowMs().toString()); }
}
export function main(): void {
  task.build().entry(producer).name("producer").priority(6).spawn();
  task.build().entry(consumer).name("consumer").priority(5).spawn();
}
`;

let wasm: Uint8Array;
let whole: string;
beforeAll(async () => {
  wasm = await firmware("perfetto-stream", APP);
  const m = Machine.loadSync(wasm, { traceWindow: Infinity });
  m.runFor("80ms");
  whole = m.trace.toPerfetto();
});

describe("streamed Perfetto export", () => {
  it("is toPerfetto's text, in pieces as the run goes, sliced any way, with no events kept", () => {
    const m = Machine.loadSync(wasm, { collectTrace: false });
    const pieces: string[] = [];
    const writer = m.trace.streamPerfetto((chunk) => pieces.push(chunk));
    let seenBeforeEnd = 0;
    for (let i = 0; i < 97; i++) {
      m.runFor(80n * 168_000n / 97n + (i < (80 * 168_000) % 97 ? 1n : 0n));
      if (i === 48) seenBeforeEnd = pieces.length;
    }
    expect(m.cycles).toBe(Machine.loadSync(wasm).runFor("80ms").cycles);
    expect(seenBeforeEnd).toBeGreaterThan(10); // it streams: slices went out mid-run
    writer.end();
    expect(m.trace.events()).toEqual([]);
    expect(pieces.join("")).toBe(whole);
    const doc = JSON.parse(whole);
    const running = doc.traceEvents.filter((e: any) => e.ph === "X" && e.name === "running");
    expect(running.length).toBeGreaterThan(40);
    expect(doc.traceEvents.filter((e: any) => e.ph === "s").length).toBeGreaterThan(10); // wake flows
    // After end(), later events write nothing: the document stays closed and valid.
    m.runFor("5ms");
    writer.end();
    expect(pieces.join("")).toBe(whole);
  });

  it("`hoprt run --trace` writes it while the host keeps no events", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-perfetto-"));
    fs.writeFileSync(path.join(dir, "app.wasm"), wasm);
    const r = spawnSync(process.execPath, [path.resolve(__dirname, "../../bin/hoprt.js"), "run", "app.wasm", "--for", "80ms", "--trace", "t.json", "--stats"], { cwd: dir, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean).length).toBe(20);
    expect(r.stderr).toMatch(/^trace: 0 events kept, 0 lost;/m);
    const written = fs.readFileSync(path.join(dir, "t.json"), "utf8");
    // The CLI's run ends where the host's did: the same document.
    const m = Machine.loadSync(wasm, { traceWindow: Infinity });
    m.boot();
    const start = m.cycles;
    m.runFor(80n * 168_000n - (m.cycles - start));
    expect(JSON.parse(written).traceEvents.length).toBe(JSON.parse(m.trace.toPerfetto()).traceEvents.length);
    expect(written).toBe(m.trace.toPerfetto());
  });
});
