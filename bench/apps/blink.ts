// The README's application, verbatim: the app bench `build.coldMs` / `build.cachedMs` builds.
import { task, time, debug } from "hoprt";

function blink(arg: u32): void {
  while (true) {
    debug.print("tick " + arg.toString() + " at " + time.nowMs().toString() + " ms");
    time.sleepMs(500);
  }
}

export function main(): void {            // runs as the first task, priority 0
  task.build().entry(blink).arg(1).priority(8).spawn();
}
