// stackMemory: the reference workload, 12 tasks: 9 sensors (periodic, with a deep
// processing phase), a logger, a command handler and main waiting for commands.
// STACKLOAD_MODE (bench/run.ts writes it first): 0 static 2 KiB stacks, 1 segmented
// stacks, 2 the sensors as breathing tasks on segmented stacks.
// STACKLOAD_DEEP: 0, the first reference: a sensor's processing phase is a recursion
// of 8 + 3 * arg levels with a multiply each, 68 to 644 bytes deeper than the 192 its
// task holds while it waits (shallower than the wait for most); 1, a processing phase
// of 24 + 4 * arg levels with 16 multiply steps each (a filter's taps), 452 to 1,220
// bytes deeper than the wait.
import { task, time, debug, Channel } from "hoprt";
const commands = new Channel<u32>(4);
const log = new Channel<u32>(8);
const DEPTH_BASE: u32 = STACKLOAD_DEEP ? 24 : 8;
const DEPTH_STEP: u32 = STACKLOAD_DEEP ? 4 : 3;
function filter(depth: u32, acc: u32): u32 {
  if (depth == 0) return acc;
  let x = acc * 1103515245 + 12345;
  if (STACKLOAD_DEEP) for (let k = 0; k < 15; k++) x = (x * 1103515245 + 12345) ^ (x >> 16);
  return filter(depth - 1, x ^ (x >> 16)) + 1;
}
function sensor(arg: u32): void {
  for (let n: u32 = 0; ; n++) {
    time.sleepMs(2 + arg);
    const v = filter(DEPTH_BASE + arg * DEPTH_STEP, n);           // the deep processing phase
    if ((n & 3) == 0) log.trySend(v);
  }
}
class Sensor { n: u32 = 0; constructor(public arg: u32) {} }
function sensorInit(arg: u32): Sensor { return new Sensor(arg); }
function sensorWait(s: Sensor): u32 { time.sleepMs(2 + s.arg); return s.n++; }
function sensorWork(s: Sensor, n: u32): void {
  const v = filter(DEPTH_BASE + s.arg * DEPTH_STEP, n);
  if ((n & 3) == 0) log.trySend(v);
}
function logger(arg: u32): void {
  while (true) { const v = log.receive(); if (v == 0xFFFFFFFF) debug.print("never"); }
}
function handler(arg: u32): void {
  while (true) { const c = commands.receive(); filter(c, c); }
}
export function main(): void {
  for (let i: u32 = 0; i < 9; i++) {
    if (STACKLOAD_MODE == 2) task.buildBreathing<Sensor>().init(sensorInit).wait(sensorWait).work(sensorWork).arg(i).priority(5).spawn();
    else if (STACKLOAD_MODE == 1) task.build().entry(sensor).arg(i).priority(5).spawn();
    else task.build().entry(sensor).arg(i).priority(5).staticStack(2048).spawn();
  }
  if (STACKLOAD_MODE == 0) {
    task.build().entry(logger).priority(6).staticStack(2048).spawn();
    task.build().entry(handler).priority(4).staticStack(2048).spawn();
  } else {
    task.build().entry(logger).priority(6).spawn();
    task.build().entry(handler).priority(4).spawn();
  }
  for (let k: u32 = 0; ; k++) { time.sleepMs(7); commands.send(20 + (k & 7)); }
}
