/**
 * A restartable task and cleanup handlers.
 *
 * The sampler reads a sensor every 2 ms and keeps the shared log under a
 * mutex. Every fifth sample is out of range and the sampler panics with
 * the mutex held and its "LED" on. Its cleanup handler switches the LED
 * off; the kernel releases the mutex poisoned; a new instance of the
 * sampler (a new id) starts at once while the old one unwinds at priority
 * 13. The logger sees the poisoned mutex and clears it. Watch the trace:
 * panic, restart, unwind_done.
 */
import { task, time, debug, unwind, panic, Mutex, POISONED } from "hoprt";

const log = new Mutex();
let samples: u32 = 0;
let ledOn = false;

function ledOff(sampler: u32): void {
  ledOn = false;
  if (unwind.unwinding()) debug.print("sampler " + sampler.toString() + ": LED off (cleanup after its panic)");
}

function sample(n: u32): u32 {
  const value = (n * 37) % 100;
  if (n % 5 == 4) panic("sample " + n.toString() + " out of range");
  return value;
}

function sampler(arg: u32): void {
  debug.print("sampler " + task.current().toString() + " starts (restart " + task.restarts().toString() + ")");
  for (let i = 0; i < 8; i++) {
    takeSample();
    time.sleepMs(2);
  }
}

/** One sample with the LED on and the log locked; the LED goes off when this returns, or if it panics. */
function takeSample(): void {
  log.lock();
  ledOn = true;
  unwind.defer(ledOff, <u32>task.current());
  const v = sample(samples++);
  debug.print("sample " + v.toString());
  log.unlock();
}

function logger(arg: u32): void {
  for (let i = 0; i < 10; i++) {
    time.sleepMs(3);
    if (log.lock() == POISONED) {
      debug.print("logger: a sampler died holding the log; LED " + (ledOn ? "on" : "off"));
      log.clearPoison();
    }
    log.unlock();
  }
}

export function main(): void {
  task.build().entry(sampler).name("sampler").priority(5).spawnRestartable();
  task.build().entry(logger).name("logger").priority(6).spawn();
}
