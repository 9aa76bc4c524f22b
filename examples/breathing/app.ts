/**
 * Breathing tasks: four sensors, two work slots.
 *
 * A breathing task is init once, then forever: item = wait(state);
 * work(state, item). Its state lives on the heap; work runs on stacklets
 * that are freed when it returns, so a sensor that is waiting holds almost
 * no stack. At most task.setBreathingConcurrency(n) tasks are inside work
 * at once: every sensor has a reading ready every 10 ms, two of them work
 * on theirs (a filter with a deep recursion that waits 3 ms for the bus at
 * its deepest point, keeping its slot) and the other two wait for a slot.
 *
 * Watch the timeline (the third and fourth sensors start work when the
 * first two finish) and the tasks' stack bars (stack and stacklets jump in
 * work and fall back in wait). Change SLOTS to 4 and build again: all four
 * work at once.
 */
import { task, time, debug, stack } from "hoprt";

const SENSORS: u32 = 4;
const SLOTS: u32 = 2;
let busy: u32 = 0;
const ids: i32[] = [];

class Sensor {
  id: u32 = 0;
  readings: u32 = 0;
}

function init(id: u32): Sensor {
  const s = new Sensor();
  s.id = id;
  return s;
}

/** Waits for the next reading: the task holds no work frames while it sleeps here. */
function wait(s: Sensor): u32 {
  time.sleepMs(10 - <u32>(time.nowMs() % 10));
  debug.print("sensor " + s.id.toString() + ": reading " + s.readings.toString() + " ready at " + time.nowMs().toString() + " ms");
  return s.readings++;
}

/** A filter that needs a deep stack: one frame per step; the deepest step waits 3 ms for the bus. */
function smooth(steps: u32, value: u32): u32 {
  if (steps == 0) {
    time.sleepMs(3);                         // blocked inside work: keeps its slot and all its frames
    return value;
  }
  return (smooth(steps - 1, value) * 3 + value) / 4;
}

/** Handles a reading while holding one of the SLOTS work slots. */
function work(s: Sensor, reading: u32): void {
  busy++;
  debug.print("sensor " + s.id.toString() + ": works on reading " + reading.toString() + " at " + time.nowMs().toString() +
    " ms (" + busy.toString() + " of " + SLOTS.toString() + " slots busy)");
  const value = smooth(48, 100 + s.id * 10 + reading);
  busy--;
  debug.print("sensor " + s.id.toString() + ": reading " + reading.toString() + " = " + value.toString() + ", done at " + time.nowMs().toString() + " ms");
}

/** In the middle of the first round, compares the stack of a sensor in work with one's waiting for a slot. */
function monitor(arg: u32): void {
  time.sleepMs(12);
  const working = ids[0], waiting = ids[2];
  const big = stack.used(working), small = stack.used(waiting);
  debug.print("monitor at " + time.nowMs().toString() + " ms: sensor 0 (working) holds " + (big > 2 * small ? "more than twice" : "about") +
    " the stack of sensor 2 (waiting for a slot)" +
    (stack.stackletsOf(working) > stack.stackletsOf(waiting) ? ", in more stacklets" : ", in as many stacklets"));
}

export function main(): void {
  task.setBreathingConcurrency(SLOTS);
  for (let i: u32 = 0; i < SENSORS; i++) {
    ids.push(task.buildBreathing<Sensor>().init(init).wait(wait).work(work).arg(i).name("sensor" + i.toString()).priority(5).spawn());
  }
  task.build().entry(monitor).name("monitor").priority(2).spawn();
}
