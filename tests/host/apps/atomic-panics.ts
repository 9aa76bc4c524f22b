// Panics raised inside code the build leaves out of Asyncify (tests/host/unwindable.test.ts,
// slicing.test.ts; js/compiler/unwindable.ts panicsByTrap): an abort inside the allocator (a double free, a
// request over TLSF's largest block, an unaligned free), a bus fault on a store, each in a
// restartable task and in an interrupt handler, while other tasks allocate, sleep and
// preempt them. Such a panic ends in a trap that the host turns back into the panic; the
// control is a plain trap in application code. Cleanup handlers count what was unwound.
import { task, time, debug, unwind, irq, mmio } from "hoprt";

const KINDS: u32 = 5;
const HANDLER_LINE: i32 = 17; // one of the lines tests/host/slicing.test.ts injects

let cleanups: u32 = 0;
let rounds = new StaticArray<u32>(<i32>KINDS);
let handlerRuns: u32 = 0;

function fail(kind: u32): void {
  // The runtime's own entry points: the kernel's heap accounting (heapAlloc / heapFree) stays right.
  if (kind == 0) {
    const p = __alloc(48);
    __free(p);
    __free(p);                 // TLSF's checkUsedBlock: "must be used"
  } else if (kind == 1) {
    __alloc(0x7FFF_FFF0);      // TLSF's prepareSize: allocation too large
  } else if (kind == 2) {
    const p = __alloc(64);
    __free(p);
    __free(p + 2);             // unaligned: checkUsedBlock's other test
  } else if (kind == 3) {
    mmio.write32(0x5100_0000, 1); // no peripheral answers: a bus fault in the bus's store
  } else {
    unreachable();             // a trap of the application's own: reported as a fault
  }
}

function counted(arg: u32): void { cleanups++; }

function panicker(kind: u32): void {
  unwind.defer(counted, kind);
  // Work before the panic, so that it lands at different cycles of each round.
  let junk = new Array<u32>(<i32>(8 + kind * 3));
  for (let i = 0; i < junk.length; i++) junk[i] = i * kind;
  time.sleepTicks(1 + kind);
  rounds[kind]++;
  fail(kind);
  debug.print("kind " + kind.toString() + " came back (never)");
}

function allocator(arg: u32): void {
  let keep = new Array<string>(0);
  let n: u32 = 0;
  while (true) {
    keep.push("item " + n.toString());
    if (keep.length > 12) keep.shift();
    if (++n % 7 == 0) time.sleepTicks(1);
  }
}

function onIrq(): void {
  handlerRuns++;
  if (handlerRuns % 2 == 1) fail(handlerRuns % 4 == 1 ? 0 : 3);
  else fail(1);
}

function reporter(arg: u32): void {
  while (true) {
    time.sleepMs(5);
    let line = "cleanups " + cleanups.toString() + " handler " + handlerRuns.toString() + " rounds";
    for (let k: u32 = 0; k < KINDS; k++) line += " " + rounds[k].toString();
    debug.print(line + " audit " + debug.auditKernel().toString() + " at " + time.cycles().toString());
  }
}

export function main(): void {
  irq.attach(HANDLER_LINE, onIrq, 3);
  irq.enable(HANDLER_LINE);
  for (let k: u32 = 0; k < KINDS; k++) task.build().entry(panicker).arg(k).name("panicker").priority(4 + <i32>(k & 1)).spawnRestartable();
  task.build().entry(allocator).name("allocator").priority(8).spawn();
  task.build().entry(reporter).name("reporter").priority(2).spawn();
}
