// Every panic source, each in its own task with a cleanup handler; a
// survivor runs throughout (tests/host/unwind.test.ts).
import { task, time, debug, unwind, panic, mmio } from "hoprt";

function cleanup(arg: u32): void { debug.print("cleanup " + arg.toString()); }

function recurse(n: u32): u32 { return n == 0 ? 0 : 1 + recurse(n - 1); }
let hoard: ArrayBuffer[] = [];

function source(kind: u32): void {
  unwind.defer(cleanup, kind);
  debug.print("source " + kind.toString());
  if (kind == 0) panic("explicit panic");
  if (kind == 1) abort("abort with a message");
  if (kind == 2) abort();
  if (kind == 3) assert(kind == 0, "an assertion");
  if (kind == 4) throw new Error("a thrown error");
  if (kind == 5) unreachable();
  if (kind == 6) debug.print("depth " + recurse(100000).toString());
  if (kind == 7) mmio.read32(0x5100_0000);
  if (kind == 8) {
    const mine: ArrayBuffer[] = [];
    while (true) mine.push(new ArrayBuffer(4096));
  }
  debug.print("not reached " + kind.toString());
}

function survivor(arg: u32): void {
  for (let i = 0; i < 12; i++) { time.sleepMs(1); debug.print("alive " + i.toString()); }
  debug.print("audit " + debug.auditKernel().toString());
}

export function main(): void {
  task.build().entry(survivor).name("survivor").priority(2).spawn();
  for (let kind: u32 = 0; kind < 9; kind++) {
    task.build().entry(source).arg(kind).name("source" + kind.toString()).priority(3).staticStack(2048).spawn();
    time.sleepMs(1);
  }
}
