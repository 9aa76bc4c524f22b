/**
 * Loaded with `node --import` into a process the bench starts: at exit, the
 * process's CPU time (user + system, every thread: V8's compiler threads
 * too) goes to $HOPRT_BENCH_CPU_FILE. On a shared, busy machine it moves
 * far less than wall-clock time.
 */
import * as fs from "node:fs";

const file = process.env.HOPRT_BENCH_CPU_FILE;
if (file) {
  process.on("exit", () => {
    const { user, system } = process.cpuUsage();
    fs.writeFileSync(file, String((user + system) / 1000));
  });
}
