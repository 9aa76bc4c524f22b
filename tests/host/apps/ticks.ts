// Tick-rate, wrap and external-tick scenarios; the test fills in the settings.
import { task, time, debug, irq, Config, TickSource } from "hoprt";

export function configure(cfg: Config): void {
  cfg.tickHz = TICK_HZ;
  cfg.tickSource = TICK_SOURCE;
  cfg.startTick = START_TICK;
}

function sleeper(arg: u32): void {
  for (let i = 0; i < 10; i++) {
    const before = time.ticks();
    time.sleepMs(10);
    debug.print("slept " + (time.ticks() - before).toString() + " ticks from " + before.toString());
  }
}

function onTimer(): void {
  time.tickFromIsr();
}

export function main(): void {
  debug.print("hz " + time.tickHz().toString() + " ms/123 ticks " + time.ticksToMs(123).toString() + " ms/100 ticks " + time.ticksToMs(100).toString() + " ticks/10ms " + time.msToTicks(10).toString());
  irq.attach(28, onTimer, 1);
  irq.enable(28);
  task.build().entry(sleeper).priority(4).spawn();
}
