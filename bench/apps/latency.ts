// The interrupt-latency workload (bench irqLatency, tests/host/latency.test.ts).
// The host prepends `const SLEEPERS: i32 = n;` and `const ALLOCATE: bool`
// (children allocate: the collector's atomic stretch then counts too), and raises PROBE_IRQ at
// pseudo-random cycles. Tasks hammer the kernel: a semaphore ping-pong, three
// lockers sharing a mutex with priority inheritance, a channel producer and
// consumer fed also by a lower-priority ISR, a spawner whose children allocate
// and exit, and SLEEPERS tasks sleeping 1..13 ticks at a 10 kHz tick.
// The probe handler gives a semaphore: it uses the kernel like any handler,
// at priority 5, the highest kernel-aware priority of the mask build.
import { task, time, irq, Semaphore, Mutex, Channel, Config } from "hoprt";

export const PROBE_IRQ = 7;
const NOISE_IRQ = 8;

export function configure(cfg: Config): void {
  cfg.tickHz = 10000;
}

const probeSem = new Semaphore(1_000_000, 0);
const ping = new Semaphore(1, 0);
const pong = new Semaphore(1, 0);
const shared = new Mutex();
const ch = new Channel<u32>(4);
const childDone = new Semaphore(1, 0);
let sink: u32 = 0;

function onProbe(): void { probeSem.giveFromIsr(); }
function onNoise(): void { ch.sendFromIsr(0xFFFF); }

function probeTaker(arg: u32): void { while (true) probeSem.take(); }
function pinger(arg: u32): void { while (true) { ping.give(); pong.take(); } }
function ponger(arg: u32): void { while (true) { ping.take(); pong.give(); } }
function locker(arg: u32): void {
  while (true) {
    shared.lock();
    for (let i: u32 = 0; i < 20 + arg * 10; i++) sink += i;
    shared.unlock();
    time.sleepTicks(1 + arg);
  }
}
function producer(arg: u32): void {
  let i: u32 = 0;
  while (true) {
    ch.send(i++);
    if ((i & 7) == 0) { irq.pend(NOISE_IRQ); time.sleepTicks(1); }
  }
}
function consumer(arg: u32): void { while (true) sink += ch.receive(); }
function child(arg: u32): void {
  if (ALLOCATE) {
    const a = new Array<u32>(8);
    a[0] = arg;
    sink += <u32>a.length;
  }
  childDone.give();
}
// Built once: without ALLOCATE the workload allocates nothing after boot (the collector never runs).
const childBuilder = task.build().entry(child).priority(6).staticStack(1024);
function spawner(arg: u32): void {
  let n: u32 = 0;
  while (true) {
    if (childBuilder.arg(n++).spawn() >= 0) childDone.take();
    time.sleepTicks(2);
  }
}
function sleeper(arg: u32): void { while (true) time.sleepTicks(1 + (arg * 7) % 13); }

export function main(): void {
  irq.attach(PROBE_IRQ, onProbe, 5);
  irq.attach(NOISE_IRQ, onNoise, 9);
  irq.enable(PROBE_IRQ);
  irq.enable(NOISE_IRQ);
  task.build().entry(probeTaker).priority(1).spawn();
  task.build().entry(pinger).priority(10).spawn();
  task.build().entry(ponger).priority(10).spawn();
  task.build().entry(locker).arg(0).priority(4).spawn();
  task.build().entry(locker).arg(1).priority(7).spawn();
  task.build().entry(locker).arg(2).priority(11).spawn();
  task.build().entry(producer).priority(9).spawn();
  task.build().entry(consumer).priority(8).spawn();
  task.build().entry(spawner).priority(6).spawn();
  for (let i = 0; i < SLEEPERS; i++) task.build().entry(sleeper).arg(<u32>i).priority(2 + i % 4).staticStack(512).spawn();
}
