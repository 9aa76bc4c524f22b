// The collector under random mixes (tests/host/gc.test.ts): the host fires, at random
// cycles, a handler that spawns a worker task, a handler that allocates and stores into a
// shared global array, and a handler that sends a string to a channel. Workers of one level
// preempt each other at every tick; each allocates strings and arrays of a size decided by its
// sequence number (some big enough that zeroing them takes many check points), keeps them on
// its stack across sleeps and yields, passes some through the channel, and checks every one
// before it exits. Line 4 asks the auditor to wait for every worker to end, drain the channel,
// clear the handler's slots, collect, and report; the host compares the heap with the baseline.
import { task, time, irq, debug, Channel, Mailbox, ISR_FAILED } from "hoprt";

const mail = new Channel<string>(8);
const isrSlots = new Array<string | null>(4);
const auditBox = new Mailbox();
let bad: u32 = 0;
let seq: u32 = 0;
let isrSeq: u32 = 0;
/** Workers spawned and not yet at their end. */
let live: i32 = 0;

function hash(s: string): u32 {
  let h: u32 = 2166136261;
  for (let k = 0; k < s.length; k++) h = (h ^ <u32>s.charCodeAt(k)) * 16777619;
  return h;
}

/** A string that carries its own checksum after '#'. */
function sealed(prefix: string, n: u32): string {
  const body = prefix + n.toString() + "." + (n * 2654435761).toString();
  return body + "#" + hash(body).toString();
}

function intact(s: string): bool {
  const at = s.lastIndexOf("#");
  if (at < 0) return false;
  return s.substring(at + 1) == hash(s.substring(0, at)).toString();
}

function worker(n: u32): void {
  const strings = 4 + <i32>(n % 13);
  const kept = new Array<string>(0);
  for (let k = 0; k < strings; k++) kept.push(sealed("w" + n.toString() + ".", <u32>k));
  const words = 8 + <i32>((n * 97) % 300);
  const arr = new Array<u32>(words);
  for (let j = 0; j < words; j++) arr[j] = <u32>j * n + 1;
  for (let r = 0; r < 3 + <i32>(n % 4); r++) {
    if (((n + <u32>r) & 1) == 0) time.sleepTicks(1); else task.yieldCurrent();
    // Churn: garbage while the kept objects live only on this (suspended) stack.
    let g = "";
    for (let k = 0; k < 6; k++) g += sealed("g", <u32>k);
    if (g.length < 60) { bad++; debug.print("corrupt garbage"); }
    if (mail.trySend(sealed("m" + n.toString() + ".", <u32>r))) {}
    if (mail.tryReceive() && !intact(mail.received)) { bad++; debug.print("corrupt message " + mail.received); }
  }
  for (let k = 0; k < kept.length; k++) if (!intact(kept[k])) { bad++; debug.print("corrupt kept " + kept[k]); }
  for (let j = 0; j < words; j++) if (arr[j] != <u32>j * n + 1) { bad++; debug.print("corrupt array " + n.toString()); break; }
  live--;
}

function onSpawn(): void {
  seq++;
  if (task.build().entry(worker).arg(seq).priority(6).timeslice(1).spawn() >= 0) live++;
}
function onIsrStore(): void {
  isrSeq++;
  isrSlots[<i32>(isrSeq & 3)] = sealed("i", isrSeq);
}
function onIsrSend(): void {
  isrSeq++;
  if (mail.sendFromIsr(sealed("s", isrSeq)) == ISR_FAILED) {}
}
function onAudit(): void { auditBox.notifyFromIsr(); }

/** Clear dead frames below the stack pointer, as later calls would, so stale words keep nothing. */
function scrub(): void {
  const sp = __stack_pointer;
  for (let p = sp - 1024; p < sp; p += 4) store<u32>(p, 0);
}

function settle(): void {
  scrub();
  __collect();
  __collect();
}

/** In its own frame, dead (and scrubbed) by the time the auditor collects: no stale word keeps a message. */
function checkAndClear(): void {
  for (let k = 0; k < 4; k++) {
    const s = isrSlots[k];
    if (s != null && !intact(s!)) { bad++; debug.print("corrupt slot " + s!); }
    isrSlots[k] = null;
  }
  while (mail.tryReceive()) if (!intact(mail.received)) { bad++; debug.print("corrupt queued " + mail.received); }
  mail.received = "";
}

function report(): void {
  debug.print("audit " + bad.toString() + " " + seq.toString());
}

// Its own frame holds no reference: everything it checks and prints happens in callees.
function auditor(arg: u32): void {
  // Each audit does the same: the first one (before any mix) gives the host its baseline.
  let baseTasks: i32 = -1;
  while (true) {
    auditBox.wait();
    // Every worker has ended (returned, or panicked out of memory) and been reclaimed.
    while (live > 0 && baseTasks < 0) time.sleepTicks(1);
    if (baseTasks < 0) baseTasks = task.count();
    while (task.count() > baseTasks) time.sleepTicks(1);
    time.sleepTicks(2); // the last workers' memory is reclaimed
    checkAndClear();
    settle();
    report();
  }
}

export function main(): void {
  irq.attach(1, onSpawn, 4);
  irq.attach(2, onIsrStore, 3);
  irq.attach(3, onIsrSend, 5);
  irq.attach(4, onAudit, 6);
  for (let n = 1; n <= 4; n++) irq.enable(n);
  // A static stack: scrub() clears 1 KiB below its stack pointer, which in a stacklet would be another heap block.
  task.build().entry(auditor).priority(10).name("auditor").staticStack(4096).spawn();
}
