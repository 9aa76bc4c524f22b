// Random mixes of semaphore and channel operations from tasks and ISRs; an
// auditor task checks the invariants when line 15 fires after the mix. It
// runs below every worker, so it audits a quiescent system: every hand-off
// has been taken up by the woken task. See tests/host/property.test.ts.
import { task, debug, irq, Semaphore, Channel, Mailbox, CondVar, Mutex, ISR_FAILED } from "hoprt";

const sem = new Semaphore(1_000_000, 0);
const ch = new Channel<u32>(4);
const giveBox = new Mailbox();
const sendBox = new Mailbox();
const auditBox = new Mailbox();

let gives: u32 = 0;
let takes: u32 = 0;
let sent: u32 = 0;
let received: u32 = 0;
let isrSeq: u32 = 0;
let taskSeq: u32 = 0;
const MAX_SEQ: u32 = 4096;
const seen = new StaticArray<u8>(2 * MAX_SEQ);
let duplicates: u32 = 0;
let outOfOrder: u32 = 0;
// Per receiver (0..2) and source (0 ISR, 1 task): the last sequence number seen, plus one.
const lastSeen = new StaticArray<u32>(6);

function record(receiver: i32, value: u32): void {
  const source = value >> 16;
  const n = value & 0xFFFF;
  const slot = <i32>(source * MAX_SEQ + n);
  if (unchecked(seen[slot]) != 0) duplicates++;
  unchecked(seen[slot] = 1);
  const k = receiver * 2 + <i32>source;
  if (n + 1 <= unchecked(lastSeen[k])) outOfOrder++;
  unchecked(lastSeen[k] = n + 1);
  received++;
}

function onGive(): void { sem.giveFromIsr(); gives++; }
function onSend(): void {
  if (isrSeq < MAX_SEQ && ch.sendFromIsr(isrSeq) != ISR_FAILED) { sent++; isrSeq++; }
}
function onReceive(): void { if (ch.receiveFromIsr() != ISR_FAILED) record(2, ch.received); }
function onKickGive(): void { giveBox.notifyFromIsr(); }
function onKickSend(): void { sendBox.notifyFromIsr(); }
function onAudit(): void { auditBox.notifyFromIsr(); }
// A handler that spawns a task (linked into the ready queue, or pended if the kernel lock is held)
// and one that notifies a condition variable.
let spawnedByIsr: u32 = 0;
let childrenRan: u32 = 0;
let notifies: u32 = 0;
let wakeups: u32 = 0;
const cvMutex = new Mutex();
const cv = new CondVar();
function spawned(arg: u32): void { childrenRan++; }
const childBuilder = task.build().entry(spawned).staticStack(512); // built once: the handler allocates nothing
function onSpawn(): void {
  if (childBuilder.priority(<i32>(3 + (spawnedByIsr % 6))).spawn() >= 0) spawnedByIsr++;
}
function onNotify(): void { notifies++; cv.notifyOne(); }
function cvWaiter(arg: u32): void {
  cvMutex.lock();
  while (true) { cv.wait(cvMutex); wakeups++; }
}

function taker(arg: u32): void { while (true) { sem.take(); takes++; } }
function receiver(arg: u32): void { while (true) { const v = ch.receive(); record(<i32>arg, v); } }
function giver(arg: u32): void { while (true) { giveBox.wait(); sem.give(); gives++; } }
function sender(arg: u32): void {
  while (true) {
    sendBox.wait();
    if (taskSeq < MAX_SEQ) { ch.send((1 << 16) | taskSeq); taskSeq++; sent++; }
  }
}

function auditor(arg: u32): void {
  while (true) {
    auditBox.wait();
    let problems = "";
    if (gives != takes + sem.count()) problems += " tokens(" + gives.toString() + "!=" + takes.toString() + "+" + sem.count().toString() + ")";
    if (sent != received + <u32>ch.count()) problems += " messages(" + sent.toString() + "!=" + received.toString() + "+" + ch.count().toString() + ")";
    if (duplicates != 0) problems += " duplicates";
    if (outOfOrder != 0) problems += " out-of-order";
    if (sem.count() > 0 && sem.waiting() > 0) problems += " taker-stuck";
    if (ch.count() > 0 && ch.receiversWaiting() > 0) problems += " receiver-stuck";
    if (ch.count() < ch.capacity && ch.sendersWaiting() > 0) problems += " sender-stuck";
    if (childrenRan != spawnedByIsr) problems += " spawned(" + spawnedByIsr.toString() + "!=" + childrenRan.toString() + ")";
    if (wakeups > notifies) problems += " wakeups";
    const kernel = debug.auditKernel();
    if (kernel != 0) problems += " kernel(" + kernel.toString() + ")";
    debug.print("audit " + (problems.length == 0 ? "ok" : "FAIL" + problems) + " gives " + gives.toString() + " sent " + sent.toString());
  }
}

export function main(): void {
  irq.attach(10, onGive, 3);
  irq.attach(11, onSend, 3);
  irq.attach(12, onReceive, 2);
  irq.attach(13, onKickGive, 4);
  irq.attach(14, onKickSend, 4);
  irq.attach(15, onAudit, 5);
  irq.attach(16, onSpawn, 2);
  irq.attach(17, onNotify, 3);
  for (let n = 10; n <= 17; n++) irq.enable(n);
  task.build().entry(cvWaiter).priority(5).spawn();
  task.build().entry(auditor).name("auditor").priority(12).spawn();
  task.build().entry(taker).arg(0).priority(3).spawn();
  task.build().entry(taker).arg(1).priority(5).spawn();
  task.build().entry(taker).arg(2).priority(5).spawn();
  task.build().entry(receiver).arg(0).priority(4).spawn();
  task.build().entry(receiver).arg(1).priority(6).spawn();
  task.build().entry(giver).priority(7).spawn();
  task.build().entry(sender).priority(8).spawn();
}
