// gc (bench and tests/host/gc.test.ts): four tasks of one level allocate strings and arrays,
// preempting each other at every tick; strings go through a channel to a blocked receiver;
// a handler allocates and stores into a shared global while collections run; a priority-0
// probe (IRQ 7, raised by the host) measures interrupt entry during all of it.
import { task, time, irq, debug, Channel } from "hoprt";

const CHECK_EVERY: u32 = 64;
const mail = new Channel<string>(2);
/** Written by the handler (a reference stored into a global and into an array while collections run). */
let fromIsr: string = "isr 0";
const isrKept = new Array<string | null>(8);
let isrCount: u32 = 0;
export let bad: u32 = 0;
/** Loop iterations done by the churn tasks (the collector's throughput cost shows here). */
let iterations: u32 = 0;

function text(i: u32, arg: u32): string {
  return "item " + i.toString() + " of " + arg.toString();
}

function sum(s: string): u32 {
  let h: u32 = 0;
  for (let k = 0; k < s.length; k++) h = h * 31 + <u32>s.charCodeAt(k);
  return h;
}

function churn(arg: u32): void {
  let kept = new Array<string>(0);
  let keptSum: u32 = 0;
  for (let i: u32 = 0; ; i++) {
    iterations++;
    const s = text(i, arg);
    const a = new Array<u32>(16 + <i32>(i & 15));
    a[0] = i;
    if ((i & 7) == 0) { kept.push(s); keptSum += sum(s); }
    if (kept.length > 64) {
      // Every kept string is still what it was when it was made.
      let now: u32 = 0;
      for (let k = 0; k < kept.length; k++) now += sum(kept[k]);
      if (now != keptSum) { bad++; debug.print("corrupt kept " + arg.toString()); }
      kept = new Array<string>(0);
      keptSum = 0;
    }
    if (a[0] != i) { bad++; debug.print("corrupt array " + arg.toString()); }
    if (arg == 1 && (i % CHECK_EVERY) == 0) {
      mail.send(text(i, 99));           // to the receiver, blocked in receive(): held in its control block
      irq.pend(1);
    }
  }
}

function receiver(arg: u32): void {
  for (let n: u32 = 0; ; n++) {
    const s = mail.receive();
    if (!s.startsWith("item ") || !s.endsWith(" of 99")) { bad++; debug.print("corrupt message " + s); }
    time.sleepTicks(1);
  }
}

function allocatingHandler(): void {
  isrCount++;
  const s = "isr " + isrCount.toString();
  fromIsr = s;
  isrKept[<i32>(isrCount & 7)] = s;
}

function probe(): void {}

function checker(arg: u32): void {
  while (true) {
    time.sleepMs(2);
    const expect = "isr " + isrCount.toString();
    if (fromIsr != expect && isrCount > 0) { bad++; debug.print("corrupt isr " + fromIsr + " != " + expect); }
    for (let k = 0; k < 8; k++) {
      const s = isrKept[k];
      if (s != null && !s!.startsWith("isr ")) { bad++; debug.print("corrupt isr slot"); }
    }
    debug.print("ok " + bad.toString() + " " + iterations.toString());
  }
}

export function main(): void {
  irq.attach(1, allocatingHandler, 3);
  irq.enable(1);
  irq.attach(7, probe, 0);
  irq.enable(7);
  for (let t: u32 = 1; t <= 4; t++) task.build().entry(churn).arg(t).priority(6).timeslice(1).spawn();
  task.build().entry(receiver).priority(6).timeslice(1).name("receiver").spawn();
  task.build().entry(checker).priority(2).name("checker").spawn();
}
