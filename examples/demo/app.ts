// The demo `npm start` runs: a sensor task producing readings into a
// channel, a logger consuming them, a heartbeat, and a CPU-bound
// background task soaking up what is left, at the lowest application priority.
import { task, time, debug, Channel, Semaphore } from "hoprt";

const readings = new Channel<u32>(4);
const heartbeat = new Semaphore(1, 0);

function sensor(arg: u32): void {
  let value: u32 = 20;
  while (true) {
    value = (value * 1103515245 + 12345) & 0x7FFF;
    readings.send(200 + value % 100);
    time.sleepMs(100);
  }
}

function logger(arg: u32): void {
  let n = 0;
  while (true) {
    const r = readings.receive();
    n++;
    if (n % 4 == 0) debug.print("t=" + time.nowMs().toString() + "ms reading #" + n.toString() + " = " + r.toString());
  }
}

function blinker(arg: u32): void {
  let on = false;
  while (true) {
    on = !on;
    debug.print("t=" + time.nowMs().toString() + "ms LED " + (on ? "on" : "off"));
    time.sleepMs(500);
  }
}

function background(arg: u32): void {
  let x: u32 = 1;
  while (true) {
    for (let i = 0; i < 100_000; i++) x = x * 1664525 + 1013904223;
    task.yieldCurrent();
  }
}

export function main(): void {
  debug.print("HopRT demo: four tasks on a virtual STM32F407");
  task.build().entry(sensor).name("sensor").priority(3).spawn();
  task.build().entry(logger).name("logger").priority(4).spawn();
  task.build().entry(blinker).name("blinker").priority(5).spawn();
  task.build().entry(background).name("background").priority(12).spawn();
}
